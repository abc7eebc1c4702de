"""phoson._streaming: turning server-sent events into typed events and tracking progress."""

# White-box test: reads the bound on the stream state's recent ids.
# pyright: reportPrivateUsage=false

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson import MalformedEventError, RunDoneEvent, TokenEvent
from phoson._sse import ServerSentEvent
from phoson._streaming import RECENT_IDS, StreamState, parse_event
from tests.budget import examples


def test_event_name_picks_the_class() -> None:
    """`event: token` validates the data as a TokenEvent; unknown names give None."""
    assert parse_event(ServerSentEvent("token", '{"content": "hi"}')) == TokenEvent(content="hi")
    assert parse_event(ServerSentEvent("usage", '{"tokens": 1}')) is None


def test_json_type_decides_when_event_line_is_absent() -> None:
    """A plain `message` event is typed by its JSON "type"; an unknown type gives None."""
    done = parse_event(
        ServerSentEvent("message", '{"type": "run_done", "content": "", "run_id": "r"}')
    )
    assert done == RunDoneEvent(content="", run_id="r")
    assert parse_event(ServerSentEvent("message", '{"type": "later"}')) is None
    with pytest.raises(MalformedEventError, match="data is not a JSON object"):
        parse_event(ServerSentEvent("message", "[1]"))


def test_state_counts_events_and_notices_the_end() -> None:
    """feed() counts events and marks the stream finished at run_done or error."""
    state = StreamState(max_event_size=1024)
    assert state.feed(b'event: token\ndata: {"content": "a"}\nid: r:1\n\n')[0].id == "r:1"
    assert (state.events_received, state.finished, state.last_event_id) == (1, False, "r:1")
    state.feed(b'event: error\ndata: {"message": "x"}\n\n')
    assert state.finished and not state.can_resume()


def test_resume_rules() -> None:
    """A stream can resume with an id, or from scratch before any event; not without ids."""
    assert StreamState(1024).can_resume()  # nothing arrived yet: ask again, same key
    no_ids = StreamState(1024)
    no_ids.feed(b'event: token\ndata: {"content": "a"}\n\n')
    assert not no_ids.can_resume()
    with_ids = StreamState(1024)
    with_ids.feed(b'retry: 1500\nevent: token\ndata: {"content": "a"}\nid: r:1\n\nevent: tok')
    assert with_ids.can_resume()


def test_reconnect_keeps_id_and_retry_and_drops_the_partial_event() -> None:
    """After a reconnect the last id and the server's retry survive; half an event does not."""
    state = StreamState(1024)
    state.feed(b'retry: 1500\n\nevent: token\ndata: {"content": "a"}\nid: r:1\n\nevent: token\nda')
    state.reconnected()
    assert (state.last_event_id, state.retry_ms) == ("r:1", 1500)
    assert state.reconnect_delay(0) == 1.5
    assert [e.data for e in state.feed(b'ta: {"content": "b"}\n\n')] == []
    assert state.events_received == 1


def test_reconnect_delay_is_capped_and_falls_back_to_backoff() -> None:
    """A huge retry: is capped at 60 s; without one the usual backoff applies."""
    state = StreamState(1024)
    state.feed(b"retry: 99999999\n\n")
    assert state.reconnect_delay(0) == 60.0
    assert 0.375 <= StreamState(1024).reconnect_delay(0) <= 0.5


def _events(first: int, last: int) -> bytes:
    return b"".join(
        b'event: token\ndata: {"content": "t%d"}\nid: r:%d\n\n' % (n, n)
        for n in range(first, last + 1)
    )


def test_feed_stops_at_a_final_event_named_or_typed_in_the_json() -> None:
    """The final event ends the batch (what follows is dropped), whether the `event:` line or
    the JSON's "type" names it; it is the run's `final` once delivered, not before."""
    for final in (
        b'event: run_done\ndata: {"content": "x", "run_id": "r"}\n\n',
        b'data: {"type": "run_done", "content": "x", "run_id": "r"}\n\n',
    ):
        state = StreamState(1024)
        events = state.feed(_events(1, 2) + final + _events(3, 4))
        assert len(events) == 3 and state.finished
        # Decoded is not delivered: `final` waits for the reader to take the event.
        assert state.final is None
        for sse in events:
            state.typed(sse)
        assert state.final == RunDoneEvent(content="x", run_id="r")
    untyped = StreamState(1024)
    untyped.feed(b'data: {"type": "token", "content": "an error here"}\n\n')
    assert not untyped.finished


def test_a_replay_from_the_start_of_a_long_run_is_skipped() -> None:
    """A server that ignores Last-Event-ID replays a 3,000-event run from its first event:
    everything up to the resume id is skipped, however far back (beyond the recent-id window),
    and the run continues after it."""
    state = StreamState(1 << 20)
    assert len(state.feed(_events(1, 2500))) == 2500
    state.reconnected()
    assert state.last_event_id == "r:2500"
    assert state.feed(_events(1, 2400)) == []
    fresh = state.feed(_events(2401, 3000))
    assert [e.id for e in fresh] == [f"r:{n}" for n in range(2501, 3001)]
    assert state.events_received == 3000


