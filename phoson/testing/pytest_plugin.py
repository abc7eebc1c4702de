"""pytest fixtures for code that uses phoson, installed with the package (a `pytest11` entry point
named "phoson"), so a test suite needs no conftest code:

- `phoson_server`: a started `LocalPhosonServer`, empty at the start of each test (data, scripts,
  armed faults, counters and settings), for scripting runs and injecting faults.
- `phoson_client`: a `PhosonClient` bound to it.
- `async_phoson_client`: an `AsyncPhosonClient` bound to it.

Both clients reach the server through its in-process transport (no socket), so they are fast and
need no event loop to set up or tear down: `async_phoson_client` is a plain fixture that works
the same under anyio's plugin, pytest-asyncio's (any mode) and trio. The server also listens on
`phoson_server.url`, serving the same data to anything else (a subprocess, another client).

Disable it with `-p no:phoson`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# pytest loads this module in every run of a project that has phoson installed: the client and
# the server are imported by the fixtures that use them, not here.
if TYPE_CHECKING:
    from phoson import AsyncPhosonClient, PhosonClient
    from phoson.testing import LocalPhosonServer

__all__ = ["async_phoson_client", "phoson_client", "phoson_server"]

_API_KEY = "pk_test"


@pytest.fixture(scope="session")
def _phoson_server_for_session() -> Iterator[LocalPhosonServer]:
    """One server for the whole run: starting one per test would cost a thread and a port."""
    from phoson.testing import LocalPhosonServer

    with LocalPhosonServer(api_key=_API_KEY) as server:
        yield server


@pytest.fixture
def phoson_server(_phoson_server_for_session: LocalPhosonServer) -> LocalPhosonServer:
    """A started local Phoson server with nothing in it and its default settings."""
    server = _phoson_server_for_session
    server.start()  # again, if an earlier test stopped it
    server.reset()
    server.api_key = _API_KEY
    server.event_delay = 0.0
    server.ping_interval = None
    return server


@pytest.fixture
def phoson_client(phoson_server: LocalPhosonServer) -> Iterator[PhosonClient]:
    """A `PhosonClient` for `phoson_server`, closed after the test."""
    import httpx

    from phoson import PhosonClient

    http = httpx.Client(transport=phoson_server.transport())
    client = PhosonClient(
        api_key=phoson_server.api_key, base_url=phoson_server.url, http_client=http
    )
    yield client
    client.close()
    http.close()


@pytest.fixture
def async_phoson_client(phoson_server: LocalPhosonServer) -> AsyncPhosonClient:
    """An `AsyncPhosonClient` for `phoson_server`. Its transport holds no connection, so
    nothing is left open when the test's event loop ends."""
    import httpx

    from phoson import AsyncPhosonClient

    http = httpx.AsyncClient(transport=phoson_server.async_transport())
    return AsyncPhosonClient(
        api_key=phoson_server.api_key, base_url=phoson_server.url, http_client=http
    )
