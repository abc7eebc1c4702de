"""close() from a signal handler (a graceful SIGTERM) while the main thread is inside that very
stream (issue 21, observed case 6: the blocking client deadlocked on its own lock). The handler
returns at once, the interrupted reader ends quietly and gives its connection back, and nothing
more is sent. Plain tests: signal handlers run in the main thread, between two steps of
whatever it was doing."""

# White-box test: reads the pool's slots to know when a call waits for one.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import faulthandler
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import httpx
import pytest

from phoson import MessageStream, PhosonClient, _sleep
from phoson.testing import LocalPhosonServer

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill (POSIX)"
)

# The real waits, saved before the autouse `sleeps` fixture replaces them.
REAL_SLEEP = _sleep.sleep


@pytest.fixture
def watchdog() -> Iterator[None]:
    """A deadlock must fail the run, not hang it: dump the stacks and exit after 60 s."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def own_server() -> Iterator[LocalPhosonServer]:
    """A local server of the test's own: its 30 s waits outlast the test, and must not count
    as open connections of the server the other tests share."""
    with LocalPhosonServer() as server:
        yield server


def read_until_signalled(
    stream: MessageStream, ready: Callable[[], bool]
) -> tuple[list[str], float]:
    """Read `stream` in the main thread; once `ready()` (and 0.2 s more, for the main thread to
    settle in its wait), SIGUSR1's handler closes it. Returns the event types read and how
    long the handler took."""
    assert threading.current_thread() is threading.main_thread()
    took: list[float] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        started = time.monotonic()
        stream.close()
        took.append(time.monotonic() - started)

    previous = signal.signal(signal.SIGUSR1, handler)
    main = threading.main_thread().ident
    assert main is not None

    def signal_when_ready() -> None:
        deadline = time.monotonic() + 10
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        signal.pthread_kill(main, signal.SIGUSR1)

    timer = threading.Thread(target=signal_when_ready, daemon=True)
    received: list[str] = []
    try:
        timer.start()
        for event in stream:
            received.append(event.type)
    finally:
        timer.join(15)
        signal.signal(signal.SIGUSR1, previous)
    assert took, "the stream ended before the signal came"
    return received, took[0]


@pytest.mark.parametrize(
    "where",
    ["reading the body", "waiting for the headers", "waiting to retry", "waiting for a slot"],
)
def test_close_from_a_signal_handler_in_the_reading_thread(
    own_server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch, watchdog: None, where: str
) -> None:
    """Wherever the main thread is in the stream (blocked reading the body, waiting for the
    response headers, waiting out a 503's Retry-After, waiting for the pool's only
    connection), SIGUSR1's handler calls close(): it returns at once, the loop ends quietly
    (after the one event sent before the pause, when reading), the stream is closed with its
    response, no request is sent after it, and the connection serves the next call."""
    monkeypatch.setattr(_sleep, "sleep", REAL_SLEEP)
    client = PhosonClient(
        api_key=own_server.api_key,
        base_url=own_server.url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(60, pool=60),
    )
    try:
        agent = client.agents.create(name="a", description="b")
        conversation = client.conversations.create(agent.id).id
        holder = None
        if where == "reading the body":
            own_server.event_delay = 30.0
        elif where == "waiting for the headers":
            own_server.delay_headers(30.0)
        elif where == "waiting to retry":
            own_server.fail_next(status=503, retry_after="30")
        else:
            holder = client.messages.stream(conversation, "one two")
            holder.__enter__()  # holds the only connection
        sent = len(own_server.stats.requests)
        stream = client.messages.stream(conversation, "hi")
        started = time.monotonic()
        slots = client._requester.pool.slots
        assert slots is not None
        if where == "waiting for a slot":
            received, took = read_until_signalled(stream, lambda: slots.waiting == 1)
        elif where == "reading the body":  # once the first event is read
            received, took = read_until_signalled(stream, lambda: stream.text != "")
        else:  # once the server has the request
            received, took = read_until_signalled(
                stream, lambda: len(own_server.stats.requests) == sent + 1
            )
        assert time.monotonic() - started < 10
        assert took < 1.0, f"close() in the handler took {took:.1f} s"
        assert received == (["token"] if where == "reading the body" else [])
        assert stream.closed
        assert stream.response is None or stream.response.is_closed
        time.sleep(0.3)
        expected = sent if where == "waiting for a slot" else sent + 1
        assert len(own_server.stats.requests) == expected, "a request went out after close()"
        if holder is not None:
            holder.close()
        assert slots.in_use == 0 and slots.waiting == 0
        assert len(client.agents.list()) >= 1  # the connection is free for the next call
    finally:
        own_server.event_delay = 0.0
        client.close()
