"""The SSE decoder (phoson._sse) against the WHATWG "interpreting an event stream" algorithm.

Every concrete input is also fed split at every byte offset and byte by byte, and must give the
same events, last event id and retry as when fed whole. Hypothesis compares the decoder with a
small, naive reference implementation of the algorithm written below.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson._exceptions import EventTooLargeError
from phoson._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder

SSE = ServerSentEvent
BOM = b"\xef\xbb\xbf"


class Result(NamedTuple):
    events: list[ServerSentEvent]
    last_event_id: str
    retry: int | None


def partial(decoder: SSEDecoder) -> bool:
    """decoder.has_partial_event (a call, so that mypy does not narrow it between feeds)."""
    return decoder.has_partial_event


def decode(chunks: list[bytes], last_event_id: str = "", max_event_size: int = 1 << 30) -> Result:
    """Feed the chunks to a fresh decoder, then close it."""
    decoder = SSEDecoder(last_event_id, max_event_size=max_event_size)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    assert decoder.events_dispatched == len(events)
    return Result(events, decoder.last_event_id, decoder.retry)


# -- An independent, naive reference implementation of the spec ------------------------------


def reference(stream: bytes, last_event_id: str = "") -> Result:
    """The WHATWG algorithm, literally: decode everything, then walk the text line by line."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r" or char == "\n":
            lines.append(current)
            current = ""
            if char == "\r" and text[i + 1 : i + 2] == "\n":
                i += 1
        else:
            current += char
        i += 1
    # `current` is an unterminated line: the spec discards it at the end of the stream.

    events: list[ServerSentEvent] = []
    data_buffer = event_type = ""
    id_buffer = last_id = last_event_id
    retry: int | None = None
    for line in lines:
        if line == "":
            last_id = id_buffer
            if data_buffer == "":
                event_type = ""
                continue
            if data_buffer.endswith("\n"):
                data_buffer = data_buffer[:-1]
            events.append(SSE(event_type or "message", data_buffer, last_id, retry))
            data_buffer = event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            field, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            field, value = line, ""
        if field == "event":
            event_type = value
        elif field == "data":
            data_buffer += value + "\n"
        elif field == "id":
            if "\0" not in value:
                id_buffer = value
        elif field == "retry" and value and all(c in "0123456789" for c in value):
            try:
                retry = int(value)
            except ValueError:  # beyond int()'s digit limit: the decoder ignores it too
                pass
    return Result(events, last_id, retry)


def check(stream: bytes, expected: list[ServerSentEvent], last_event_id: str = "") -> Result:
    """Assert the events of `stream`, whole, split in two anywhere, byte by byte, and per spec."""
    whole = decode([stream], last_event_id)
    assert whole.events == expected
    assert whole == reference(stream, last_event_id)
    for i in range(len(stream) + 1):
        assert decode([stream[:i], stream[i:]], last_event_id) == whole, f"split at {i}"
    assert decode([stream[i : i + 1] for i in range(len(stream))], last_event_id) == whole
    return whole


# -- Lines and line ends ----------------------------------------------------------------------


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"])
def test_each_line_end(end: bytes) -> None:
    """LF, CR and CRLF each end a line."""
    stream = b"event: a" + end + b"data: x" + end + b"data: y" + end + end
    check(stream, [SSE("a", "x\ny")])


def test_mixed_line_ends() -> None:
    """CR, LF and CRLF may be mixed in one stream; CR CR is two line ends, LF CR too."""
    stream = b"data: a\r\ndata: b\rdata: c\n\r" + b"data: d\r\r" + b"data: e\n\r\n"
    check(stream, [SSE(data="a\nb\nc"), SSE(data="d"), SSE(data="e")])


def test_chunk_ending_in_cr_dispatches_at_once() -> None:
    """A chunk ending with the CR of an empty line dispatches without waiting for the next."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\n\r") == [SSE(data="x")]
    # The LF starting the next chunk completes that CRLF; it is not another empty line.
    assert decoder.feed(b"\ndata: y\r") == []
    assert decoder.feed(b"\r") == [SSE(data="y")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    """A CRLF split between two chunks ends one line, so the event is not cut in two."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\n\n") == [SSE(data="a\nb")]
    check(b"data: a\r\ndata: b\r\n\r\n", [SSE(data="a\nb")])


