# DO NOT EDIT: generated from tests/_async/test_streaming.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""messages.stream(): typed events, helpers, closing, and streams that go wrong."""

from __future__ import annotations

import json
import zlib
from typing import assert_type

import httpx
import pytest
import respx

from phoson import (
    ErrorEvent,
    EventTooLargeError,
    IncompleteStreamError,
    MalformedEventError,
    MessageStream,
    NotFoundError,
    PhosonClient,
    PhosonConnectionError,
    PhosonError,
    PhosonResponseValidationError,
    PhosonTimeoutError,
    ReasoningEvent,
    RunDoneEvent,
    RunFailedError,
    StreamEvent,
    TokenEvent,
    ToolEndEvent,
    ToolStartEvent,
)
from tests.concurrency import checkpoint
from tests.payloads import (
    ALL_EVENTS,
    API_KEY,
    BASE_URL,
    BreakingStream,
    RecordingStream,
    assert_sent,
    event_stream_response,
    json_response,
    requests_of,
    sse,
)

PATH = "/conversations/conv_1/messages"


def split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_stream_yields_all_six_event_types_in_order(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Every event type arrives as its typed class with its documented fields."""
    route = api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    events = [
        event
        for event in client.messages.stream(
            "conv_1",
            "Your message here",
            model="claude-sonnet-4-6",
            provider="anthropic",
            temperature=0.7,
            max_tokens=4096,
            reasoning_effort="medium",
        )
    ]
    assert_sent(
        route.calls.last.request,
        "POST",
        PATH,
        {
            "content": "Your message here",
            "stream": True,
            "model": "claude-sonnet-4-6",
            "provider": "anthropic",
            "temperature": 0.7,
            "max_tokens": 4096,
            "reasoning_effort": "medium",
        },
        accept="text/event-stream",
    )
    assert events == [
        ReasoningEvent(content="Thinking about it"),
        ToolStartEvent(tool="search", input={"q": "weather"}, tool_call_id="call_1"),
        ToolEndEvent(tool="search", result="sunny", tool_call_id="call_1"),
        TokenEvent(content="Hello "),
        TokenEvent(content="world"),
        RunDoneEvent(content="Hello world", run_id="run_1"),
    ]
    assert [e.type for e in events] == [
        "reasoning",
        "tool_start",
        "tool_end",
        "token",
        "token",
        "run_done",
    ]


def test_docs_match_example_narrows_each_branch(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """The docs' `match event.type:` loop sees each event as its own class."""
    api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    seen: list[str] = []
    for event in client.messages.stream("conv_1", "Your message here"):
        assert_type(event, StreamEvent)
        match event.type:
            case "token":
                assert_type(event, TokenEvent)
                seen.append(event.content)
            case "reasoning":
                assert_type(event, ReasoningEvent)
                seen.append(f"[thinking] {event.content}")
            case "tool_start":
                assert_type(event, ToolStartEvent)
                seen.append(f"→ Running tool: {event.tool} {event.input}")
            case "tool_end":
                assert_type(event, ToolEndEvent)
                seen.append(f"← Tool result: {event.result}")
            case "run_done":
                assert_type(event, RunDoneEvent)
                seen.append(f"Done. Run ID: {event.run_id}")
            case "error":
                assert_type(event, ErrorEvent)
                seen.append(f"Error: {event.message}")
    assert seen == [
        "[thinking] Thinking about it",
        "→ Running tool: search {'q': 'weather'}",
        "← Tool result: sunny",
        "Hello ",
        "world",
        "Done. Run ID: run_1",
    ]


def test_stream_is_not_a_coroutine_and_sends_nothing_until_used(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """messages.stream() returns a stream object at once; the request goes out on first use."""
    route = api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    stream = client.messages.stream("conv_1", "hi")
    assert isinstance(stream, MessageStream)
    assert not route.called
    with stream:
        assert route.call_count == 1
        assert stream.request_id == "req_stream"
        done = stream.until_done()
    assert done == RunDoneEvent(content="Hello world", run_id="run_1")
    assert route.call_count == 1


def test_events_split_across_chunks_arrive_whole(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """However the body is chunked (down to one byte), the same events arrive."""
    body = sse(ALL_EVENTS)
    for size in (1, 7, 64):
        api.post(PATH).mock(
            return_value=event_stream_response(RecordingStream(split_every(body, size)))
        )
        events = [e for e in client.messages.stream("conv_1", "hi")]
        assert [e.type for e in events][-1] == "run_done"
        assert len(events) == len(ALL_EVENTS)


def test_a_compressed_event_stream_is_decoded(client: PhosonClient, api: respx.MockRouter) -> None:
    """An event stream sent with `Content-Encoding: gzip` (a proxy may compress it) arrives as
    the same typed events as an uncompressed one, with the same ids."""
    body = sse(ALL_EVENTS)
    packer = zlib.compressobj(wbits=31)  # gzip, flushed in pieces as a server would send it
    pieces = [
        packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH) for piece in split_every(body, 40)
    ]
    pieces.append(packer.flush())
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    api.post(PATH).mock(
        return_value=httpx.Response(200, headers=headers, stream=RecordingStream(pieces))
    )
    stream = client.messages.stream("conv_1", "hi")
    raw = [sse for sse in stream.iter_sse()]
    assert [(s.event, s.data, s.id) for s in raw] == [
        (name, json.dumps(fields), f"run_1:{number}")
        for number, (name, fields) in enumerate(ALL_EVENTS, start=1)
    ]
    api.post(PATH).mock(
        return_value=httpx.Response(200, headers=headers, stream=RecordingStream(pieces))
    )
    events = [e for e in client.messages.stream("conv_1", "hi")]
    assert [e.type for e in events] == [name for name, _ in ALL_EVENTS]
    assert isinstance(events[-1], RunDoneEvent) and events[-1].content == "Hello world"


def test_heartbeats_and_unknown_event_types_are_skipped_but_reachable(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """`: ping` comments are invisible; an unknown type is skipped by the typed iterator and
    still delivered by iter_sse()."""
    body = (
        b": ping\n\n"
        + sse([("token", {"content": "a"})])
        + b': ping\n\nevent: usage\ndata: {"tokens": 3}\n\n'
        + sse([("run_done", {"content": "a", "run_id": "r"})])
    )
    api.post(PATH).mock(return_value=event_stream_response(body))
    events = [e for e in client.messages.stream("conv_1", "hi")]
    assert events == [TokenEvent(content="a"), RunDoneEvent(content="a", run_id="r")]
    raw = [s for s in client.messages.stream("conv_1", "hi").iter_sse()]
    assert [(s.event, s.data) for s in raw] == [
        ("token", '{"content": "a"}'),
        ("usage", '{"tokens": 3}'),
        ("run_done", '{"content": "a", "run_id": "r"}'),
    ]


def test_event_type_can_come_from_json_when_event_line_is_absent(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Without an `event:` line the JSON's "type" picks the class."""
    body = (
        b'data: {"type": "token", "content": "x"}\n\n'
        b'data: {"type": "novel", "content": "y"}\n\n'
        b'data: {"type": "run_done", "content": "x", "run_id": "r"}\n\n'
    )
    api.post(PATH).mock(return_value=event_stream_response(body))
    events = [e for e in client.messages.stream("conv_1", "hi")]
    assert events == [TokenEvent(content="x"), RunDoneEvent(content="x", run_id="r")]


def test_text_stream_yields_only_tokens(client: PhosonClient, api: respx.MockRouter) -> None:
    """text_stream gives the reply text piece by piece and nothing else."""
    api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    with client.messages.stream("conv_1", "hi") as stream:
        texts = [text for text in stream.text_stream]
        assert texts == ["Hello ", "world"]
        assert (stream.until_done()).run_id == "run_1"


def test_error_event_is_yielded_and_until_done_raises(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """An `error` event is an ErrorEvent when iterating; until_done() and text_stream raise
    RunFailedError carrying its message."""
    body = sse([("token", {"content": "par"}), ("error", {"message": "model overloaded"})])
    api.post(PATH).mock(return_value=event_stream_response(body))
    events = [e for e in client.messages.stream("conv_1", "hi")]
    assert events[-1] == ErrorEvent(message="model overloaded")
    with pytest.raises(RunFailedError) as caught:
        client.messages.stream("conv_1", "hi").until_done()
    assert caught.value.message == "model overloaded"
    assert caught.value.request_id == "req_stream"
    assert str(caught.value) == "run failed: model overloaded"
    texts: list[str] = []
    with pytest.raises(RunFailedError, match="model overloaded"):
        for text in client.messages.stream("conv_1", "hi").text_stream:
            texts.append(text)
    assert texts == ["par"]


def test_http_error_raises_when_stream_is_entered(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A 404 on open raises NotFoundError on `with` entry and on first iteration."""
    api.post(PATH).mock(return_value=json_response(404, {"detail": "Conversation not found"}))
    with pytest.raises(NotFoundError) as caught:
        with client.messages.stream("conv_1", "hi"):
            pytest.fail("entered")
    assert caught.value.detail == "Conversation not found"
    with pytest.raises(NotFoundError):
        for _ in client.messages.stream("conv_1", "hi"):
            pytest.fail("iterated")


# Some event loops close an abandoned iterator from their garbage-collection hook and warn as
# they do so (they ask for a `with` block); the close is what this test is about.
@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_break_closes_the_response(client: PhosonClient, api: respx.MockRouter) -> None:
    """Leaving the loop early closes the HTTP response without reading the rest."""
    body = RecordingStream(split_every(sse(ALL_EVENTS * 50), 40))
    api.post(PATH).mock(return_value=event_stream_response(body))
    for event in client.messages.stream("conv_1", "hi"):
        assert event.type == "reasoning"
        break
    checkpoint()
    assert body.closed
    assert body.served < len(body.chunks)


@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_with_block_closes_the_response(client: PhosonClient, api: respx.MockRouter) -> None:
    """The end of the `with` block closes the response, even on an exception, and close()
    can be repeated."""
    body = RecordingStream(split_every(sse(ALL_EVENTS * 50), 40))
    api.post(PATH).mock(return_value=event_stream_response(body))
    stream: MessageStream | None = None
    with pytest.raises(KeyError):
        with client.messages.stream("conv_1", "hi") as stream:
            for _ in stream:
                raise KeyError("boom")
    assert body.closed
    assert stream is not None
    stream.close()
    with pytest.raises(PhosonError, match="closed before its run finished"):
        stream.until_done()


def test_manual_close(client: PhosonClient, api: respx.MockRouter) -> None:
    """close() by hand releases the response."""
    body = RecordingStream(split_every(sse(ALL_EVENTS), 40))
    api.post(PATH).mock(return_value=event_stream_response(body))
    stream = client.messages.stream("conv_1", "hi")
    stream.__enter__()
    stream.close()
    assert body.closed


def test_stream_ending_without_final_event_raises_incomplete(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A body that ends before run_done (and has no ids to resume from) raises
    IncompleteStreamError saying how many events arrived; it never ends quietly."""
    body = sse([("token", {"content": "a"}), ("token", {"content": "b"})], ids=False)
    api.post(PATH).mock(return_value=event_stream_response(body + b"event: token\ndata: {"))
    got: list[StreamEvent] = []
    with pytest.raises(IncompleteStreamError) as caught:
        for event in client.messages.stream("conv_1", "hi"):
            got.append(event)
    assert len(got) == 2
    assert caught.value.events_received == 2
    assert caught.value.last_event_id is None  # no ids sent: None, as run_id
    assert "2 events received" in str(caught.value)
    assert isinstance(caught.value, PhosonConnectionError)
    with pytest.raises(IncompleteStreamError):
        client.messages.stream("conv_1", "hi").until_done()


def test_transport_error_mid_stream_is_wrapped(client: PhosonClient, api: respx.MockRouter) -> None:
    """A RemoteProtocolError or read timeout mid-stream surfaces as the SDK's error with the
    original as __cause__."""

    first = sse([("token", {"content": "a"})], ids=False)
    for error, cls in [
        (httpx.RemoteProtocolError("peer closed connection"), IncompleteStreamError),
        (httpx.ReadError("connection reset"), IncompleteStreamError),
        (httpx.ReadTimeout("timed out"), PhosonTimeoutError),
    ]:
        api.post(PATH).mock(return_value=event_stream_response(BreakingStream([first], error)))
        with pytest.raises(cls) as caught:
            for _ in client.messages.stream("conv_1", "hi"):
                pass
        assert caught.value.__cause__ is error
        assert isinstance(caught.value, IncompleteStreamError)
        assert caught.value.events_received == 1


def test_malformed_event_data_raises_typed_error(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Non-JSON data or fields that do not match the type raise MalformedEventError naming
    the event type and quoting the data."""
    cases = [
        (b"event: token\ndata: {not json\n\n", "'token' event: data is not valid JSON"),
        (b'event: tool_end\ndata: {"tool": "x"}\n\n', "'tool_end' event: fields do not match"),
        (b'event: token\ndata: {"content": 5}\n\n', "content: Input should be a valid string"),
        (b'event: token\ndata: {"type": "error", "content": "x"}\n\n', "type: Input should be"),
    ]
    for body, message in cases:
        api.post(PATH).mock(return_value=event_stream_response(body))
        with pytest.raises(MalformedEventError) as caught:
            for _ in client.messages.stream("conv_1", "hi"):
                pass
        assert message in str(caught.value)
        assert caught.value.excerpt == body.split(b"data: ")[1].strip().decode()
        assert isinstance(caught.value, PhosonError)


def test_oversized_event_raises(api: respx.MockRouter) -> None:
    """An event larger than max_event_size raises EventTooLargeError instead of growing."""
    big = b"event: token\ndata: " + b"x" * 5000 + b"\n\n"
    api.post(PATH).mock(
        return_value=event_stream_response(RecordingStream([big[:3000], big[3000:]]))
    )
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL, max_event_size=4096) as client:
        with pytest.raises(EventTooLargeError) as caught:
            for _ in client.messages.stream("conv_1", "hi"):
                pass
    assert caught.value.limit == 4096
    assert "4096-byte limit" in str(caught.value)


def test_success_that_is_not_an_event_stream_raises(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A 200 JSON (or HTML) answer to a stream request is a PhosonResponseValidationError."""
    api.post(PATH).mock(return_value=json_response(200, {"hello": "world"}))
    with pytest.raises(PhosonResponseValidationError) as caught:
        for _ in client.messages.stream("conv_1", "hi"):
            pass
    assert "expected an event stream but got 'application/json'" in str(caught.value)
    assert json.loads(caught.value.body_excerpt) == {"hello": "world"}


def test_stream_open_is_retried_before_headers(client: PhosonClient, api: respx.MockRouter) -> None:
    """A 503 or dropped connection before the stream's headers is retried with the same key."""
    route = api.post(PATH).mock(
        side_effect=[
            json_response(503, {"detail": "busy"}),
            httpx.ConnectError("reset"),
            event_stream_response(sse(ALL_EVENTS)),
        ]
    )
    done = client.messages.stream("conv_1", "hi").until_done()
    assert done.run_id == "run_1"
    keys = {request.headers["idempotency-key"] for request in requests_of(route)}
    assert route.call_count == 3 and len(keys) == 1


def test_broken_stream_with_ids_resumes_with_last_event_id(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A stream cut after events with ids is re-requested with the same Idempotency-Key and
    Last-Event-ID, waiting the server's retry: value, and the events continue exactly once."""
    full = sse(ALL_EVENTS)
    cut = b"retry: 1500\n" + full[: full.index(b"event: token")] + b'event: token\ndata: {"con'
    rest = sse(ALL_EVENTS)[full.index(b"event: token") :]
    route = api.post(PATH).mock(
        side_effect=[event_stream_response(cut), event_stream_response(rest)]
    )
    events = [e for e in client.messages.stream("conv_1", "hi")]
    assert [e.type for e in events] == [name for name, _ in ALL_EVENTS]
    first, second = requests_of(route)
    assert "last-event-id" not in first.headers
    assert second.headers["last-event-id"] == "run_1:3"
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.content == second.content
    assert sleeps == [1.5]


def test_resume_gives_up_after_max_retries(client: PhosonClient, api: respx.MockRouter) -> None:
    """A stream that keeps breaking without progress raises IncompleteStreamError with the
    last event id once the reconnect budget (max_retries) is spent."""
    one = sse(ALL_EVENTS[:1])
    route = api.post(PATH).mock(
        side_effect=[event_stream_response(one)] + [event_stream_response(b"")] * 5
    )
    with pytest.raises(IncompleteStreamError) as caught:
        client.messages.stream("conv_1", "hi").until_done()
    assert caught.value.last_event_id == "run_1:1"
    assert caught.value.events_received == 1
    assert "gave up after 2 reconnects" in str(caught.value)
    assert route.call_count == 3


def test_text_stream_yields_a_reply_that_arrives_only_in_run_done(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A run without token events still gives its reply through text_stream, once, from
    run_done.content; with tokens, run_done adds nothing."""
    only_done = sse(
        [("reasoning", {"content": "hm"}), ("run_done", {"content": "Hi!", "run_id": "r"})]
    )
    api.post(PATH).mock(return_value=event_stream_response(only_done))
    assert [t for t in client.messages.stream("conv_1", "hi").text_stream] == ["Hi!"]
    api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    assert [t for t in client.messages.stream("conv_1", "hi").text_stream] == [
        "Hello ",
        "world",
    ]


def test_media_type_of_the_stream_is_case_insensitive(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """`Text/Event-Stream; charset=utf-8` is an event stream (media types ignore case)."""
    response = httpx.Response(
        200,
        headers={"content-type": "Text/Event-Stream; charset=utf-8"},
        content=sse(ALL_EVENTS),
    )
    api.post(PATH).mock(return_value=response)
    done = client.messages.stream("conv_1", "hi").until_done()
    assert done.run_id == "run_1"


LONG_RUN = [("token", {"content": f"t{n} "}) for n in range(1, 9)] + [
    ("run_done", {"content": "".join(f"t{n} " for n in range(1, 9)), "run_id": "run_1"})
]


def test_a_resume_never_repeats_an_event_whatever_the_server_replays(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Cut after k events, the server resumes from any earlier event j (j = 0: it ignores
    Last-Event-ID): for every k and j the tokens are exactly the uncut run's, each once."""
    body = sse(LONG_RUN)
    starts = [i for i in range(len(body)) if body.startswith(b"event:", i)]
    wanted = [e for _, e in LONG_RUN if "run_id" not in e]
    for k in range(1, len(LONG_RUN)):
        for j in range(0, k + 1):
            cut = body[: starts[k]] + b'event: token\ndata: {"cont'
            route = api.post(PATH).mock(
                side_effect=[event_stream_response(cut), event_stream_response(body[starts[j] :])]
            )
            events = [e for e in client.messages.stream("conv_1", "hi")]
            tokens = [e.content for e in events if e.type == "token"]
            assert tokens == [e["content"] for e in wanted], (k, j)
            assert events[-1].type == "run_done"
            assert route.calls.last.request.headers["last-event-id"] == f"run_1:{k}"
