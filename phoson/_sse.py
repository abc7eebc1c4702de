"""An I/O-free decoder for `text/event-stream` bodies: bytes in, `ServerSentEvent`s out.

It follows the WHATWG HTML algorithm "interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

- lines end with CR, LF or CRLF, also when a CRLF is split between two chunks;
- one leading UTF-8 byte order mark is ignored;
- `data:` lines are joined with "\\n"; an empty line dispatches the event if it had data;
- `event:` names the event ("message" if absent), `id:` sets the last event id (unless it
  contains NUL), `retry:` sets the reconnection time (if it is all ASCII digits);
- lines starting with ":" are comments; other field names are ignored;
- an event still unterminated when the stream ends is discarded.

How it stays fast: each chunk is cut after its last line end. The complete lines before the
cut have their line ends normalised to LF and their comment lines removed, all at the byte level
in C, and are then decoded in one call. Decoding the lines together gives the same text as
decoding each field on its own, as the spec's decode-then-split does: line ends are ASCII, and
an ASCII byte always ends a malformed UTF-8 sequence. The bytes after the cut (a partial line)
wait, as a list of pieces joined once, for the chunk that ends them.

`max_event_size` bounds what one event may hold: the bytes of its lines (comment lines excluded,
each line end counted as one byte), including a partial line still waiting for its end.
"""

from __future__ import annotations

import re
from typing import NoReturn

from ._exceptions import EventTooLargeError
from ._redact import redact

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent"]

#: The default `max_event_size`: 16 MiB.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_CR, _LF, _COLON = 13, 10, 58
#: A comment line in normalised text, with the line end before it.
_COMMENT_LINE = re.compile(rb"\n:[^\n]*")
#: One event in the shape servers send (`event: `, `data: `, optional `id: `, a blank line;
#: LF line ends, one line each, no NUL in the id): what the fast path of `feed` decodes.
_PLAIN_EVENT = re.compile(r"(?:event: ([^\r\n]*)\n)?data: ([^\r\n]*)\n(?:id: ([^\r\n\0]*)\n)?\n")


