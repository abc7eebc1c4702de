"""The hand-made fast paths answer exactly as their general twins do: a plain call's (bench
`calls`, issue 26) the same request on the wire and the same result or error; the typed stream
loop's (bench `stream`) the same events and the same end. Each fast path is pinned to its twin
by a differential property over random server replies."""

# White-box test: swaps and reads the requester's tracer.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import AsyncPhosonClient, PhosonError
from phoson._tracing import NO_TRACER, Tracer
from tests.budget import examples
from tests.payloads import AGENT, API_KEY, BASE_URL, RecordingStream

#: A server reply: status, content type, body, extra headers.
Reply = tuple[int, str, bytes, dict[str, str]]

BODIES = [
    json.dumps(AGENT).encode(),
    json.dumps([AGENT, AGENT]).encode(),
    json.dumps({"detail": "nope"}).encode(),
    json.dumps({**AGENT, "name": 7}).encode(),
    b"",
    b"<html>bad gateway</html>",
    b"event: token\ndata: {}\n\n",
]
replies = st.tuples(
    st.sampled_from([200, 201, 204, 400, 401, 404, 409, 429, 500, 503]),
    st.sampled_from(["application/json", "text/event-stream", "text/html", ""]),
    st.sampled_from(BODIES),
    st.sampled_from([{}, {"x-request-id": "req_1"}, {"x-should-retry": "false"}]),
)
CALLS: dict[str, Callable[[AsyncPhosonClient], Awaitable[Any]]] = {
    "agents.get": lambda client: client.agents.get("agt_1"),
    "agents.list": lambda client: client.agents.list(),
    "agents.delete": lambda client: client.agents.delete("agt_1"),
    "agents.update": lambda client: client.agents.update("agt_1", name="n"),
}


class Server:
    """Answers each request with the next reply, the last one forever; records requests."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = script
        self.requests: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name not in ("idempotency-key", "traceparent")  # random per client, or tracing
        ]
        self.requests.append((request.method, str(request.url), headers, request.content))
        status, content_type, body, extra = self.script[min(len(self.requests) - 1, 2)]
        head = {"content-type": content_type, **extra} if content_type else dict(extra)
        return httpx.Response(status, content=body, headers=head)


async def outcome(
    call: Callable[[AsyncPhosonClient], Awaitable[Any]], script: list[Reply], traced: bool
) -> tuple[object, list[tuple[str, str, list[tuple[str, str]], bytes]]]:
    """What one client does with the script: its result (or error, as type and message) and
    the requests it sent. `traced`: force the general path with a tracer whose spans do
    nothing (it is not `NO_TRACER`, so the requester takes its general path)."""
    server = Server(script)
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    async with AsyncPhosonClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=1
    ) as client:
        if traced:
            client._requester.tracer = Tracer()
        else:
            assert client._requester.tracer is NO_TRACER
        try:
            result: object = await call(client)
        except Exception as error:
            result = (type(error), str(error))
    await http.aclose()
    return result, server.requests


@settings(
    max_examples=examples(40),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(sorted(CALLS)), script=st.lists(replies, min_size=1, max_size=3))
async def test_the_untraced_fast_path_answers_as_the_general_path(
    name: str, script: list[Reply], sleeps: list[float]
) -> None:
    """Tracing off (no span at all: the requester's `traced` fast path) and the general path
    with do-nothing spans send the same requests and end in the same result or error, for any
    replies (successes, errors, retries, bodies of the wrong shape, event streams)."""
    fast = await outcome(CALLS[name], script, traced=False)
    general = await outcome(CALLS[name], script, traced=True)
    assert fast == general


async def test_with_options_shares_the_tracer_unless_a_tracing_setting_changes() -> None:
    """A `with_options` copy uses its parent's tracer (making one costs ~20 µs with tracing
    on); a copy with another tracer provider, or tracing switched, gets its own."""
    from opentelemetry.sdk.trace import TracerProvider

    provider, other = TracerProvider(), TracerProvider()
    async with AsyncPhosonClient(
        api_key=API_KEY, base_url=BASE_URL, tracer_provider=provider
    ) as client:
        parent = client._requester.tracer
        assert parent is not NO_TRACER
        assert client.with_options(timeout=5, max_retries=0)._requester.tracer is parent
        assert client.with_options(tracer_provider=other)._requester.tracer is not parent
        assert client.with_options(open_telemetry=False)._requester.tracer is NO_TRACER


# -- The typed loop's inlined read (bench `stream`) ---------------------------------------------

#: Events a run may hold: every typed kind, an unknown type, a malformed one, an untyped one.
STREAM_EVENTS = [
    b'event: token\ndata: {"content": "Hel"}\n',
    b'event: reasoning\ndata: {"content": "hm"}\n',
    b'event: tool_start\ndata: {"tool": "t", "input": {}, "tool_call_id": "c"}\n',
    b'event: tool_end\ndata: {"tool": "t", "result": "r", "tool_call_id": "c"}\n',
    b'event: usage\ndata: {"tokens": 3}\n',
    b'event: token\ndata: {"content": 7}\n',
    b'data: {"type": "token", "content": "lo"}\n',
    b": a comment\n",
]
FINALS = [
    b'event: run_done\ndata: {"content": "Hello", "run_id": "run_1"}\n',
    b'event: error\ndata: {"message": "failed"}\n',
    b"",  # no final event: the body ends (or breaks) before it
]


@st.composite
def event_bodies(draw: st.DrawFn) -> list[bytes]:
    """An event stream, with ids on some events, cut into chunks anywhere."""
    events = draw(st.lists(st.sampled_from(STREAM_EVENTS), max_size=8))
    events.append(draw(st.sampled_from(FINALS)))
    body = b"".join(
        event + (b"id: %d\n" % number if draw(st.booleans()) else b"") + b"\n"
        for number, event in enumerate(events, start=1)
        if event
    )
    cuts = sorted(draw(st.sets(st.integers(1, max(len(body) - 1, 1)), max_size=6)))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True) if body[a:b]]


async def typed_outcome(chunks: list[bytes], inlined: bool) -> tuple[list[object], object]:
    """The typed events one stream delivers, and how it ended (None, or the error's type and
    message). `inlined`: the typed loop (its next-event method inlines `_next_sse`); else the
    general path: each raw event from `_next_sse`, typed with `StreamState.typed`."""

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=RecordingStream(chunks)
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(reply))
    delivered: list[object] = []
    ended: object = None
    async with AsyncPhosonClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=0
    ) as client:
        stream = client.messages.stream("conv_1", "hi")
        try:
            if inlined:
                async for event in stream:
                    delivered.append(event)
            else:
                while (sse := await stream._next_sse()) is not None:
                    try:
                        typed = stream._state.typed(sse)
                    except PhosonError:
                        await stream.close()
                        raise
                    if typed is not None:
                        delivered.append(typed)
        except PhosonError as error:
            ended = (type(error), str(error))
        finally:
            await stream.close()
        delivered.append(stream.text)
    await http.aclose()
    return delivered, ended


@settings(
    max_examples=examples(60),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(chunks=event_bodies())
async def test_the_typed_loop_delivers_as_its_general_twin(
    chunks: list[bytes], sleeps: list[float]
) -> None:
    """The typed loop's next-event method, which inlines `_next_sse` for bench `stream`, delivers the
    same events, leaves the same text and ends the same way (the run's end, a malformed
    event's error, a body cut before the final event) as `_next_sse` plus `typed()`, for any
    events split into any chunks."""
    assert await typed_outcome(chunks, inlined=True) == await typed_outcome(chunks, inlined=False)
