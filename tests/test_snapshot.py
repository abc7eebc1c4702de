"""StreamSnapshot (phoson._snapshot): what a run's typed events add up to. No I/O."""

from __future__ import annotations

import sys
import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from phoson._models import (
    ErrorEvent,
    ReasoningEvent,
    RunDoneEvent,
    StreamEvent,
    TokenEvent,
    ToolEndEvent,
    ToolStartEvent,
)
from phoson._snapshot import StreamSnapshot, ToolCall

_text = st.text(max_size=8)
_ids = st.sampled_from(["c1", "c2", "c3"])
_events = st.lists(
    st.one_of(
        st.builds(TokenEvent, content=_text),
        st.builds(ReasoningEvent, content=_text),
        st.builds(ToolStartEvent, tool=st.just("t"), input=st.just({"q": 1}), tool_call_id=_ids),
        st.builds(ToolEndEvent, tool=st.just("t"), result=_text, tool_call_id=_ids),
    ),
    max_size=30,
)


@given(_events)
def test_snapshot_adds_up_the_events(events: list[StreamEvent]) -> None:
    """text and reasoning are their events' contents joined (read at any point); each tool call
    appears once, in the order first seen, with its latest result (None before its tool_end),
    and a tool_end that came before its tool_start keeps its result (issue 21, case 3)."""
    snapshot = StreamSnapshot()
    expected_calls: dict[str, ToolCall] = {}
    for number, event in enumerate(events):
        snapshot.add(event)
        if event.type == "tool_start":
            ended = expected_calls.get(event.tool_call_id)
            result = None if ended is None else ended.result
            expected_calls[event.tool_call_id] = ToolCall(
                event.tool_call_id, "t", event.input, result
            )
        elif event.type == "tool_end":
            old = expected_calls.get(event.tool_call_id, ToolCall(event.tool_call_id, "t", {}))
            expected_calls[event.tool_call_id] = ToolCall(
                old.tool_call_id, "t", old.input, event.result
            )
        if number % 3 == 0:  # reading in between changes nothing
            assert snapshot.text == "".join(
                e.content for e in events[: number + 1] if e.type == "token"
            )
    assert snapshot.text == "".join(e.content for e in events if e.type == "token")
    assert snapshot.reasoning == "".join(e.content for e in events if e.type == "reasoning")
    assert snapshot.tool_calls == list(expected_calls.values())
    assert snapshot.run_id is None


def test_a_long_run_keeps_its_text_whole() -> None:
    """Over more tokens than are kept apart, text is still every token once, in order, whether
    read along the way or only at the end."""
    read_along, read_at_end = StreamSnapshot(), StreamSnapshot()
    for number in range(5000):
        event = TokenEvent(content=f"{number},")
        read_along.add(event)
        read_at_end.add(event)
        if number % 777 == 0:
            assert read_along.text.endswith(f"{number},")
    expected = "".join(f"{number}," for number in range(5000))
    assert read_along.text == read_at_end.text == expected


def test_run_done_gives_the_run_id_and_a_token_less_reply() -> None:
    """run_done sets run_id; when no token arrived, its content is the text. An error event
    sets neither."""
    snapshot = StreamSnapshot()
    snapshot.add(ErrorEvent(message="boom"))
    assert (snapshot.run_id, snapshot.text) == (None, "")
    snapshot.add(RunDoneEvent(content="Whole reply", run_id="run_7"))
    assert (snapshot.run_id, snapshot.text) == ("run_7", "Whole reply")
    streamed = StreamSnapshot()
    streamed.add(TokenEvent(content="Hi"))
    streamed.add(RunDoneEvent(content="Hi", run_id="run_8"))
    assert streamed.text == "Hi"


def test_a_tool_end_before_its_tool_start_keeps_its_result() -> None:
    """tool_end, then its tool_start: the call has the start's tool and input and the result."""
    snapshot = StreamSnapshot()
    snapshot.add(ToolEndEvent(tool="search", result="sunny", tool_call_id="c1"))
    snapshot.add(ToolStartEvent(tool="search", input={"q": "w"}, tool_call_id="c1"))
    assert snapshot.tool_calls == [ToolCall("c1", "search", {"q": "w"}, "sunny")]


def test_reads_from_other_threads_never_change_the_text() -> None:
    """Two threads read text and reasoning as fast as they can (with a tiny thread switch
    interval) while one thread adds 20,000 tokens, over and over for 1.5 s: every read is a prefix of the
    whole text made of whole tokens, and the final text is every token once, in order (issue 21,
    case 2: a read used to join the pieces in place, losing or repeating blocks of them)."""
    tokens = [f"{n}," for n in range(20_000)]
    whole = "".join(tokens)
    bad: list[str] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not bad:
            snapshot = StreamSnapshot()
            stop = threading.Event()

            def read(snapshot: StreamSnapshot = snapshot, stop: threading.Event = stop) -> None:
                try:
                    while not stop.is_set():
                        for _ in range(50):
                            snapshot.text  # noqa: B018  (reads, for their effect: none)
                            snapshot.reasoning  # noqa: B018
                        text = snapshot.text
                        if not whole.startswith(text) or (text and not text.endswith(",")):
                            bad.append(text[-30:])
                except Exception as error:  # a read that raises is as wrong as a wrong read
                    bad.append(repr(error))

            readers = [threading.Thread(target=read) for _ in range(2)]
            for reader in readers:
                reader.start()
            try:
                for token in tokens:
                    snapshot.add_token(token)
            finally:
                stop.set()
                for reader in readers:
                    reader.join()
            if snapshot.text != whole:
                bad.append("the final text is not every token once, in order")
    finally:
        sys.setswitchinterval(interval)
    assert bad == []
