# DO NOT EDIT: generated from tests/_async/test_interruptions.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Interruptions leave nothing taken, and close() stops a stream wherever it is (issue 21,
observed cases 5, 7 and 10): Ctrl-C while a call waits for a connection, close() from another
task or thread while the stream is still opening (a retry wait after a 503, a server slow to
send its headers) and with the socket-less test transport."""

# White-box test: reaches the slot queue's wait to interrupt a call inside it.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from phoson import PhosonClient, PhosonError, _sleep, _slots
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation
from tests.concurrency import checkpoint, gather, poll_until

# The real waits, saved before the autouse `sleeps` fixture replaces them.
REAL_ASLEEP, REAL_SLEEP = _sleep.sleep, _sleep.sleep


@pytest.fixture
def own_server() -> Iterator[LocalPhosonServer]:
    """A local server of the test's own: its 30 s waits outlast the test, and must not count
    as open connections of the server the other tests share."""
    with LocalPhosonServer() as server:
        yield server


def one_connection(server: LocalPhosonServer, **options: object) -> PhosonClient:
    return PhosonClient(
        api_key=server.api_key,
        base_url=server.url,
        limits=httpx.Limits(max_connections=1),
        **options,  # type: ignore[arg-type]
    )


# -- Case 7: Ctrl-C while waiting for a connection ------------------------------------------


@pytest.mark.parametrize("when", ["while waiting", "just after its turn came"])
def test_ctrl_c_while_a_call_waits_for_a_connection_loses_no_connection(
    server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """KeyboardInterrupt lands in a call waiting for the only connection of the pool (before
    or just after its turn came): the interrupt reaches the caller as it is, and the pool is
    whole again: once the stream holding the connection is closed, the next calls get it and
    no slot stays taken."""
    with one_connection(server, timeout=httpx.Timeout(30, pool=5)) as client:
        conversation = new_conversation(client)
        slots = client._requester.pool.slots
        assert slots is not None
        holder = client.messages.stream(conversation, "one two three")
        holder.__enter__()  # holds the only connection
        real_turn = _slots._wait_for_turn

        def interrupted(*args: object) -> object:
            if when != "while waiting":
                holder.close()  # gives the connection to the waiting call...
                real_turn(*args)  # type: ignore[arg-type]
            raise KeyboardInterrupt  # ...which is interrupted before it uses it

        monkeypatch.setattr(_slots, "_wait_for_turn", interrupted)
        with pytest.raises(KeyboardInterrupt):
            client.agents.list()
        monkeypatch.setattr(_slots, "_wait_for_turn", real_turn)
        holder.close()
        assert slots.in_use == 0 and slots.waiting == 0
        for _ in range(3):  # the one connection serves call after call
            assert len(client.agents.list()) == 1
        assert slots.in_use == 0 and slots.waiting == 0


# -- Case 5: close() while the stream is still opening --------------------------------------


def test_close_during_the_retry_wait_after_a_503_sends_nothing_more(
    own_server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream's first request gets a 503 with `Retry-After: 30`; close() from another task
    (another thread for the blocking client) during that wait ends it at once: the reader ends
    quietly, and no second request is sent, then or later."""
    monkeypatch.setattr(_sleep, "sleep", REAL_ASLEEP)
    monkeypatch.setattr(_sleep, "sleep", REAL_SLEEP)
    with PhosonClient(api_key=own_server.api_key, base_url=own_server.url) as client:
        conversation = new_conversation(client)
        own_server.fail_next(status=503, retry_after="30")
        before = len(own_server.stats.requests)
        stream = client.messages.stream(conversation, "hi")
        received: list[str] = []
        started = time.monotonic()

        def read() -> str:
            for event in stream:
                received.append(event.type)
            return "ended"

        def stop() -> str:
            assert poll_until(lambda: len(own_server.stats.requests) == before + 1)
            poll_until(lambda: False, 0.2)  # the reader is in its 30 s wait now
            stream.close()
            return "closed"

        assert gather([read, stop]) == ["ended", "closed"]
        assert time.monotonic() - started < 10, "close() did not end the retry wait"
        poll_until(lambda: False, 0.3)
        assert received == []
        assert len(own_server.stats.requests) == before + 1  # the 503 only: no retry went out