def test_lf_after_cr_swallowed_only_once() -> None:
    """Only one LF after a chunk-final CR is swallowed, even across empty chunks."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [SSE(data="a")]


# -- BOM and UTF-8 ------------------------------------------------------------------------------


def test_leading_bom_stripped() -> None:
    """One UTF-8 BOM at the very start is ignored, also when split over the first chunks."""
    check(BOM + b"data: x\n\n", [SSE(data="x")])
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert partial(decoder)
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: x\n\n") == [SSE(data="x")]


def test_bom_stripped_only_once_and_only_at_start() -> None:
    """A second BOM, or one after the start, is text: it makes the field name unknown."""
    check(BOM + BOM + b"data: x\n\ndata: y\n\n", [SSE(data="y")])
    check(b"data: x\n\n" + BOM + b"data: y\n\n", [SSE(data="x")])
    check(b"data: " + BOM + b"x\n\n", [SSE(data="\ufeffx")])


def test_partial_bom_is_text() -> None:
    """Bytes that start like a BOM but are not one are decoded (as replacement characters)."""
    check(b"\xef\xbbdata: x\n\ndata: y\n\n", [SSE(data="y")])
    check(b"\xefdata: x\n\n", [])


def test_invalid_utf8_replaced() -> None:
    """Invalid UTF-8 in values becomes U+FFFD; a character split between chunks survives."""
    check(b"data: \xff\xfe a\xe2\x82\n\n", [SSE(data="\ufffd\ufffd a\ufffd")])
    check("event: é\ndata: 日本\nid: ü\n\n".encode(), [SSE("é", "日本", "ü")])
    check(b"event: \xff\ndata: x\nid: \xc3\n\n", [SSE("\ufffd", "x", "\ufffd")])


# -- Fields ---------------------------------------------------------------------------------------


def test_data_lines_joined_with_lf() -> None:
    """Data lines are joined with LF; one trailing LF is removed; empty data lines count."""
    check(b"data: a\ndata:\ndata: b\n\n", [SSE(data="a\n\nb")])
    check(b"data\n\n", [SSE(data="")])
    check(b"data\ndata\n\n", [SSE(data="\n")])
    check(b"data: \n\n", [SSE(data="")])


def test_one_space_after_colon_stripped() -> None:
    """Exactly one space after the colon is removed; other colons stay in the value."""
    check(b"data:x\n\n", [SSE(data="x")])
    check(b"data:  x \n\n", [SSE(data=" x ")])
    check(b'data: {"a": 1}\n\n', [SSE(data='{"a": 1}')])
    check(b"data:x: y\n\n", [SSE(data="x: y")])
    check(b"data:\tx\n\n", [SSE(data="\tx")])


def test_field_without_colon_has_empty_value() -> None:
    """A line without a colon is a field name with an empty value."""
    check(b"event\ndata\nid\n\n", [SSE("message", "", "")])
    check(b"id: 1\ndata: x\n\nid\ndata: y\n\n", [SSE(data="x", id="1"), SSE(data="y", id="")])


def test_unknown_fields_ignored() -> None:
    """Unknown field names, and names that only start like known ones, are ignored."""
    check(b"foo: bar\ndata: x\nDATA: y\ndata : z\ndatas: w\n\n", [SSE(data="x")])
    check(b"foo: bar\n\n", [])


def test_comments_skipped() -> None:
    """Lines starting with a colon are comments, wherever they are."""
    check(b": hello\ndata: a\n:\n: data: no\ndata: b\n\n", [SSE(data="a\nb")])
    check(b":ping\n\n:ping\n\n", [])
    check(b"data: a\n:c\r:d\r\n\n", [SSE(data="a")])


def test_long_comment_is_not_kept() -> None:
    """A comment line arriving in many chunks is dropped as it comes, not held or counted."""
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b":") == []
    for _ in range(100):
        assert decoder.feed(b"x" * 100) == []
    assert not partial(decoder)
    assert decoder.feed(b"\ndata: y\n\n") == [SSE(data="y")]


def test_event_type_defaults_and_resets() -> None:
    """The type is "message" without an event line (or with an empty one) and resets per event."""
    check(
        b"event: a\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: b\nevent: c\ndata: 4\n\n",
        [SSE("a", "1"), SSE("message", "2"), SSE("message", "3"), SSE("c", "4")],
    )


def test_blocks_without_data_dispatch_nothing() -> None:
    """Event-only, id-only, retry-only and comment-only blocks dispatch no event."""
    check(b"event: a\n\nid: 1\n\nretry: 5\n\n: c\n\n", [])
    # The event-only block's type does not leak into the next event.
    check(b"event: a\n\ndata: x\n\n", [SSE("message", "x", "")])


def test_id_only_block_sets_last_event_id_at_blank_line() -> None:
    """An id-only block sets last_event_id at its empty line, not before."""
    result = check(b"id: 7\n\n", [])
    assert result.last_event_id == "7"
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 7\n") == []
    assert decoder.last_event_id == ""
    assert decoder.feed(b"\n") == []
    assert decoder.last_event_id == "7"


def test_id_persists_across_events() -> None:
    """Each event's id is the last event id at its dispatch; it carries over to later events."""
    result = check(
        b"data: a\n\nid: 1\ndata: b\n\ndata: c\n\nid: 2\n\ndata: d\n\nid:\ndata: e\n\n",
        [
            SSE(data="a"),
            SSE(data="b", id="1"),
            SSE(data="c", id="1"),
            SSE(data="d", id="2"),
            SSE(data="e", id=""),
        ],
    )
    assert result.last_event_id == ""


