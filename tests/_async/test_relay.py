"""phoson.web.to_sse over a real stream (the local server, over sockets): what the browser
reads, heartbeats, resuming from a relay id with no event repeated, refusing forged ids, and
closing the API stream when the body is closed or fails."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import AsyncIterable

import pytest

from phoson import AsyncPhosonClient, NotFoundError, PhosonError
from phoson._resume_token import decode_resume_token
from phoson._sse import ServerSentEvent, SSEDecoder
from phoson.testing import LocalPhosonServer, reply_text
from phoson.web import InvalidRelayIdError, to_sse
from tests.concurrency import apoll_until

SECRET = "relay tests"


async def conversation(client: AsyncPhosonClient) -> str:
    agent = await client.agents.create(name="relay", description="tests")
    return (await client.conversations.create(agent.id)).id


async def read_all(body: AsyncIterable[bytes]) -> list[bytes]:
    chunks: list[bytes] = []
    async for chunk in body:
        chunks.append(chunk)
    return chunks


def browser(chunks: list[bytes]) -> list[ServerSentEvent]:
    """What an EventSource dispatches for these bytes."""
    return SSEDecoder().feed(b"".join(chunks))


async def test_the_browser_gets_each_event_with_its_type_json_and_relay_id(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """The body starts with the retry hint, then sends every event of the run under its type,
    with the API's JSON as data and a relay id on every event but the final one."""
    conv_id = await conversation(live_client)
    chunks = await read_all(to_sse(live_client.messages.stream(conv_id, "Hi"), secret=SECRET))
    assert chunks[0] == b"retry: 1000\n\n"
    events = browser(chunks)
    assert [e.event for e in events] == ["token"] * (len(events) - 1) + ["run_done"]
    text = "".join(json.loads(e.data)["content"] for e in events[:-1])
    assert text == json.loads(events[-1].data)["content"] == reply_text("Hi")
    ids = [chunk for chunk in chunks if b"\nid: " in chunk]
    assert len(ids) == len(events) - 1  # the final event carries none
    assert server.api_key.encode() not in b"".join(chunks)
    assert server.stats.runs_created == 1


