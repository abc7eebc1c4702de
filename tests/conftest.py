"""Shared test set-up: async tests run under asyncio and trio; nobody really sleeps.

`tests.budget` is imported for its effect: it loads the hypothesis profile.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from phoson import _sleep
from phoson.testing import LocalPhosonServer
from tests import budget  # noqa: F401  # pyright: ignore[reportUnusedImport]
from tests.canary import Canary, canary_key
from tests.scripted_server import ScriptedServer
from tests.tls import ca_file, server_context


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, object, object]:
    """`uv run pytest` (the suite, or a directory of it) runs on every core: pytest-xdist's
    `-n auto`. `-n N` (`-n 0`: one process) or `--tx` wins; named test files or tests
    (`tests/test_cli.py`, `...::test_x`) run in one process, as do `-p no:xdist`, `-s`,
    `--pdb` and `--trace` (for debugging: output and the debugger need the one process)."""
    option = config.option
    if (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")  # a worker: the controller decided
        and getattr(option, "numprocesses", 0) is None
        and not getattr(option, "tx", None)
        and option.capture != "no"
        and not option.usepdb
        and not option.trace
        and not any("::" in arg or Path(arg).is_file() for arg in config.args)
    ):
        option.numprocesses = "auto"
    return (yield)


#: Test processes per core for `-n auto`. About a third of the suite's time is waiting, not
#: computing (real sockets, servers that pause, timeouts that must pass), so one process per
#: core leaves the cores idle that long: two per core took the README's run on 2 cores from
#: 91 s to 68 s (2026-12-05). CI passes `-n 2` (`PYTEST_WORKERS`), one per core.
WORKERS_PER_CORE = 2


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: `WORKERS_PER_CORE` processes for each core this process may run on
    (PYTEST_XDIST_AUTO_NUM_WORKERS, when set, wins: pytest-xdist's own hook reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return WORKERS_PER_CORE * (cores or 1)


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


#: The SDK's real sleeps, kept before any test replaces them.
_REAL_ASLEEP, _REAL_SLEEP = _sleep.asleep, _sleep.sleep


@pytest.fixture
def real_sleeps(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's retry and reconnect waits really wait (and are still recorded): for tests of
    `deadline=`, which bounds wall-clock time, so a faked wait would let a call make retries
    that the deadline's clock never sees the time of."""

    async def real_asleep(seconds: float) -> None:
        sleeps.append(seconds)
        await _REAL_ASLEEP(seconds)

    def real_sleep(seconds: float, until: threading.Event | None = None) -> None:
        sleeps.append(seconds)
        _REAL_SLEEP(seconds, until)

    monkeypatch.setattr(_sleep, "asleep", real_asleep)
    monkeypatch.setattr(_sleep, "sleep", real_sleep)
    return sleeps


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


@pytest.fixture
def canary() -> Iterator[Canary]:
    """A freshly planted key and the output channels to search for it: the `phoson` logger is
    recorded at DEBUG and spans go to the canary's own exporter; give the test's results and
    errors to `canary.see(...)`. At the end, no form of the key may be in any of them."""
    planted = Canary(canary_key("fixture"))
    with planted.channels.logging():
        yield planted
    planted.provider.shutdown()
    planted.channels.assert_clean(planted.key, planted.exporter)


@pytest.fixture
def tls_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """A scripted server over TLS (`tests.tls`), whose certificate authority httpx, and so the
    SDK's pool, trusts (`SSL_CERT_FILE`)."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file())
    with ScriptedServer(tls=server_context()) as server:
        yield server
