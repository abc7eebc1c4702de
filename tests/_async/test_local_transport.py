"""LocalPhosonServer's socket-less transport, driven through the SDK client: the same API, the
same recorded requests and the same injected faults as over HTTP, with no socket at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from phoson import (
    AsyncPhosonClient,
    IncompleteStreamError,
    PhosonAPIError,
    PhosonResponseValidationError,
    PhosonTimeoutError,
    request_id_of,
)
from phoson.testing import LocalPhosonServer, reply_text
from tests._async.live import close_while_reading, new_conversation
from tests.concurrency import apoll_until

BASE_URL = "http://phoson.localhost"


@pytest.fixture
def unstarted() -> LocalPhosonServer:
    """A local server that never listens: only its in-process transport reaches it."""
    return LocalPhosonServer(api_key="pk_transport")


@pytest.fixture
async def client(unstarted: LocalPhosonServer) -> AsyncIterator[AsyncPhosonClient]:
    """A client whose httpx client sends every request through the server's transport."""
    async with httpx.AsyncClient(transport=unstarted.async_transport()) as http:
        yield AsyncPhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)


async def test_calls_reach_a_server_that_is_not_listening(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """Every call is answered through the transport, and the server records each request as
    sent (method, path, auth and idempotency headers, body) without opening a socket."""
    conversation_id = await new_conversation(client)
    reply = await client.messages.send(conversation_id, "Hello")
    assert reply.content == reply_text("Hello") and request_id_of(reply) is not None
    assert [m.role for m in await client.messages.list(conversation_id)] == ["user", "assistant"]
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


async def test_stream_events_arrive_before_the_run_ends(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """A stream is delivered piece by piece: the first event reaches the caller while the
    server is still writing the run, and the run completes once the caller has read it all
    (the end of the body is read in the background, a moment after the loop ends)."""
    conversation_id = await new_conversation(client)
    unstarted.event_delay = 0.01
    seen: list[tuple[str, int, int]] = []
    async for event in client.messages.stream(conversation_id, "one two three"):
        stats = unstarted.stats
        seen.append((event.type, stats.active_streams, stats.streams_completed))
    assert seen[0] == ("token", 1, 0)
    assert seen[-1][0] == "run_done"
    assert "".join(t for t, _, _ in seen).count("token") == len(seen) - 1

    def counts() -> tuple[int, int, int]:
        stats = unstarted.stats
        return stats.active_streams, stats.streams_completed, stats.disconnects

    assert await apoll_until(lambda: counts() == (0, 1, 0), 5), counts()


async def test_a_response_closed_right_after_the_last_event_completed_its_stream(
    unstarted: LocalPhosonServer,
) -> None:
    """A client that closes the response as soon as it has read `run_done` (before the body's
    end) has received the whole stream: it counts as completed, not as a disconnect."""
    conversation_id = await new_conversation_over(unstarted)
    async with httpx.AsyncClient(transport=unstarted.async_transport()) as http:
        body = {"content": "last", "stream": True}
        url = f"{BASE_URL}/conversations/{conversation_id}/messages"
        headers = {"Authorization": "Bearer pk_transport"}
        async with http.stream("POST", url, json=body, headers=headers) as response:
            async for chunk in response.aiter_raw():
                if b"event: run_done" in chunk:
                    break
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed, stats.disconnects) == (0, 1, 0)


async def new_conversation_over(server: LocalPhosonServer) -> str:
    """A conversation made through the transport, with a client that is closed after."""
    async with httpx.AsyncClient(transport=server.async_transport()) as http:
        return await new_conversation(
            AsyncPhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)
        )


# Some event loops warn when they finalize the SDK's abandoned event iterator (as in
# test_streaming.py); the response itself is closed by the `with` block, which is the point here.
@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
async def test_leaving_a_stream_early_counts_as_a_disconnect(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """Closing a stream after its first event ends it on the server: one disconnect, no
    stream left active, none completed."""
    conversation_id = await new_conversation(client)
    async with client.messages.stream(conversation_id, "a b c d e f") as events:
        async for event in events:
            assert event.type == "token"
            break
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed, stats.disconnects) == (0, 0, 1)