@pytest.mark.parametrize("one_by_one", [True, False])
def test_a_replay_from_any_recent_event_is_skipped_and_memory_stays_bounded(
    one_by_one: bool,
) -> None:
    """Over a 5,000-event run (one event per chunk, or 100), a stream remembers a bounded
    number of recent ids, yet a replay that starts at any of the latest RECENT_IDS events is
    recognised and skipped up to the resume id."""
    total = 5000
    for start in (total - RECENT_IDS + 1, total - 500, total):
        state = StreamState(1 << 20)
        step = 1 if one_by_one else 100
        for first in range(1, total + 1, step):
            assert len(state.feed(_events(first, first + step - 1))) == step
            assert len(state._recent_ids) <= RECENT_IDS + 128
        state.reconnected()
        assert state.feed(_events(start, total)) == []
        fresh = state.feed(_events(total + 1, total + 2))
        assert [e.id for e in fresh] == [f"r:{total + 1}", f"r:{total + 2}"]
        assert state.events_received == total + 2


def test_a_correct_resume_is_not_mistaken_for_a_replay() -> None:
    """A server that resumes where asked delivers every event, including ones without an id
    of their own right after the resume."""
    state = StreamState(1024)
    state.feed(_events(1, 3))
    state.reconnected()
    fresh = state.feed(b'event: token\ndata: {"content": "no id"}\n\n' + _events(4, 5))
    assert fresh[0].data == '{"content": "no id"}'
    assert len(fresh) == 3 and state.last_event_id == "r:5"


def test_is_event_stream_ignores_case_and_parameters() -> None:
    """Media types compare case-insensitively; parameters do not matter."""
    from phoson._streaming import is_event_stream

    assert is_event_stream("Text/Event-Stream; charset=utf-8")
    assert is_event_stream("text/event-stream")
    assert not is_event_stream("application/json")
    assert not is_event_stream("")


# -- Hand-inlined copies, pinned to their general twins ----------------------------------------

_names = st.sampled_from(
    ["token", "reasoning", "tool_start", "tool_end", "run_done", "error", "message", "usage"]
)
_data = st.one_of(
    st.sampled_from(
        [
            '{"content": "hi"}',
            '{"content": 1}',
            '{"type": "token", "content": "x"}',
            '{"type": "run_done", "content": "", "run_id": "r"}',
            '{"message": "boom"}',
            '{"tool": "t", "input": {}, "tool_call_id": "c"}',
            '{"tool": "t", "result": "r", "tool_call_id": "c"}',
            "[1]",
            "not json",
            "",
            "[" * 5000,
        ]
    ),
    st.text(max_size=20),
)


def _outcome(parse: Callable[[], object]) -> object:
    try:
        return ("value", parse())
    except MalformedEventError as error:
        return ("error", str(error))


@settings(max_examples=examples(300))
@given(names=st.lists(_names, min_size=1, max_size=4), data=st.lists(_data, min_size=4, max_size=4))
def test_typed_is_parse_event_with_bookkeeping(names: list[str], data: list[str]) -> None:
    """StreamState.typed is parse_event plus bookkeeping (it used to inline parse_event's hot
    path, for 0.6% on the bench `stream` row): for any event, seen before or not, it returns
    what parse_event returns, or raises the same MalformedEventError."""
    state = StreamState(1024)
    for name, text in zip(names, data, strict=False):
        sse = ServerSentEvent(name, text)
        assert _outcome(partial(state.typed, sse)) == _outcome(partial(parse_event, sse))


_plain = st.tuples(
    st.sampled_from(["token", "reasoning", "usage"]),
    st.sampled_from(["a", "b c", "é"]),
    st.sampled_from(["", "1", "2", "x"]),
)


def _frame(name: str, content: str, event_id: str) -> bytes:
    line = f"id: {event_id}\n" if event_id else ""
    return f'event: {name}\ndata: {{"content": "{content}"}}\n{line}\n'.encode()


def _progress(state: StreamState) -> tuple[object, ...]:
    return (state.events_received, state.last_event_id, state.finished, state.can_resume())


@settings(max_examples=examples(200))
@given(st.lists(_plain, min_size=1, max_size=12), st.booleans())
def test_feeds_one_event_fast_path_keeps_the_same_books(
    frames: list[tuple[str, str, str]], resumed: bool
) -> None:
    """feed() has a shortcut for a chunk of one event that cannot end the run (bench `stream`
    and `scale` rows: most chunks of a live stream): the same events, counts, resume point and
    replay detection as the general path, which one chunk of several events takes."""
    one_by_one, all_at_once = StreamState(1024), StreamState(1024)
    if resumed:  # both resume after an id seen before: replay detection is on
        for state in (one_by_one, all_at_once):
            state.feed(_frame("token", "a", "1") + _frame("token", "b", "1"))
            state.reconnected()
    got = [sse for frame in frames for sse in one_by_one.feed(_frame(*frame))]
    assert got == all_at_once.feed(b"".join(_frame(*frame) for frame in frames))
    assert _progress(one_by_one) == _progress(all_at_once)
    after = _frame("token", "z", "9")
    assert one_by_one.feed(after) == all_at_once.feed(after)
