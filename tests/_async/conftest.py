"""Fixtures for the client tests: a client pointed at a mocked API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from phoson import AsyncPhosonClient
from phoson.testing import LocalPhosonServer
from tests.payloads import API_KEY, BASE_URL


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """The mocked API: routes that are not set up answer with an error, never the network."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
async def client(api: respx.MockRouter) -> AsyncIterator[AsyncPhosonClient]:
    """A client for the mocked API, closed after the test."""
    async with AsyncPhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def live_client(server: LocalPhosonServer) -> AsyncIterator[AsyncPhosonClient]:
    """A client talking to the local server over real sockets."""
    async with AsyncPhosonClient(api_key=server.api_key, base_url=server.url) as client:
        yield client
