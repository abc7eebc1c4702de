# DO NOT EDIT: generated from tests/_async/test_local_transport.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""LocalPhosonServer's socket-less transport, driven through the SDK client: the same API, the
same recorded requests and the same injected faults as over HTTP, with no socket at all."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from phoson import (
    IncompleteStreamError,
    PhosonAPIError,
    PhosonClient,
    PhosonResponseValidationError,
    PhosonTimeoutError,
    request_id_of,
)
from phoson.testing import LocalPhosonServer, reply_text
from tests._sync.live import close_while_reading, new_conversation
from tests.concurrency import poll_until

BASE_URL = "http://phoson.localhost"


@pytest.fixture
def unstarted() -> LocalPhosonServer:
    """A local server that never listens: only its in-process transport reaches it."""
    return LocalPhosonServer(api_key="pk_transport")


@pytest.fixture
def client(unstarted: LocalPhosonServer) -> Iterator[PhosonClient]:
    """A client whose httpx client sends every request through the server's transport."""
    with httpx.Client(transport=unstarted.transport()) as http:
        yield PhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)


def test_calls_reach_a_server_that_is_not_listening(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """Every call is answered through the transport, and the server records each request as
    sent (method, path, auth and idempotency headers, body) without opening a socket."""
    conversation_id = new_conversation(client)
    reply = client.messages.send(conversation_id, "Hello")
    assert reply.content == reply_text("Hello") and request_id_of(reply) is not None
    assert [m.role for m in client.messages.list(conversation_id)] == ["user", "assistant"]
    stats = unstarted.stats
    assert not unstarted.running and stats.open_connections == 0
    assert [(r.method, r.path) for r in stats.requests] == [
        ("POST", "/agents"),
        ("POST", "/conversations"),
        ("POST", f"/conversations/{conversation_id}/messages"),
        ("GET", f"/conversations/{conversation_id}/messages"),
    ]
    send = stats.requests[2]
    assert send.headers["authorization"] == "Bearer pk_transport"
    assert send.headers["idempotency-key"] and "idempotency-key" not in stats.requests[3].headers
    assert stats.request_bodies[2] == b'{"content":"Hello","stream":false}'


def test_stream_events_arrive_before_the_run_ends(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """A stream is delivered piece by piece: the first event reaches the caller while the
    server is still writing the run, and the run completes once the caller has read it all
    (the end of the body is read in the background, a moment after the loop ends)."""
    conversation_id = new_conversation(client)
    unstarted.event_delay = 0.01
    seen: list[tuple[str, int, int]] = []
    for event in client.messages.stream(conversation_id, "one two three"):
        stats = unstarted.stats
        seen.append((event.type, stats.active_streams, stats.streams_completed))
    assert seen[0] == ("token", 1, 0)
    assert seen[-1][0] == "run_done"
    assert "".join(t for t, _, _ in seen).count("token") == len(seen) - 1

    def counts() -> tuple[int, int, int]:
        stats = unstarted.stats
        return stats.active_streams, stats.streams_completed, stats.disconnects

    assert poll_until(lambda: counts() == (0, 1, 0), 5), counts()


def test_a_response_closed_right_after_the_last_event_completed_its_stream(
    unstarted: LocalPhosonServer,
) -> None:
    """A client that closes the response as soon as it has read `run_done` (before the body's
    end) has received the whole stream: it counts as completed, not as a disconnect."""
    conversation_id = new_conversation_over(unstarted)
    with httpx.Client(transport=unstarted.transport()) as http:
        body = {"content": "last", "stream": True}
        url = f"{BASE_URL}/conversations/{conversation_id}/messages"
        headers = {"Authorization": "Bearer pk_transport"}
        with http.stream("POST", url, json=body, headers=headers) as response:
            for chunk in response.iter_raw():
                if b"event: run_done" in chunk:
                    break
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed, stats.disconnects) == (0, 1, 0)


def new_conversation_over(server: LocalPhosonServer) -> str:
    """A conversation made through the transport, with a client that is closed after."""
    with httpx.Client(transport=server.transport()) as http:
        return new_conversation(
            PhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)
        )


# Some event loops warn when they finalize the SDK's abandoned event iterator (as in
# test_streaming.py); the response itself is closed by the `with` block, which is the point here.
@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_leaving_a_stream_early_counts_as_a_disconnect(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """Closing a stream after its first event ends it on the server: one disconnect, no
    stream left active, none completed."""
    conversation_id = new_conversation(client)
    with client.messages.stream(conversation_id, "a b c d e f") as events:
        for event in events:
            assert event.type == "token"
            break
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed, stats.disconnects) == (0, 0, 1)


