"""Shared test set-up: async tests run under asyncio and trio; nobody really sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phoson import _sleep
from phoson.testing import LocalPhosonServer
from tests import budget  # noqa: F401  (loads the hypothesis profile: tests/budget.py)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs once on asyncio and once on trio."""
    return str(request.param)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record the SDK's retry waits instead of waiting (both clients' sleep seams)."""
    recorded: list[float] = []

    async def fake_asleep(seconds: float) -> None:
        recorded.append(seconds)

    def fake_sleep(seconds: float, until: object = None) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_sleep, "asleep", fake_asleep)
    monkeypatch.setattr(_sleep, "sleep", fake_sleep)
    yield recorded


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalPhosonServer]:
    """One real local API server (real sockets, a background thread) for the whole run."""
    with LocalPhosonServer() as server:
        yield server


@pytest.fixture
def server(local_server: LocalPhosonServer) -> LocalPhosonServer:
    """The local server, emptied of data, scripts and armed faults before each test."""
    local_server.reset()
    return local_server