async def test_a_silent_stream_gets_heartbeats(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """While the API is silent, a comment goes out every `heartbeat` seconds (a proxy sees
    bytes; the page sees nothing)."""
    conv_id = await conversation(live_client)
    server.script_next_run(
        conv_id,
        events=[("token", {"content": "a"}), ("run_done", {"content": "a", "run_id": "r"})],
        delay=0.6,
    )
    body = to_sse(live_client.messages.stream(conv_id, "Hi"), secret=SECRET, heartbeat=0.1)
    chunks = await read_all(body)
    assert chunks.count(b": keep-alive\n\n") >= 2
    assert [e.event for e in browser(chunks)] == ["token", "run_done"]


async def test_a_relay_id_resumes_right_after_its_event(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """For every event k, a new body given event k's relay id as Last-Event-ID (and the same
    request, made again) sends exactly the events after k: none repeated, none lost, no
    second run."""
    conv_id = await conversation(live_client)
    first = await read_all(
        to_sse(live_client.messages.stream(conv_id, "Hi", idempotency_key="k-1"), secret=SECRET)
    )
    events = browser(first)
    for k, event in enumerate(events[:-1]):
        again = live_client.messages.stream(conv_id, "Hi", idempotency_key="k-2")  # not sent
        rest = browser(await read_all(to_sse(again, secret=SECRET, last_event_id=event.id)))
        assert [(e.event, e.data) for e in rest] == [(e.event, e.data) for e in events[k + 1 :]]
    assert server.stats.runs_created == 1


async def test_a_forged_relay_id_is_refused_before_anything_is_sent(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """A Last-Event-ID altered, or signed under another secret, raises InvalidRelayIdError when
    the body is made: no request reaches the API."""
    conv_id = await conversation(live_client)
    chunks = await read_all(to_sse(live_client.messages.stream(conv_id, "Hi"), secret=SECRET))
    relay_id = browser(chunks)[2].id
    requests = len(server.stats.requests)
    for forged in (relay_id[:-1] + ("A" if relay_id[-1] != "A" else "B"), relay_id + "x"):
        with pytest.raises(InvalidRelayIdError):
            to_sse(live_client.messages.stream(conv_id, "Hi"), secret=SECRET, last_event_id=forged)
    with pytest.raises(InvalidRelayIdError):
        to_sse(live_client.messages.stream(conv_id, "Hi"), secret="other", last_event_id=relay_id)
    assert len(server.stats.requests) == requests


async def test_a_relay_id_of_another_conversation_is_refused(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """A genuine relay id used on a request for another conversation is refused: a browser
    resumes only the run of the request it makes."""
    conv_a, conv_b = await conversation(live_client), await conversation(live_client)
    chunks = await read_all(to_sse(live_client.messages.stream(conv_a, "Hi"), secret=SECRET))
    relay_id = browser(chunks)[1].id
    with pytest.raises(InvalidRelayIdError):
        to_sse(live_client.messages.stream(conv_b, "Hi"), secret=SECRET, last_event_id=relay_id)


async def test_open_raises_the_opening_error_and_closes(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """`open()` before the response starts raises what opening the stream raised (here 404),
    so the response can still say so; the body is closed after it."""
    body = to_sse(live_client.messages.stream("conv_missing", "Hi"), secret=SECRET)
    with pytest.raises(NotFoundError):
        await body.open()
    assert await read_all(body) == []
    assert body.stream.closed


async def test_a_failure_after_the_start_is_an_error_event(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """A stream that fails after the response started (an event the SDK cannot read) ends the
    body with an `error` event carrying the message, without an id."""
    conv_id = await conversation(live_client)
    server.malformed_next("bad_event_fields")
    events = browser(
        await read_all(to_sse(live_client.messages.stream(conv_id, "Hi"), secret=SECRET))
    )
    assert events[-1].event == "error" and events[-1].id == ""
    assert json.loads(events[-1].data)["type"] == "error"
    assert "token" in json.loads(events[-1].data)["message"]


async def test_closing_the_body_closes_the_api_stream(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """Closing the body mid-run (the server stopped reading: the browser went away) closes the
    API stream: the local server sees the client go away within a second."""
    conv_id = await conversation(live_client)
    server.event_delay = 0.05
    try:
        body = to_sse(live_client.messages.stream(conv_id, "Hello there"), secret=SECRET)
        seen = 0
        async for chunk in body:
            seen += chunk.startswith(b"event: token")
            if seen == 2:
                break
        started = time.monotonic()
        await body.aclose()
        assert await apoll_until(lambda: server.stats.disconnects == 1, 1.0)
        assert time.monotonic() - started < 1.0
        assert body.stream.closed
    finally:
        server.event_delay = 0.0


async def test_a_dropped_body_closes_the_api_stream(
    server: LocalPhosonServer, live_client: AsyncPhosonClient
) -> None:
    """A body read part-way and dropped without being closed does not keep its API stream: the
    reader in the background stops at the next event and closes it."""
    conv_id = await conversation(live_client)
    server.event_delay = 0.02
    try:
        body = to_sse(live_client.messages.stream(conv_id, "Hello there"), secret=SECRET)
        seen = 0
        async for chunk in body:
            seen += chunk.startswith(b"event: token")
            if seen == 2:
                break
        del body
        gc.collect()
        assert await apoll_until(lambda: server.stats.disconnects == 1, 2.0)
    finally:
        server.event_delay = 0.0


async def test_to_sse_refuses_what_is_not_a_stream() -> None:
    """to_sse takes a message stream; anything else is a TypeError, an empty secret a
    PhosonError."""
    with pytest.raises(TypeError):
        to_sse("not a stream", secret=SECRET)  # type: ignore[call-overload]
    async with AsyncPhosonClient(api_key="pk_test", base_url="http://127.0.0.1:9") as client:
        with pytest.raises(PhosonError):
            to_sse(client.messages.stream("c", "Hi"), secret="")


async def test_relay_ids_never_carry_the_api_key(server: LocalPhosonServer) -> None:
    """No relay id holds the API key, in any form: not in the id, not inside the token it
    signs, even when the user's message quotes the key (those events go without ids)."""
    from phoson._relay import RelaySigner

    key = "pk_relay_canary_7f3a9c"
    server.api_key = key
    signer = RelaySigner(SECRET)
    try:
        async with AsyncPhosonClient(api_key=key, base_url=server.url) as client:
            conv_id = await conversation(client)
            for message in ("Hi", f"my key is {key}, keep it"):
                body = to_sse(client.messages.stream(conv_id, message), secret=SECRET)
                ids = [event.id for event in browser(await read_all(body)) if event.id]
                assert ids or key in message
                if key in message:
                    assert ids == []
                for relay_id in ids:
                    assert key not in relay_id
                    assert key not in repr(decode_resume_token(signer.verify(relay_id)))
    finally:
        server.api_key = "pk_test"
