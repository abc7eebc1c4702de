# DO NOT EDIT: generated from tests/_async/test_stream_contract.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The stream's contract (docs/reliability.md, "The stream's contract"), case by case: every
event delivered once and in order whatever mix of readers the caller uses, snapshots that hold
the whole run when until_done() returns, nothing after close(), a reconnect budget that ends.
Each test is a case found on main (issue 21) or by the stream machine (tests/test_stream_machine.py)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
import respx

from phoson import (
    IncompleteStreamError,
    PhosonClient,
    PhosonError,
    RunDoneEvent,
    StreamEvent,
    TokenEvent,
    ToolCall,
)
from tests.payloads import BreakingStream, event_stream_response, requests_of, sse

PATH = "/conversations/conv_1/messages"
RUN = [
    ("token", {"content": "Hello "}),
    ("token", {"content": "big "}),
    ("token", {"content": "world"}),
    ("run_done", {"content": "Hello big world", "run_id": "run_1"}),
]
DONE = RunDoneEvent(content="Hello big world", run_id="run_1")


def test_break_then_until_done_reads_the_rest_of_the_chunk_once(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """The whole run in one chunk: `break` after the first token, then until_done() delivers the
    other tokens (text holds the whole reply) and returns run_done; a later loop yields nothing,
    and until_done() again returns the same run_done."""
    api.post(PATH).mock(return_value=event_stream_response(sse(RUN)))
    with client.messages.stream("conv_1", "hi") as stream:
        for event in stream:
            assert event == TokenEvent(content="Hello ")
            break
        assert stream.text == "Hello "
        assert stream.until_done() == DONE
        assert stream.text == "Hello big world"
        assert stream.run_id == "run_1"
        assert [event for event in stream] == []
        assert [piece for piece in stream.text_stream] == []
        assert [raw for raw in stream.iter_sse()] == []
        assert stream.until_done() == DONE
    assert len(api.calls) == 1


def test_break_then_a_second_loop_yields_run_done_once(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """`break`, then another `for`: the rest of the run once, ending with run_done once."""
    api.post(PATH).mock(return_value=event_stream_response(sse(RUN)))
    with client.messages.stream("conv_1", "hi") as stream:
        for _ in stream:
            break
        rest = [event for event in stream]
        assert [event.type for event in rest] == ["token", "token", "run_done"]
        assert [event for event in stream] == []
        assert stream.until_done() == DONE
    assert stream.text == "Hello big world"


def test_until_done_after_close_raises_though_the_final_event_was_received(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """run_done arrived in the chunk but was not delivered when close() was called: until_done()
    raises PhosonError (the run's end was never delivered), and nothing more is delivered."""
    api.post(PATH).mock(return_value=event_stream_response(sse(RUN)))
    stream = client.messages.stream("conv_1", "hi")
    for _ in stream:
        break
    stream.close()
    with pytest.raises(PhosonError, match="closed before its run finished"):
        stream.until_done()
    assert [event for event in stream] == []
    assert [raw for raw in stream.iter_sse()] == []
    assert stream.text == "Hello "
    assert stream.run_id is None


def test_iter_sse_then_until_done_keeps_the_snapshots_whole(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Events read raw with iter_sse() count as delivered: until_done() afterwards does not
    deliver them again, and text and run_id hold the whole run."""
    api.post(PATH).mock(return_value=event_stream_response(sse(RUN)))
    with client.messages.stream("conv_1", "hi") as stream:
        raw = stream.iter_sse()
        first = raw.__next__()
        assert (first.event, first.id) == ("token", "run_1:1")
        assert stream.__next__() == TokenEvent(content="big ")
        assert stream.until_done() == DONE
    assert stream.text == "Hello big world"


def test_a_tool_end_before_its_tool_start_keeps_its_result(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A tool_end that arrives before its tool_start: tool_calls pairs them, keeping the result
    and the start's tool name and input."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("tool_end", {"tool": "search", "result": "sunny", "tool_call_id": "c1"}),
        ("tool_start", {"tool": "search", "input": {"q": "weather"}, "tool_call_id": "c1"}),
        ("run_done", {"content": "", "run_id": "run_1"}),
    ]
    api.post(PATH).mock(return_value=event_stream_response(sse(events)))
    stream = client.messages.stream("conv_1", "hi")
    stream.until_done()
    assert stream.tool_calls == [ToolCall("c1", "search", {"q": "weather"}, "sunny")]


def test_an_id_less_first_event_does_not_make_resumes_endless(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Each response starts with an event without `id:` (the server replays it on every resume)
    and breaks after an event with an id: the stream gives up after max_retries reconnects, and
    no event is delivered twice."""
    body = (
        b'event: token\ndata: {"content": "a"}\n\nevent: token\ndata: {"content": "b"}\nid: e1\n\n'
    )
    responses = [
        event_stream_response(BreakingStream([body], httpx.ReadError("cut"))) for _ in range(20)
    ]
    route = api.post(PATH).mock(side_effect=responses)
    stream = client.messages.stream("conv_1", "hi", max_retries=2)
    received: list[StreamEvent] = []
    with pytest.raises(IncompleteStreamError, match="gave up after 2 reconnects"):
        for event in stream:
            received.append(event)
    assert route.call_count == 3
    assert [event.content for event in received if event.type == "token"] == ["a", "b"]
    assert stream.text == "ab"


def test_id_less_events_after_a_real_resume_are_delivered(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """The server resumes where asked and the new connection starts with id-less events: they
    are new (the first id that follows is new), delivered once and in order."""
    first = b'event: token\ndata: {"content": "a"}\nid: e1\n\n'
    rest = (
        b'event: token\ndata: {"content": "b"}\n\n'
        b'event: token\ndata: {"content": "c"}\nid: e3\n\n'
        b'event: run_done\ndata: {"content": "abc", "run_id": "r"}\nid: e4\n\n'
    )
    api.post(PATH).mock(
        side_effect=[
            event_stream_response(BreakingStream([first], httpx.ReadError("cut"))),
            event_stream_response(rest),
        ]
    )
    stream = client.messages.stream("conv_1", "hi")
    assert (stream.until_done()).content == "abc"
    assert stream.text == "abc"
    assert requests_of(api)[1].headers["last-event-id"] == "e1"


def test_a_replay_cut_before_the_resume_point_resumes_from_the_same_id(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """The server ignores Last-Event-ID, replays from the start and breaks before reaching the
    resume point: the next resume still asks for the events after the last one delivered, and
    every event is delivered exactly once."""
    events = [("token", {"content": c}) for c in "abcdef"] + [
        ("run_done", {"content": "abcdef", "run_id": "run_1"})
    ]
    body = sse(events)
    blocks = [block + b"\n\n" for block in body.split(b"\n\n") if block]
    api.post(PATH).mock(
        side_effect=[
            event_stream_response(BreakingStream(blocks[:4], httpx.ReadError("cut"))),
            event_stream_response(BreakingStream(blocks[:2], httpx.ReadError("cut"))),
            event_stream_response(b"".join(blocks)),
        ]
    )
    stream = client.messages.stream("conv_1", "hi")
    assert (stream.until_done()).run_id == "run_1"
    assert stream.text == "abcdef"
    assert [request.headers.get("last-event-id") for request in requests_of(api)] == [
        None,
        "run_1:4",
        "run_1:4",
    ]


def test_snapshots_read_from_another_thread_never_change_the_data(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Another thread reads stream.text over and over while the stream delivers 5,000 tokens:
    the text it sees only ever grows by whole tokens, and the final text is the whole reply."""
    tokens = [f"{n} " for n in range(5000)]
    run = [("token", {"content": t}) for t in tokens]
    run.append(("run_done", {"content": "".join(tokens), "run_id": "run_1"}))
    api.post(PATH).mock(return_value=event_stream_response(sse(run)))
    whole = "".join(tokens)
    stop = threading.Event()
    bad: list[str] = []
    stream = client.messages.stream("conv_1", "hi")

    def read_text() -> None:
        while not stop.is_set():
            text = stream.text
            if not whole.startswith(text):
                bad.append(text[-40:])

    reader = threading.Thread(target=read_text)
    reader.start()
    try:
        stream.until_done()
    finally:
        stop.set()
        reader.join()
    assert bad == []
    assert stream.text == whole
