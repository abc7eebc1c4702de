# DO NOT EDIT: generated from tests/_async/test_stream_lifecycle.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""A stream's life over real sockets: it ends at the final event whatever the server does
next, `close()` works from anywhere, and a dropped or misdirected response gives its connection
back. The server is `tests.scripted_server` (a body can end late, never, or keep pinging)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from functools import partial

import httpx
import pytest

from phoson import (
    PhosonClient,
    PhosonError,
    PhosonResponseValidationError,
    RunDoneEvent,
    StreamEvent,
    TokenEvent,
    _sleep,
)
from tests.concurrency import checkpoint, gather, poll_until
from tests.payloads import API_KEY, sse
from tests.scripted_server import Pause, Script, ScriptedServer

# The real waits, saved before the autouse `sleeps` fixture replaces them.
REAL_ASLEEP, REAL_SLEEP = _sleep.sleep, _sleep.sleep

EVENTS = [
    ("token", {"content": "Hello "}),
    ("token", {"content": "world"}),
    ("run_done", {"content": "Hello world", "run_id": "run_1"}),
]
RUN = sse(EVENTS)
#: What a server may do after the final event, each far longer than a test may take.
TAILS = {
    "ends the body 20 s later": Script(parts=[RUN, Pause(20.0)], end="end"),
    "keeps sending pings": Script(parts=[RUN] + [Pause(0.05), b": ping\n\n"] * 400, end="end"),
    "stays silent": Script(parts=[RUN], end="hold"),
}


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    """A scripted server on loopback, stopped after the test."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def sclient(scripted: ScriptedServer) -> Iterator[PhosonClient]:
    """A client for the scripted server, with a read timeout long enough to notice waiting."""
    with PhosonClient(api_key=API_KEY, base_url=scripted.url, timeout=30) as client:
        yield client


# -- 1. The loop ends when the run ends -----------------------------------------------------


@pytest.mark.parametrize("tail", list(TAILS))
def test_every_reader_ends_at_the_final_event_whatever_the_server_does_next(
    sclient: PhosonClient, scripted: ScriptedServer, tail: str
) -> None:
    """`for`, until_done(), text_stream and iter_sse() return at the final event, while the
    server is still holding the body open (late end, pings, silence); the connection, whose
    body did not end soon after, is closed a moment later (phoson._background.DRAIN_WITHIN)."""
    readers = ["for", "until_done", "text_stream", "iter_sse"]
    scripted.add(*[TAILS[tail]] * len(readers))
    for number, reader in enumerate(readers):
        stream = sclient.messages.stream("conv_1", "hi")
        if reader == "for":
            events = [event for event in stream]
            assert events[-1] == RunDoneEvent(content="Hello world", run_id="run_1")
        elif reader == "until_done":
            assert (stream.until_done()).run_id == "run_1"
        elif reader == "text_stream":
            assert [text for text in stream.text_stream] == ["Hello ", "world"]
        else:
            assert [s.event for s in stream.iter_sse()] == ["token", "token", "run_done"]
        connection = scripted.connections[number]
        # The loop ended before the server's tail did, and the connection was closed.
        assert not connection.completed
        assert poll_until(connection.gone.is_set, 5), "the client kept the connection open"
        assert stream.response is not None
        assert poll_until(partial(getattr, stream.response, "is_closed"), 5)  # just after
    assert scripted.requests == len(readers)


def test_iter_sse_ends_at_a_final_event_typed_inside_the_json(
    sclient: PhosonClient, scripted: ScriptedServer
) -> None:
    """Events without `event:` lines whose JSON names the type: iter_sse() and the typed
    iterator end after the JSON-typed run_done, with one request and no resume."""
    body = (
        b'data: {"type": "token", "content": "x"}\nid: 1\n\n'
        b'data: {"type": "run_done", "content": "x", "run_id": "r"}\nid: 2\n\n'
    )
    scripted.add(Script(parts=[body], end="hold"), Script(parts=[body], end="hold"))
    raw = [s for s in sclient.messages.stream("conv_1", "hi").iter_sse()]
    assert [s.data for s in raw] == [
        '{"type": "token", "content": "x"}',
        '{"type": "run_done", "content": "x", "run_id": "r"}',
    ]
    stream = sclient.messages.stream("conv_1", "hi")
    assert [e.type for e in stream] == ["token", "run_done"]
    assert scripted.requests == 2
    assert all(not c.completed for c in scripted.connections)


# -- 2. close() works from anywhere ----------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_close_from_another_task_or_thread_stops_a_waiting_reader(
    request: pytest.FixtureRequest, tls: bool
) -> None:
    """A reader blocked waiting for the next event (the server is silent) ends quietly when
    close() is called elsewhere (another task; another thread for the blocking client), and the
    connection is closed by the time close() returns; over TLS as well (the blocking client
    shuts down the socket under its TLS layer)."""
    scripted: ScriptedServer = request.getfixturevalue("tls_server" if tls else "scripted")
    scripted.add(Script(parts=[sse(EVENTS[:1])], end="hold"))
    received: list[StreamEvent] = []
    with PhosonClient(api_key=API_KEY, base_url=scripted.url, timeout=30) as client:
        stream = client.messages.stream("conv_1", "hi")

        def read() -> str:
            for event in stream:
                received.append(event)
            return "ended"

        def stop() -> str:
            assert poll_until(lambda: len(received) == 1)
            checkpoint()
            stream.close()
            assert stream.response is not None and stream.response.is_closed
            return "closed"

        assert gather([read, stop]) == ["ended", "closed"]
        assert received == [TokenEvent(content="Hello ")]
        assert scripted.connections[0].gone.wait(5)
        assert not scripted.connections[0].completed
        # After close(): nothing is delivered, nothing is sent, until_done() says why.
        assert [e for e in stream] == []
        with pytest.raises(PhosonError, match="closed before its run finished"):
            stream.until_done()
        stream.close()  # idempotent
    assert scripted.requests == 1


def test_close_during_the_reconnect_wait_prevents_the_reconnect(
    sclient: PhosonClient, scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """close() while the stream waits (the server's `retry: 30000`) before resuming ends the
    wait at once; no new request goes out and the reader ends quietly."""
    monkeypatch.setattr(_sleep, "sleep", REAL_ASLEEP)
    monkeypatch.setattr(_sleep, "sleep", REAL_SLEEP)
    scripted.add(Script(parts=[b"retry: 30000\n" + sse(EVENTS[:1])], end="cut"))
    stream = sclient.messages.stream("conv_1", "hi")
    received: list[StreamEvent] = []
    started = time.monotonic()

    def read() -> str:
        for event in stream:
            received.append(event)
        return "ended"

    def stop() -> str:
        # The connection is cut after one event: the reader is then in its 30 s wait.
        assert poll_until(
            lambda: scripted.connections[0].gone.is_set() if scripted.connections else False
        )
        poll_until(lambda: False, 0.2)
        stream.close()
        return "closed"

    assert gather([read, stop]) == ["ended", "closed"]
    assert time.monotonic() - started < 20, "close() did not end the reconnect wait"
    assert received == [TokenEvent(content="Hello ")]
    poll_until(lambda: False, 0.2)
    assert scripted.requests == 1


def test_close_inside_the_loop_and_break_then_until_done(
    sclient: PhosonClient, scripted: ScriptedServer
) -> None:
    """close() from the loop's own body ends the loop; `break` leaves the stream open, so
    until_done() on the same stream reads on and returns the run's end (both clients)."""
    scripted.add(Script(parts=[RUN], end="hold"), Script(parts=[RUN], end="hold"))
    stream = sclient.messages.stream("conv_1", "hi")
    seen: list[StreamEvent] = []
    for event in stream:
        seen.append(event)
        stream.close()
    assert seen == [TokenEvent(content="Hello ")]

    with sclient.messages.stream("conv_1", "hi") as stream:
        for event in stream:
            assert event == TokenEvent(content="Hello ")
            break
        done = stream.until_done()
    assert done == RunDoneEvent(content="Hello world", run_id="run_1")
    assert scripted.requests == 2


def test_close_before_use_sends_nothing(sclient: PhosonClient, scripted: ScriptedServer) -> None:
    """A stream closed before it was used never sends its request; iterating it yields
    nothing."""
    stream = sclient.messages.stream("conv_1", "hi")
    stream.close()
    assert stream.closed
    assert [e for e in stream] == []
    assert [t for t in stream.text_stream] == []
    assert scripted.requests == 0


# -- 11. Dropped and misdirected responses give their connection back ------------------------


def test_a_dropped_stream_gives_its_connection_back(scripted: ScriptedServer) -> None:
    """A stream entered (or read once) and then dropped unclosed frees its pooled connection:
    with a pool of one, the next call gets the connection instead of waiting for it."""
    scripted.add(*[Script(parts=[sse(EVENTS[:1])], end="hold")] * 2, Script(parts=[RUN]))
    limits = httpx.Limits(max_connections=1)
    http = httpx.Client(limits=limits, timeout=httpx.Timeout(30, pool=3))
    with (
        http,
        PhosonClient(api_key=API_KEY, base_url=scripted.url, http_client=http) as client,
    ):
        entered = client.messages.stream("conv_1", "hi")
        entered.__enter__()
        del entered  # dropped without close()
        gc.collect()
        checkpoint()
        read_once = client.messages.stream("conv_1", "hi")
        assert read_once.__next__() == TokenEvent(content="Hello ")
        del read_once
        gc.collect()
        checkpoint()
        done = client.messages.stream("conv_1", "hi").until_done()
    assert done.run_id == "run_1"
    assert scripted.connections[0].gone.wait(5) and scripted.connections[1].gone.wait(5)


def test_a_plain_call_answered_with_an_event_stream_is_rejected_at_the_headers(
    sclient: PhosonClient, scripted: ScriptedServer
) -> None:
    """`agents.get` answered with `text/event-stream` (a body that never ends) raises
    PhosonResponseValidationError at once and closes the connection, instead of reading the
    body until the server stops."""
    scripted.add(Script(parts=[sse(EVENTS[:1])], end="hold"))
    with pytest.raises(PhosonResponseValidationError, match="event stream") as caught:
        sclient.agents.get("agt_1")
    assert caught.value.status_code == 200
    assert caught.value.request_id == "req_scripted"
    assert scripted.connections[0].gone.wait(5)
    assert not scripted.connections[0].completed