def test_close_while_waiting_for_slow_response_headers_ends_at_once(
    own_server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The own_server takes 30 s to send the stream's response headers; close() from another task
    (another thread for the blocking client) wakes the waiting reader at once: it ends
    quietly, and no second request is sent."""
    monkeypatch.setattr(_sleep, "sleep", REAL_ASLEEP)
    monkeypatch.setattr(_sleep, "sleep", REAL_SLEEP)
    with PhosonClient(api_key=own_server.api_key, base_url=own_server.url) as client:
        conversation = new_conversation(client)
        own_server.delay_headers(30.0)
        before = len(own_server.stats.requests)
        stream = client.messages.stream(conversation, "hi")
        received: list[str] = []
        started = time.monotonic()

        def read() -> str:
            for event in stream:
                received.append(event.type)
            return "ended"

        def stop() -> str:
            assert poll_until(lambda: len(own_server.stats.requests) == before + 1)
            poll_until(lambda: False, 0.2)  # the reader waits for the headers now
            stream.close()
            return "closed"

        assert gather([read, stop]) == ["ended", "closed"]
        assert time.monotonic() - started < 10, "close() did not wake the wait for the headers"
        poll_until(lambda: False, 0.3)
        assert received == []
        assert len(own_server.stats.requests) == before + 1


# -- Case 10: the socket-less test transport behaves as a socket does ------------------------


def test_close_from_elsewhere_wakes_a_reader_of_the_local_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `LocalPhosonServer`'s in-process transport (no socket) and 10 s between events,
    close() from another task (another thread for the blocking client) returns at once and
    the reader ends quietly after the first event, as over a socket."""
    monkeypatch.setattr(_sleep, "sleep", REAL_ASLEEP)
    monkeypatch.setattr(_sleep, "sleep", REAL_SLEEP)
    local = LocalPhosonServer()
    local.event_delay = 10.0
    http = httpx.Client(transport=local.transport(), base_url="http://phoson.localhost")
    with (
        http,
        PhosonClient(
            api_key=local.api_key, base_url="http://phoson.localhost", http_client=http
        ) as client,
    ):
        conversation = new_conversation(client)
        stream = client.messages.stream(conversation, "one two three")
        received: list[str] = []
        took: list[float] = []

        def read() -> str:
            for event in stream:
                received.append(event.type)
            return "ended"

        def stop() -> str:
            assert poll_until(lambda: len(received) == 1, 15)
            checkpoint()
            started = time.monotonic()
            stream.close()
            took.append(time.monotonic() - started)
            return "closed"

        assert gather([read, stop]) == ["ended", "closed"]
        assert received == ["token"]
        assert took[0] < 2, f"close() waited {took[0]:.1f} s for the next event"
        assert stream.closed


# -- Found by the Client machine (tests/test_client_machine.py) ------------------------------


def test_reading_a_stream_after_its_client_was_closed_raises_and_sends_nothing(
    server: LocalPhosonServer,
) -> None:
    """A stream left open (one event read) when its client is closed: reading on raises
    PhosonError saying the client is closed (its connection went with the client), and no
    request is sent to resume it."""
    client = PhosonClient(api_key=server.api_key, base_url=server.url)
    conversation = new_conversation(client)
    server.script_next_run(
        conversation, events=[("token", {"content": f"t{n} "}) for n in range(20)], delay=0.05
    )
    stream = client.messages.stream(conversation, "slow")
    assert (stream.__next__()).type == "token"
    client.close()
    sent = len(server.stats.requests)
    with pytest.raises(PhosonError, match="client is closed"):
        for _ in stream:
            pass
    assert len(server.stats.requests) == sent
    stream.close()
