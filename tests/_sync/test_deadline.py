# DO NOT EDIT: generated from tests/_async/test_deadline.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""`deadline=` bounds a whole call in wall-clock time (every attempt, retry wait and stream
resume), and `stream_idle_timeout=` is how long a stream may stay silent before it resumes:
checked against the local server's faults, with real waits (the `real_sleeps` fixture)."""

from __future__ import annotations

import time

import pytest
import respx

from phoson import (
    PhosonClient,
    PhosonError,
    PhosonTimeoutError,
    StreamEvent,
    StreamTimeoutError,
)
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation
from tests.payloads import event_stream_response, sse

MESSAGE = "one two three four five six"


def described(events: list[StreamEvent]) -> list[tuple[str, object]]:
    return [(e.type, getattr(e, "content", None)) for e in events]


def test_retry_after_loop_stops_at_the_deadline(
    live_client: PhosonClient, server: LocalPhosonServer, real_sleeps: list[float]
) -> None:
    """A 503 loop with Retry-After: 1 and max_retries=10 under deadline=2 fails within 2.2 s
    of wall-clock time, with a PhosonTimeoutError naming the Retry-After wait it would not
    start: the second 1 s wait could not end in time, so it was never slept."""
    for _ in range(30):
        server.fail_next(status=503, retry_after="1", path="/agents")
    started = time.monotonic()
    with pytest.raises(PhosonTimeoutError) as caught:
        live_client.agents.list(max_retries=10, deadline=2)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed <= 2.2, elapsed
    assert "deadline (2 s)" in str(caught.value) and "Retry-After wait" in str(caught.value)
    assert "503" in str(caught.value)
    assert real_sleeps == [1.0]
    assert len([r for r in server.stats.requests if r.path == "/agents"]) == 2


def test_deadline_on_the_client_and_in_with_options(
    server: LocalPhosonServer, real_sleeps: list[float]
) -> None:
    """The client's deadline applies to every call; with_options changes it (None: none)."""
    for _ in range(30):
        server.fail_next(status=503, retry_after="1", path="/agents")
    with PhosonClient(
        api_key=server.api_key, base_url=server.url, max_retries=10, deadline=0.5
    ) as client:
        assert client.deadline == 0.5
        started = time.monotonic()
        with pytest.raises(PhosonTimeoutError, match=r"deadline \(0.5 s\)"):
            client.agents.list()
        assert real_sleeps == []  # the first 1 s wait could not end in time
        assert time.monotonic() - started < 0.9  # the deadline, with slack for a loaded machine
        assert client.with_options(deadline=None).deadline is None
        assert client.with_options(deadline=3).deadline == 3


def test_stalled_stream_resumes_after_stream_idle_timeout(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream silent for longer than stream_idle_timeout resumes (Last-Event-ID, the same
    run) instead of waiting out the silence: every event arrives once, well before the 5 s
    silence would have ended."""
    conv = new_conversation(live_client)
    whole = [e for e in live_client.messages.stream(conv, MESSAGE)]
    conv = new_conversation(live_client)
    server.stall_stream_after(2, 5.0)
    started = time.monotonic()
    stream = live_client.messages.stream(conv, MESSAGE, stream_idle_timeout=0.3)
    events = [e for e in stream]
    assert time.monotonic() - started < 2.5
    assert described(events) == described(whole)
    opened = [r for r in server.stats.requests if r.path.endswith("/messages")]
    assert len(opened) == 3  # whole's, the stalled one, its resume
    assert opened[-1].headers["last-event-id"].endswith(":2")
    assert server.stats.runs_created == 2


def test_deadline_ends_a_stalled_stream_with_a_token(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream's deadline ends it even in the middle of a silence (the read timeout is the
    default 600 s): StreamTimeoutError within 1.3 s of deadline=1, with the token that
    continues the run."""
    conv = new_conversation(live_client)
    server.stall_stream_after(2, 5.0)
    received: list[StreamEvent] = []
    started = time.monotonic()
    with pytest.raises(StreamTimeoutError) as caught:
        for event in live_client.messages.stream(conv, MESSAGE, deadline=1):
            received.append(event)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed <= 1.3, elapsed
    assert len(received) == 2
    assert "deadline (1 s)" in str(caught.value)
    token = caught.value.resume_token
    assert token is not None
    rest = [e for e in live_client.messages.resume(token)]
    assert rest[-1].type == "run_done"
    assert server.stats.runs_created == 1


def test_deadline_that_does_not_pass_changes_nothing(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """Calls and streams that end in time behave as without a deadline, and a finished
    stream's timer does not fire later."""
    conv = new_conversation(live_client)
    assert live_client.agents.list(deadline=30)
    done = live_client.messages.stream(conv, MESSAGE, deadline=0.5).until_done()
    assert MESSAGE in done.content


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_unusable_deadline_is_refused(live_client: PhosonClient, bad: float) -> None:
    """A deadline or idle timeout that is not a positive number of seconds is refused before
    anything is sent: PhosonError for a number out of range, TypeError for another type."""
    with pytest.raises(PhosonError, match="deadline"):
        live_client.agents.list(deadline=bad)
    with pytest.raises(PhosonError, match="stream_idle_timeout"):
        live_client.with_options(stream_idle_timeout=bad)
    with pytest.raises(TypeError, match="deadline"):
        live_client.agents.list(deadline="2")  # type: ignore[arg-type]


def test_deadline_cuts_a_wait_for_a_free_connection(server: LocalPhosonServer) -> None:
    """With every connection taken by an open stream, a call under deadline=0.3 waits for a
    free connection no longer than that: PhosonTimeoutError naming that wait."""
    import httpx

    with PhosonClient(
        api_key=server.api_key, base_url=server.url, limits=httpx.Limits(max_connections=1)
    ) as client:
        conv = new_conversation(client)
        with client.messages.stream(conv, MESSAGE) as holding:
            started = time.monotonic()
            with pytest.raises(PhosonTimeoutError) as caught:
                client.agents.list(deadline=0.3)
            assert 0.25 <= time.monotonic() - started <= 0.8
            assert "deadline (0.3 s) passed while waiting for a free connection" in str(
                caught.value
            )
            assert not holding.closed


def test_a_reconnect_wait_longer_than_the_time_left_fails_at_once(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A stream cut after events, whose server asks for `retry: 5000` before a resume, under
    deadline=2: the wait could not end in time, so the stream fails at once (no wait, no
    second request) with a StreamTimeoutError naming that wait and carrying the token."""
    body = b"retry: 5000\n" + sse([("token", {"content": "a"}), ("token", {"content": "b"})])
    route = api.post("/conversations/conv_1/messages").mock(
        return_value=event_stream_response(body)
    )
    received: list[StreamEvent] = []
    started = time.monotonic()
    with pytest.raises(StreamTimeoutError) as caught:
        for event in client.messages.stream("conv_1", "hi", deadline=2):
            received.append(event)
    assert time.monotonic() - started < 1.0
    assert len(received) == 2 and sleeps == [] and route.call_count == 1
    assert "would pass during the wait before resuming (5.00 s" in str(caught.value)
    assert caught.value.resume_token is not None