def test_id_after_data_in_same_block_applies() -> None:
    """An id line anywhere in the block applies to that block's event."""
    check(b"data: x\nid: 5\n\n", [SSE(data="x", id="5")])


def test_id_with_nul_ignored() -> None:
    """An id containing NUL is ignored; the previous id stays."""
    result = check(
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", [SSE(data="a", id="1"), SSE(data="b", id="1")]
    )
    assert result.last_event_id == "1"


def test_initial_last_event_id() -> None:
    """The id a reconnecting client passes is the id of events until the server sends one."""
    check(b"data: a\n\nid: 9\ndata: b\n\n", [SSE(data="a", id="5"), SSE(data="b", id="9")], "5")


def test_retry_rules() -> None:
    """retry is taken only if all ASCII digits; it applies at once and events carry it."""
    result = check(
        b"retry: 100\ndata: a\n\nretry: 12a\n\nretry:\n\nretry:  5\n\nretry: -1\n\n"
        b"retry: 1.5\n\nretry: \xd9\xa1\n\nretry: 0030\ndata: b\n\n",
        [SSE(data="a", retry=100), SSE(data="b", retry=30)],
    )
    assert result.retry == 30
    check(b"retry\ndata: x\n\n", [SSE(data="x")])


def test_huge_retry_does_not_raise() -> None:
    """A retry value with more digits than int() accepts is ignored, not raised."""
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 7\nretry: " + b"9" * 10_000 + b"\ndata: x\n\n") == [
        SSE(data="x", retry=7)
    ]


def test_unterminated_event_discarded() -> None:
    """An event without its empty line, or a final line without its end, is never dispatched."""
    check(b"data: x\n", [])
    check(b"data: x", [])
    check(b"data: a\n\ndata: b\n", [SSE(data="a")])
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n") == []
    assert partial(decoder)
    assert decoder.close() == []
    assert not partial(decoder)
    # After close the decoder starts a new stream: the old partial event is gone.
    assert decoder.feed(b"\ndata: y\n\n") == [SSE(data="y")]


def test_has_partial_event() -> None:
    """has_partial_event is True only between an event's first byte and its empty line."""
    decoder = SSEDecoder()
    assert not partial(decoder)
    decoder.feed(b"da")
    assert partial(decoder)
    decoder.feed(b"ta: x\n\n")
    assert not partial(decoder)
    decoder.feed(b": comment\n")
    assert not partial(decoder)
    decoder.feed(b"event: a\n")
    assert partial(decoder)


def test_counts_and_token_stream() -> None:
    """The server's token events decode with their type, data and id; events are counted."""
    stream = b"".join(b'event: token\ndata: {"content":"word "}\nid: %d\n\n' % i for i in range(50))
    decoder = SSEDecoder()
    events: list[SSE] = []
    for i in range(0, len(stream), 7):
        events += decoder.feed(stream[i : i + 7])
    assert events == [SSE("token", '{"content":"word "}', str(i)) for i in range(50)]
    assert decoder.events_dispatched == 50
    assert decoder.last_event_id == "49"


def test_server_sent_event_value_semantics() -> None:
    """ServerSentEvent has defaults, compares and hashes by value, and has a readable repr."""
    event = SSE()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", "", None)
    assert SSE("a", "b", "c", 1) == SSE("a", "b", "c", 1)
    assert SSE("a", "b", "c", 1) != SSE("a", "b", "c", 2)
    assert SSE() != ("message", "", "", None)
    assert len({SSE("a"), SSE("a"), SSE("b")}) == 2
    assert repr(SSE("a", "b")) == "ServerSentEvent(event='a', data='b', id='', retry=None)"
    assert not hasattr(event, "__dict__")


# -- max_event_size -------------------------------------------------------------------------------


def _feeds(stream: bytes, limit: int) -> list[list[bytes]]:
    """Ways to feed `stream`: whole, split at every offset, byte by byte."""
    ways = [[stream], [stream[i : i + 1] for i in range(len(stream))]]
    ways += [[stream[:i], stream[i:]] for i in range(len(stream) + 1)]
    return ways


