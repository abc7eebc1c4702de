# DO NOT EDIT: generated from tests/_async/test_stream_snapshots.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Stream snapshots: stream.text, reasoning, tool_calls and run_id while iterating and after;
stream.response after the end; IncompleteStreamError.partial_text."""

from __future__ import annotations

from typing import assert_type

import httpx
import pytest
import respx

from phoson import IncompleteStreamError, PhosonClient, ToolCall
from phoson.testing import LocalPhosonServer
from tests.payloads import (
    ALL_EVENTS,
    BreakingStream,
    assert_sent,
    event_stream_response,
    sse,
)

PATH = "/conversations/conv_1/messages"


def test_snapshots_grow_event_by_event_and_stay_after_the_end(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """While iterating, text, reasoning, tool_calls and run_id show what has arrived so far
    (a tool call's result is None until its tool_end); after the end they hold the whole run."""
    route = api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    seen: list[tuple[str, str, str, list[ToolCall], str | None]] = []
    with client.messages.stream("conv_1", "hi") as stream:
        assert (stream.text, stream.tool_calls, stream.reasoning) == ("", [], "")
        for event in stream:
            seen.append(
                (event.type, stream.text, stream.reasoning, stream.tool_calls, stream.run_id)
            )
    assert_sent(route.calls.last.request, "POST", PATH, {"content": "hi", "stream": True}, accept="text/event-stream")  # fmt: skip
    started = ToolCall("call_1", "search", {"q": "weather"}, None)
    ended = ToolCall("call_1", "search", {"q": "weather"}, "sunny")
    thinking = "Thinking about it"
    assert seen == [
        ("reasoning", "", thinking, [], None),
        ("tool_start", "", thinking, [started], None),
        ("tool_end", "", thinking, [ended], None),
        ("token", "Hello ", thinking, [ended], None),
        ("token", "Hello world", thinking, [ended], None),
        ("run_done", "Hello world", thinking, [ended], "run_1"),
    ]
    assert (stream.text, stream.reasoning, stream.run_id) == ("Hello world", thinking, "run_1")
    assert_type(stream.text, str)
    assert_type(stream.tool_calls, list[ToolCall])
    assert_type(stream.run_id, str | None)


def test_response_stays_readable_after_the_stream_ended(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """stream.response keeps its status and headers after the run ended and the stream closed."""
    api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS), request_id="req_s1"))
    stream = client.messages.stream("conv_1", "hi")
    before = stream.response
    assert before is None  # not opened yet
    done = stream.until_done()
    assert done.run_id == "run_1"
    response = stream.response
    assert response is not None
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req_s1"
    assert response.headers["content-type"] == "text/event-stream"


def test_a_broken_stream_carries_the_text_received(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A stream that breaks and cannot resume raises IncompleteStreamError whose partial_text is
    the reply received so far (also stream.text); the message does not quote it."""
    body = sse(ALL_EVENTS, ids=False)
    cut = body.index(b"event: run_done")
    broken = BreakingStream([body[:cut]], httpx.RemoteProtocolError("peer closed"))
    api.post(PATH).mock(return_value=event_stream_response(broken))
    stream = client.messages.stream("conv_1", "hi")
    with pytest.raises(IncompleteStreamError) as caught:
        for _ in stream:
            pass
    assert caught.value.partial_text == "Hello world" == stream.text
    assert "Hello world" not in str(caught.value)
    assert stream.tool_calls == [ToolCall("call_1", "search", {"q": "weather"}, "sunny")]
    assert stream.run_id is None


def test_a_resumed_stream_has_each_piece_of_text_once(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """Against the local server, a stream cut mid-run resumes and stream.text is the reply
    exactly once, equal to run_done's content; text_stream consumers see the same."""
    agent = live_client.agents.create(name="n", description="d")
    conv = live_client.conversations.create(agent.id)
    server.cut_stream_after(4)
    with live_client.messages.stream(conv.id, "Hello there", reasoning_effort="low") as stream:
        pieces = [piece for piece in stream.text_stream]
    assert stream.text == "".join(pieces)
    assert stream.text.startswith("You said: Hello there.")
    assert stream.reasoning and stream.run_id is not None and stream.run_id.startswith("run_")
    resumed = [r for r in server.stats.requests if r.path.endswith("/messages")]
    assert len(resumed) == 2 and "last-event-id" in resumed[1].headers