def test_retried_faults_are_survived(
    client: PhosonClient, unstarted: LocalPhosonServer, sleeps: list[float]
) -> None:
    """A 503 and a dropped connection are retried by the SDK with the same Idempotency-Key,
    and the call succeeds with one agent created."""
    unstarted.fail_next(503, retry_after="1")
    unstarted.drop_next()
    agent = client.agents.create(name="A", description="made through faults")
    assert [a.id for a in client.agents.list()] == [agent.id]
    posts = [r for r in unstarted.stats.requests if r.method == "POST"]
    assert len(posts) == 3 and len({r.headers["idempotency-key"] for r in posts}) == 1
    assert sleeps[0] == 1.0 and len(sleeps) == 2


def test_a_cut_stream_is_resumed_where_it_broke(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """cut_stream_after(3) breaks the body mid-stream as a real connection would; the SDK
    resumes with Last-Event-ID and the caller gets every event exactly once, from one run."""
    conversation_id = new_conversation(client)
    unstarted.cut_stream_after(3)
    events = [e for e in client.messages.stream(conversation_id, "resume me please")]
    tokens = "".join(e.content for e in events if e.type == "token")
    assert tokens == reply_text("resume me please") and events[-1].type == "run_done"
    streams = unstarted.stats.requests[-2:]
    assert "last-event-id" not in streams[0].headers
    assert streams[1].headers["last-event-id"].endswith(":3")
    assert unstarted.stats.runs_created == 1


def test_a_stream_cut_on_every_try_is_an_incomplete_stream(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """When every resume is cut too, the caller gets IncompleteStreamError (a typed error),
    never an httpx exception."""
    conversation_id = new_conversation(client)
    unstarted.cut_stream_after(0, times=10)
    with pytest.raises(IncompleteStreamError):
        for _ in client.messages.stream(conversation_id, "never"):
            pass


def test_malformed_and_oversized_answers_are_typed_errors(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """An HTML page where JSON belongs is a PhosonResponseValidationError; a body over the
    server's max_body_size is answered 413, with the detail, as over HTTP."""
    unstarted.malformed_next("not_json")
    with pytest.raises(PhosonResponseValidationError):
        client.agents.list()
    small = LocalPhosonServer(api_key="pk_transport", max_body_size=100)
    with httpx.Client(transport=small.transport()) as http:
        sdk = PhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)
        with pytest.raises(PhosonAPIError) as caught:
            sdk.agents.create(name="A", description="x" * 200)
        assert caught.value.status_code == 413
        assert caught.value.detail == "Request body too large"
        assert small.stats.requests == []


def test_waits_longer_than_the_read_timeout_time_out(unstarted: LocalPhosonServer) -> None:
    """A delay_headers fault or a pause between events longer than the request's read
    timeout raises httpx.ReadTimeout after that timeout, as a socket would; the SDK turns it
    into PhosonTimeoutError."""
    unstarted.delay_headers(5.0)
    with httpx.Client(transport=unstarted.transport(), timeout=0.05) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"{BASE_URL}/agents", headers={"Authorization": "Bearer pk_transport"})
        sdk = PhosonClient(
            api_key="pk_transport", base_url=BASE_URL, http_client=http, max_retries=0
        )
        conversation_id = new_conversation(sdk)
        unstarted.script_next_run(
            conversation_id,
            events=[("token", {"content": "a"}), ("token", {"content": "b"})],
            delay=5.0,
        )
        with pytest.raises(PhosonTimeoutError):
            for _ in sdk.messages.stream(conversation_id, "slow", timeout=0.05):
                pass


def test_close_from_elsewhere_ends_a_reader_waiting_on_the_transport(
    client: PhosonClient, unstarted: LocalPhosonServer
) -> None:
    """With no socket to shut down, close() from another task (another thread for the blocking
    client) still ends a reader waiting for the next event: it ends quietly with the events
    it had, and the server counts a disconnect, not a completed stream."""
    conversation_id = new_conversation(client)
    unstarted.event_delay = 0.2  # the server is slow between events: the reader waits
    stream = client.messages.stream(conversation_id, "one two three four five six seven eight")
    assert close_while_reading(stream, lambda types: len(types) == 1) == ["token"]
    assert poll_until(lambda: unstarted.stats.disconnects == 1)
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed) == (0, 0)