class ServerSentEvent:
    """One dispatched event. Treat it as read-only.

    `id` is the stream's last event id when the event was dispatched (it carries over from
    earlier events), and `retry` the stream's reconnection time in milliseconds at that moment
    (None if the server never sent a valid `retry:`).
    """

    # A plain __slots__ class: constructing one costs a third of a frozen dataclass.
    __slots__ = ("data", "event", "id", "retry")
    __match_args__ = ("event", "data", "id", "retry")

    event: str
    data: str
    id: str
    retry: int | None

    def __init__(
        self, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def _key(self) -> tuple[str, str, str, int | None]:
        return (self.event, self.data, self.id, self.retry)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        # A server may echo an API key into an event: the repr never shows one.
        return redact(
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled (a slotted class needs this) with any API key redacted, as `repr` shows it.
        fields = (self.event, self.data, self.id)
        return (ServerSentEvent, (*(redact(value) for value in fields), self.retry))


class SSEDecoder:
    """Decodes one event stream, chunk by chunk. Does no I/O.

    `last_event_id` starts as given (the id a reconnecting client sent) and follows the
    server's `id:` lines; `retry` is the last valid `retry:` value in milliseconds.
    """

    __slots__ = (
        "_after_cr",
        "_between",
        "_comment",
        "_data",
        "_event",
        "_event_size",
        "_head",
        "_id",
        "_limit",
        "_tail",
        "_tail_size",
        "events_dispatched",
        "last_event_id",
        "retry",
    )

    last_event_id: str
    events_dispatched: int

    def __init__(
        self, last_event_id: str = "", *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        #: The spec's "last event ID string": the id of the last dispatched event block.
        self.last_event_id = last_event_id
        #: The last valid `retry:` value (milliseconds), None if none was seen.
        self.retry: int | None = None
        #: How many events `feed` has returned.
        self.events_dispatched = 0
        self._limit = max_event_size
        self._reset()

    def _reset(self) -> None:
        """Forget the event being received, as at the start of a stream."""
        self._head: bytes | None = b""  # leading bytes that may still be a BOM; None once decided
        self._after_cr = False  # the last chunk ended with CR: a LF starting the next is its CRLF
        self._tail: list[bytes] = []  # pieces of the partial line after the last line end
        self._tail_size = 0
        self._comment = False  # the partial line is a comment: its bytes are dropped, not kept
        self._event_size = 0  # bytes of the current event's complete lines
        # The spec's buffers for the current event. `_id` is the "last event ID buffer" when an
        # `id:` line changed it since the last empty line, else None (it equals last_event_id).
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        # True when nothing partial is held (`_holds_nothing`): the fast path of `feed` may run.
        # False until the first chunk has been through the general path (it strips a BOM).
        self._between = False

    def _holds_nothing(self) -> bool:
        return (
            self._head is None
            and not self._event_size
            and not self._tail
            and not self._after_cr
            and not self._data
            and not self._event
            and self._id is None
        )

    @property
    def has_partial_event(self) -> bool:
        """True while bytes of an event that has not been dispatched yet are held."""
        return bool(self._event_size or (self._tail and not self._comment) or self._head)

    def close(self) -> list[ServerSentEvent]:
        """End of stream: the unterminated event, if any, is discarded (as the spec says).

        Returns no events; the decoder is then ready for a new stream (a reconnect), keeping
        `last_event_id`, `retry` and `events_dispatched`.
        """
        self._reset()
        return []

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode the next chunk of the body; returns the events it completes, in order.

        Raises EventTooLargeError (having dispatched nothing from this chunk) if an event
        grows past `max_event_size`; it raises nothing else, whatever the bytes.
        """
        # 0. The fast path: whole events in the usual shape at the start of the chunk, arriving
        #    between events (nothing partial held). The rest of the chunk (a partial event, or
        #    anything unusual) takes the general path below; tests/test_sse.py checks both
        #    against the spec. A chunk no larger than the limit cannot hold an event over it, so
        #    the general path cannot raise after the fast one has dispatched events.
        if self._between and len(chunk) <= self._limit:
            # The chunk is decoded once: the fields are then slices of its text. Only its valid
            # UTF-8 start is, if it has invalid bytes (which the general path replaces) or ends
            # within a character (whose rest comes in the next chunk).
            try:
                text = chunk.decode()
            except UnicodeDecodeError as error:
                text = chunk[: error.start].decode()
            found = _PLAIN_EVENT.match(text)
            if found is not None:
                if found.end() == len(chunk):
                    # The usual chunk: exactly one event (`_plain_event`, without its call).
                    # (Characters against bytes: equal only if the match took the whole chunk
                    # and it is ASCII; any other chunk goes on below.) Kept for the "CPU per
                    # event" rows of bench `scale` and `realnet`, where every event arrives in
                    # a chunk of its own: 750 ns an event against 930 without it (1.25x, the
                    # decoder alone, 2026-12-05). Pinned to the general path by
                    # tests/test_sse.py's properties (chunks ending at event boundaries).
                    self.events_dispatched += 1
                    event, data, id_ = found.groups()
                    if id_ is not None:
                        self.last_event_id = id_
                    return [
                        ServerSentEvent(event or "message", data, self.last_event_id, self.retry)
                    ]
                events, used = self._plain_events(text, found)
                if used != len(text) or len(text) != len(chunk):
                    # The rest of the chunk, from the byte where the last event ended.
                    if not text.isascii():
                        used = len(text[:used].encode())
                    events += self._general(chunk[used:])
                return events
        return self._general(chunk)

    def _general(self, chunk: bytes) -> list[ServerSentEvent]:
        """`_decode`, then note whether the fast path may take the next chunk."""
        try:
            return self._decode(chunk)
        finally:
            self._between = self._holds_nothing()

    def _decode(self, chunk: bytes) -> list[ServerSentEvent]:
        """The general path of `feed`: any bytes, any state."""
        # 1. Strip one leading BOM, even if its three bytes arrive in separate chunks.
        if self._head is not None:
            chunk = self._head + chunk
            if len(chunk) < 3 and _BOM.startswith(chunk):
                self._head = chunk
                return []
            self._head = None
            if chunk.startswith(_BOM):
                chunk = chunk[3:]

        # 2. A chunk that ended with CR has ended its line already; if this one starts with
        #    LF, that LF was the second half of a CRLF.
        if not chunk:
            return []
        if self._after_cr:
            self._after_cr = False
            if chunk[0] == _LF:
                chunk = chunk[1:]
                if not chunk:
                    return []

        # 3. Cut the chunk after its last line end.
        has_cr = b"\r" in chunk
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) if has_cr else chunk.rfind(b"\n")
        if cut < 0:
            self._extend_tail(chunk)
            return []
        rest = chunk[cut + 1 :]
        lines_bytes = chunk[: cut + 1] if rest else chunk
        self._after_cr = chunk[-1] == _CR

        # 4. The complete lines: the partial line kept from earlier chunks comes first.
        if self._tail:
            self._tail.append(lines_bytes)
            lines_bytes = b"".join(self._tail)
        self._tail = []
        self._tail_size = 0
        self._comment = False
        if has_cr:
            lines_bytes = lines_bytes.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if lines_bytes[0] == _COLON or b"\n:" in lines_bytes:
            # Drop comment lines without decoding them ("\n" first so the first line has one).
            lines_bytes = _COMMENT_LINE.sub(b"", b"\n" + lines_bytes)[1:]

        # 5. Size limit. An event in these lines holds at most what the current event held
        #    before plus all of them, so usually there is nothing to count; when there may be,
        #    count exactly, before anything is dispatched.
        rest_size = 0 if rest[:1] == b":" else len(rest)
        if self._event_size + len(lines_bytes) + rest_size > self._limit:
            self._check_sizes(lines_bytes, rest_size)
        # The current event is what follows the last empty line.
        blank = lines_bytes.rfind(b"\n\n")
        if blank >= 0:
            self._event_size = len(lines_bytes) - blank - 2
        elif lines_bytes[:1] == b"\n":
            self._event_size = len(lines_bytes) - 1
        else:
            self._event_size += len(lines_bytes)

        if rest:
            self._extend_tail(rest)
        if not lines_bytes:
            return []

        # 6. Decode once and interpret line by line. The buffers live in locals here.
        lines = lines_bytes.decode("utf-8", "replace").split("\n")
        lines.pop()  # the empty string after the final "\n"
        events: list[ServerSentEvent] = []
        append = events.append
        new_event = ServerSentEvent
        join = "\n".join
        data = self._data
        event = self._event
        id_buffer = self._id
        last_event_id = self.last_event_id
        retry = self.retry
        for line in lines:
            if line:
                # Fast path: "data", "event" and "id" with or without ": value". For these
                # names the first ": " is the first colon, and its space is the one to strip.
                name, _, value = line.partition(": ")
                if name == "data":
                    data.append(value)
                elif name == "event":
                    event = value
                elif name == "id":
                    if "\0" not in value:
                        id_buffer = value
                else:
                    # Any other line: split at the first colon, strip one space.
                    name, _, value = line.partition(":")
                    if value[:1] == " ":
                        value = value[1:]
                    if name == "data":
                        data.append(value)
                    elif name == "event":
                        event = value
                    elif name == "id":
                        if "\0" not in value:
                            id_buffer = value
                    elif name == "retry" and value.isascii() and value.isdigit():
                        try:
                            retry = int(value)
                        except ValueError:  # more digits than int() accepts: ignore the field
                            pass
                    # Anything else (an unknown field) is ignored.
            else:
                # Empty line: dispatch. The last event id is set even if there is no data.
                if id_buffer is not None:
                    last_event_id = id_buffer
                    id_buffer = None
                if data:
                    append(new_event(event or "message", join(data), last_event_id, retry))
                    data.clear()
                event = ""
        self._event = event
        self._id = id_buffer
        self.last_event_id = last_event_id
        self.retry = retry
        self.events_dispatched += len(events)
        return events

    def _plain_event(self, found: re.Match[str]) -> ServerSentEvent:
        """The event of one `_PLAIN_EVENT` match (and its id becomes the last event id)."""
        event, data, id_ = found.groups()
        if id_ is not None:
            self.last_event_id = id_
        return ServerSentEvent(event or "message", data, self.last_event_id, self.retry)

    def _plain_events(self, chunk: str, found: re.Match[str]) -> tuple[list[ServerSentEvent], int]:
        """The events in the usual shape at the start of `chunk` (`found` is the first), and
        how many characters they take."""
        match = _PLAIN_EVENT.match
        end = len(chunk)
        events = [self._plain_event(found)]
        position = found.end()
        while position < end:
            found_next = match(chunk, position)
            if found_next is None:
                break
            events.append(self._plain_event(found_next))
            position = found_next.end()
        self.events_dispatched += len(events)
        return events, position

    def _extend_tail(self, piece: bytes) -> None:
        """Keep `piece`, the start or continuation of a line whose end has not arrived."""
        if self._comment:
            return
        if not self._tail and piece[0] == _COLON:
            # A comment: keep only its colon, so the rest of the line is dropped as it comes.
            self._tail = [b":"]
            self._comment = True
            return
        self._tail.append(piece)
        self._tail_size += len(piece)
        if self._event_size + self._tail_size > self._limit:
            self._too_large(self._event)

    def _check_sizes(self, lines_bytes: bytes, rest_size: int) -> None:
        """Raise EventTooLargeError if any event in `lines_bytes` (+ partial line) is too large."""
        limit = self._limit
        size = self._event_size
        event_type = self._event.encode("utf-8")
        lines = lines_bytes.split(b"\n")
        lines.pop()
        for line in lines:
            if not line:
                size = 0
                event_type = b""
                continue
            size += len(line) + 1
            name, _, value = line.partition(b":")
            if name == b"event":
                event_type = value[1:] if value[:1] == b" " else value
            if size > limit:
                self._too_large(event_type.decode("utf-8", "replace"))
        if size + rest_size > limit:
            self._too_large(event_type.decode("utf-8", "replace"))

    def _too_large(self, event_type: str) -> NoReturn:
        """Drop the oversized event and raise."""
        self._reset()
        self._head = None
        raise EventTooLargeError(limit=self._limit, event_type=event_type or "message")