def test_default_limit() -> None:
    """The default limit is 16 MiB."""
    assert DEFAULT_MAX_EVENT_SIZE == 16 * 1024 * 1024


def test_size_limit_many_lines() -> None:
    """An event of many short data lines past the limit raises EventTooLargeError."""
    stream = b"data: ok\n\nevent: big\n" + b"data: xxxx\n" * 20 + b"\n"
    for chunks in _feeds(stream, 100):
        with pytest.raises(EventTooLargeError) as caught:
            decode(chunks, max_event_size=100)
        assert caught.value.limit == 100
        assert caught.value.event_type == "big"


def test_size_limit_one_long_line_in_many_chunks() -> None:
    """One huge line arriving in many chunks raises once it passes the limit, unterminated."""
    decoder = SSEDecoder(max_event_size=1000)
    decoder.feed(b"data: ")
    with pytest.raises(EventTooLargeError) as caught:
        for _ in range(1000):
            decoder.feed(b"x" * 100)
    assert caught.value.event_type == "message"
    assert not partial(decoder)  # what it held was dropped
    for chunks in _feeds(b"data: " + b"x" * 200, 100):
        with pytest.raises(EventTooLargeError):
            decode(chunks, max_event_size=100)


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_size_limit_exact(end: bytes) -> None:
    """An event of exactly max_event_size bytes (line ends count one byte) passes; one more fails."""
    lines = [b"event: big", b"id: 1", b"data: " + b"x" * 50, b"data: yy"]
    size = sum(len(line) + 1 for line in lines)
    stream = b"data: a\n\n" + end.join(lines) + end + end + b"data: b" + end + end
    expected = [SSE(data="a"), SSE("big", "x" * 50 + "\nyy", "1"), SSE(data="b", id="1")]
    for chunks in _feeds(stream, size):
        assert decode(chunks, max_event_size=size).events == expected
        with pytest.raises(EventTooLargeError):
            decode(chunks, max_event_size=size - 1)


def test_size_limit_counts_partial_last_line_exactly() -> None:
    """The partial line waiting for its end counts too, added to the event's earlier lines."""
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 1234") == []  # 10 bytes: at the limit
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"5")
    decoder = SSEDecoder(max_event_size=20)
    assert decoder.feed(b"data: 12345\n") == []  # 12 bytes
    assert decoder.feed(b"data: 12") == []  # 8 more: at the limit, not yet ended
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"3")  # raised now, before the line's end arrives


def test_comments_do_not_count_toward_limit() -> None:
    """Comment lines, even long ones, are not part of any event's size."""
    stream = b": " + b"c" * 200 + b"\ndata: x\n: " + b"c" * 200 + b"\n\n"
    for chunks in _feeds(stream, 10):
        assert decode(chunks, max_event_size=10).events == [SSE(data="x")]


def test_too_large_feed_dispatches_nothing_from_that_chunk() -> None:
    """A feed that raises has dispatched nothing: last_event_id still reflects earlier events."""
    decoder = SSEDecoder(max_event_size=20)
    assert decoder.feed(b"id: 1\ndata: a\n\n") == [SSE(data="a", id="1")]
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"id: 2\ndata: b\n\ndata: " + b"x" * 30 + b"\n\n")
    assert decoder.last_event_id == "1"
    assert decoder.events_dispatched == 1


# -- Properties -------------------------------------------------------------------------------