async def test_retried_faults_are_survived(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer, sleeps: list[float]
) -> None:
    """A 503 and a dropped connection are retried by the SDK with the same Idempotency-Key,
    and the call succeeds with one agent created."""
    unstarted.fail_next(503, retry_after="1")
    unstarted.drop_next()
    agent = await client.agents.create(name="A", description="made through faults")
    assert [a.id for a in await client.agents.list()] == [agent.id]
    posts = [r for r in unstarted.stats.requests if r.method == "POST"]
    assert len(posts) == 3 and len({r.headers["idempotency-key"] for r in posts}) == 1
    assert sleeps[0] == 1.0 and len(sleeps) == 2


async def test_a_cut_stream_is_resumed_where_it_broke(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """cut_stream_after(3) breaks the body mid-stream as a real connection would; the SDK
    resumes with Last-Event-ID and the caller gets every event exactly once, from one run."""
    conversation_id = await new_conversation(client)
    unstarted.cut_stream_after(3)
    events = [e async for e in client.messages.stream(conversation_id, "resume me please")]
    tokens = "".join(e.content for e in events if e.type == "token")
    assert tokens == reply_text("resume me please") and events[-1].type == "run_done"
    streams = unstarted.stats.requests[-2:]
    assert "last-event-id" not in streams[0].headers
    assert streams[1].headers["last-event-id"].endswith(":3")
    assert unstarted.stats.runs_created == 1


async def test_a_stream_cut_on_every_try_is_an_incomplete_stream(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """When every resume is cut too, the caller gets IncompleteStreamError (a typed error),
    never an httpx exception."""
    conversation_id = await new_conversation(client)
    unstarted.cut_stream_after(0, times=10)
    with pytest.raises(IncompleteStreamError):
        async for _ in client.messages.stream(conversation_id, "never"):
            pass


async def test_malformed_and_oversized_answers_are_typed_errors(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """An HTML page where JSON belongs is a PhosonResponseValidationError; a body over the
    server's max_body_size is answered 413, with the detail, as over HTTP."""
    unstarted.malformed_next("not_json")
    with pytest.raises(PhosonResponseValidationError):
        await client.agents.list()
    small = LocalPhosonServer(api_key="pk_transport", max_body_size=100)
    async with httpx.AsyncClient(transport=small.async_transport()) as http:
        sdk = AsyncPhosonClient(api_key="pk_transport", base_url=BASE_URL, http_client=http)
        with pytest.raises(PhosonAPIError) as caught:
            await sdk.agents.create(name="A", description="x" * 200)
        assert caught.value.status_code == 413
        assert caught.value.detail == "Request body too large"
        assert small.stats.requests == []


async def test_waits_longer_than_the_read_timeout_time_out(unstarted: LocalPhosonServer) -> None:
    """A delay_headers fault or a pause between events longer than the request's read
    timeout raises httpx.ReadTimeout after that timeout, as a socket would; the SDK turns it
    into PhosonTimeoutError."""
    unstarted.delay_headers(5.0)
    async with httpx.AsyncClient(transport=unstarted.async_transport(), timeout=0.05) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{BASE_URL}/agents", headers={"Authorization": "Bearer pk_transport"})
        sdk = AsyncPhosonClient(
            api_key="pk_transport", base_url=BASE_URL, http_client=http, max_retries=0
        )
        conversation_id = await new_conversation(sdk)
        unstarted.script_next_run(
            conversation_id,
            events=[("token", {"content": "a"}), ("token", {"content": "b"})],
            delay=5.0,
        )
        with pytest.raises(PhosonTimeoutError):
            async for _ in sdk.messages.stream(conversation_id, "slow", timeout=0.05):
                pass


async def test_close_from_elsewhere_ends_a_reader_waiting_on_the_transport(
    client: AsyncPhosonClient, unstarted: LocalPhosonServer
) -> None:
    """With no socket to shut down, close() from another task (another thread for the blocking
    client) still ends a reader waiting for the next event: it ends quietly with the events
    it had, and the server counts a disconnect, not a completed stream."""
    conversation_id = await new_conversation(client)
    unstarted.event_delay = 0.2  # the server is slow between events: the reader waits
    stream = client.messages.stream(conversation_id, "one two three four five six seven eight")
    assert await close_while_reading(stream, lambda types: len(types) == 1) == ["token"]
    assert await apoll_until(lambda: unstarted.stats.disconnects == 1)
    stats = unstarted.stats
    assert (stats.active_streams, stats.streams_completed) == (0, 0)