@st.composite
def split_points(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """`stream` cut into pieces at random offsets (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


_FIELD_NAMES = [b"data", b"event", b"id", b"retry", b"", b"dat", b"data ", b"foo", b"\xef\xbb\xbf"]
_VALUE_BYTES = st.one_of(
    st.text(alphabet=" :\0a1é日\ufeff\t", max_size=6).map(lambda s: s.encode()),
    st.sampled_from([b"\xff", b"\xe2\x82", b"\xc3", b"\xa9", b"123", b"007", b"\xd9\xa1"]),
)


@st.composite
def sse_lines(draw: st.DrawFn) -> bytes:
    """An SSE-like stream: known and odd field lines, comments, blank lines, mixed line ends."""
    out = [BOM] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            line = b""
        elif kind == 1:
            line = b":" + draw(_VALUE_BYTES)
        else:
            name = draw(st.sampled_from(_FIELD_NAMES))
            sep = draw(st.sampled_from([b":", b": ", b":  ", b""]))
            line = name + sep + (draw(_VALUE_BYTES) if sep else b"")
        out.append(line + draw(st.sampled_from([b"\n", b"\r", b"\r\n"])))
    if draw(st.booleans()):
        out.append(draw(_VALUE_BYTES))  # an unterminated last line
    return b"".join(out)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.data())
def test_any_split_of_sse_like_stream_matches_whole_and_reference(data: st.DataObject) -> None:
    """Any split of an SSE-like stream gives the same result as the whole, and as the spec."""
    stream = data.draw(sse_lines())
    last_event_id = data.draw(st.sampled_from(["", "7"]))
    whole = decode([stream], last_event_id)
    assert whole == reference(stream, last_event_id)
    assert decode(data.draw(split_points(stream)), last_event_id) == whole


@PROPERTY
@given(st.data())
def test_any_split_of_arbitrary_bytes_matches_whole_and_reference(data: st.DataObject) -> None:
    """Any split of arbitrary bytes gives the same result as the whole, and as the spec."""
    stream = data.draw(st.binary(max_size=200))
    whole = decode([stream])
    assert whole == reference(stream)
    assert decode(data.draw(split_points(stream))) == whole


@PROPERTY
@given(st.lists(st.binary(max_size=64), max_size=10))
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    """Arbitrary chunks never make the decoder raise (with a large max_event_size)."""
    decoder = SSEDecoder(max_event_size=DEFAULT_MAX_EVENT_SIZE)
    for chunk in chunks:
        for event in decoder.feed(chunk):
            assert isinstance(event, ServerSentEvent)
    assert decoder.close() == []


@PROPERTY
@given(st.data())
def test_size_limit_does_not_depend_on_chunking(data: st.DataObject) -> None:
    """With a small limit, whether decoding raises does not depend on how the bytes are split."""
    stream = data.draw(sse_lines())
    limit = data.draw(st.integers(1, 40))
    try:
        whole: Result | None = decode([stream], max_event_size=limit)
    except EventTooLargeError:
        whole = None
    chunks = data.draw(split_points(stream))
    if whole is None:
        with pytest.raises(EventTooLargeError):
            decode(chunks, max_event_size=limit)
    else:
        assert decode(chunks, max_event_size=limit) == whole


#: Lines the fast path does not take: a comment, a field it leaves to the general path, a CRLF,
#: invalid UTF-8, and a field name in a character cut short (it completes in a later chunk).
_ODD_LINES = [b": ping\n", b"retry: 10\n", b"data:x\n", b"\r\n", b"\xff: x\n", b"\xe6\x97"]


@st.composite
def plain_events(draw: st.DrawFn) -> list[bytes]:
    """Events in the shape servers usually send (what the decoder's fast path takes), with odd
    values (NUL, colons, invalid UTF-8, empty names) and now and then a line that is not in
    that shape, grouped into chunks at event boundaries."""
    events: list[bytes] = []
    for _ in range(draw(st.integers(1, 8))):
        event = b""
        if draw(st.booleans()):
            event += b"event: " + draw(_VALUE_BYTES) + b"\n"
        event += b"data: " + draw(_VALUE_BYTES) + b"\n"
        if draw(st.booleans()):
            event += b"id: " + draw(_VALUE_BYTES) + b"\n"
        if draw(st.integers(0, 5)) == 0:  # not the usual shape: the general path's turn
            odd = draw(st.sampled_from(_ODD_LINES))
            # After the event's fields, or before them: where the previous event ends (a
            # chunk that is not valid UTF-8 from there on, or is in a character cut short).
            event = event + odd if draw(st.booleans()) else odd + event
        events.append(event + b"\n")
    cuts = sorted(draw(st.lists(st.integers(0, len(events)), max_size=4)))
    bounds = [0, *cuts, len(events)]
    return [b"".join(events[a:b]) for a, b in itertools.pairwise(bounds)]


@PROPERTY
@given(plain_events(), st.sampled_from(["", "7"]), st.data())
def test_events_in_the_usual_shape_decode_as_the_spec_says(
    chunks: list[bytes], last_event_id: str, data: st.DataObject
) -> None:
    """Chunks of events in the usual `event:`/`data:`/`id:` shape (the fast path), mixed with
    other lines, decode exactly as the spec's algorithm does, whether the chunks end at event
    boundaries or anywhere (a chunk's partial last event takes the general path)."""
    stream = b"".join(chunks)
    first = b"data: first\n\n"  # decided: no BOM can follow, so the fast path is open
    assert decode([b"", *chunks], last_event_id) == reference(stream, last_event_id)
    assert decode([first, *chunks]) == reference(first + stream)
    assert decode([first, *data.draw(split_points(stream))]) == reference(first + stream)
