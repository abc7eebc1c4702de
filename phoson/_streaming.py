"""The I/O-free half of a message stream: bytes in, typed events out, progress kept.

`StreamState` owns the SSE decoder, counts events, remembers the last event id (for resuming)
and notices the run's final event. The clients' stream classes only move bytes from the
connection into `feed` and decide when to reconnect.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import pydantic

from . import _json
from ._exceptions import IncompleteStreamError, MalformedEventError, StreamTimeoutError
from ._logging import logger
from ._models import EVENT_TYPES, ErrorEvent, RunDoneEvent, StreamEvent
from ._retry import backoff_delay, server_reconnect_delay
from ._snapshot import StreamSnapshot
from ._sse import ServerSentEvent, SSEDecoder

__all__ = ["RECENT_IDS", "TERMINAL_EVENTS", "StreamState", "is_event_stream", "parse_event"]

#: The event names that end a run.
TERMINAL_EVENTS = frozenset({"run_done", "error"})


def _malformed(event_type: str, data: str, error: Exception) -> MalformedEventError:
    if isinstance(error, pydantic.ValidationError):
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            return MalformedEventError("data is not valid JSON", event_type=event_type, data=data)
        loc = ".".join(str(part) for part in first["loc"]) or "data"
        reason = f"{loc}: {first['msg']}"
    elif isinstance(error, _json.JSONError):  # NaN, nesting too deep, ...
        reason = str(error).removeprefix("not JSON: ")
        return MalformedEventError(
            f"data is not valid JSON ({reason})", event_type=event_type, data=data
        )
    else:
        reason = str(error)
    return MalformedEventError(
        f"fields do not match the event type ({reason})", event_type=event_type, data=data
    )


#: The `validate_json` of each event name's model, taken when the name is first seen.
_VALIDATE_JSON: dict[str, Callable[[str], Any]] = {}


def parse_event(sse: ServerSentEvent) -> StreamEvent | None:
    """The typed event for one server-sent event, or None for a type this SDK does not know.

    The class is chosen by the `event:` name (one dict lookup) and validated straight from the
    JSON text. Without an `event:` line the JSON object's `"type"` decides.
    """
    validate = _VALIDATE_JSON.get(sse.event)
    if validate is None:
        cls = EVENT_TYPES.get(sse.event)
        if cls is not None:
            # (The models build their validators on first use: this takes the built one.)
            validate = _VALIDATE_JSON[sse.event] = cls.__pydantic_validator__.validate_json
    if validate is not None:
        try:
            # The hot path: the model's validator directly, as `model_validate_json` would call
            # it, without that wrapper's cost (~25% of the events/s, measured in bench/).
            event = validate(sse.data)
        except pydantic.ValidationError as error:
            raise _malformed(sse.event, sse.data, error) from None
        try:
            _json.check_finite(sse.data)  # as REST bodies are (`_wire.parse_model`)
        except ValueError as error:
            raise _malformed(sse.event, sse.data, error) from None
        return event  # type: ignore[no-any-return]
    if sse.event != "message":
        return None
    # No `event:` line: the type is inside the JSON.
    try:
        fields = _json.loads(sse.data)  # nesting too deep, NaN: a ValueError
    except ValueError as error:
        raise _malformed("message", sse.data, error) from None
    if not isinstance(fields, dict):
        raise MalformedEventError("data is not a JSON object", event_type="message", data=sse.data)
    type_name = fields.get("type")
    cls = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        return None
    try:
        return cls.model_validate(fields)  # type: ignore[return-value]
    except pydantic.ValidationError as error:
        raise _malformed(str(type_name), sse.data, error) from None


#: How many of the latest event ids a stream remembers (at least) to recognise a server's
#: replay after a resume, besides the run's first id, always kept. Bounded, so memory stays flat.
RECENT_IDS = 1024
#: The list of recent ids is cut back to `RECENT_IDS` once it holds this many more: a cut every
#: 128 events costs less than a `deque(maxlen=...)`, whose first block alone is 0.6 KiB a stream.
_RECENT_IDS_SLACK = 128

#: Event names that can carry the final event: named, or named by the JSON "type".
_MAYBE_FINAL = TERMINAL_EVENTS | {"message"}
_EVENT_NAME = operator.attrgetter("event")
_EVENT_ID = operator.attrgetter("id")


def _is_final(sse: ServerSentEvent) -> bool:
    """Whether this event ends the run: `event: run_done`/`error`, or without an `event:` line,
    a JSON object whose "type" is one of them."""
    if sse.event != "message":
        return sse.event in TERMINAL_EVENTS
    data = sse.data
    if "run_done" not in data and "error" not in data:
        return False  # cheap test first: most untyped events are not final
    try:
        fields = _json.loads(data)  # never RecursionError: nesting too deep is a ValueError
    except ValueError:
        return False
    return isinstance(fields, dict) and fields.get("type") in TERMINAL_EVENTS


def is_event_stream(content_type: str) -> bool:
    """Whether a Content-Type header names an event stream (media types ignore case)."""
    return content_type.partition(";")[0].strip().lower() == "text/event-stream"


class StreamState:
    """Decoding and progress of one logical stream, across reconnects.

    The one place for per-event bookkeeping: counts, ids, the final event, replay detection.
    """

    __slots__ = (
        "_first_id",
        "_held",
        "_last_id",
        "_recent_ids",
        "_replay",
        "_resume_id",
        "decoder",
        "events_received",
        "final",
        "finished",
        "max_event_size",
        "mid_run",
        "snapshot",
        "tokens_received",
    )

    # Declared here for type checkers (pyright --verifytypes): a stream's public properties
    # read them.
    max_event_size: int
    decoder: SSEDecoder
    events_received: int
    finished: bool
    tokens_received: int
    snapshot: StreamSnapshot
    mid_run: bool

    def __init__(self, max_event_size: int) -> None:
        self.max_event_size = max_event_size
        self.decoder = SSEDecoder(max_event_size=max_event_size)
        #: Server-sent events received so far (typed or not), over every connection; a replayed
        #: event skipped after a resume is not counted again.
        self.events_received = 0
        #: True once the run's `run_done` or `error` event has been decoded (named by `event:` or
        #: by the JSON "type"): nothing more is read. Events before it may still wait to be
        #: delivered; the run is over for the caller only once `final` is set.
        self.finished = False
        #: The final event, once it has been *delivered* (by any reader: the typed iterator,
        #: `text_stream`, `iter_sse()`, `until_done()`); None until then, and if it did not
        #: validate (the typed iterator raises MalformedEventError when it reaches it).
        self.final: RunDoneEvent | ErrorEvent | None = None
        #: How many `token` events have been delivered.
        self.tokens_received = 0
        #: The reply text, reasoning, tool calls and run id of the typed events so far.
        self.snapshot = StreamSnapshot()
        #: True when the events start mid-run (resumed from a token after some event).
        self.mid_run = False
        # Replay detection (see `reconnected`): the first id of the run, the latest ids, the id
        # sent as Last-Event-ID, and the check's step: "" (off), "check" (waiting for the first id on
        # the new connection), "skip" (in a replay), "through" (skipping the resume id's events).
        self._first_id = ""
        self._recent_ids: list[str] = []
        self._resume_id = ""
        self._replay = ""
        #: Id-less events at the start of a resumed connection, held until the first id tells
        #: whether they are new or part of a replay (see `_drop_replayed`).
        self._held: list[ServerSentEvent] = []
        #: The id of the last event taken for delivery (a replayed event skipped does not count).
        self._last_id = ""

    @property
    def last_event_id(self) -> str:
        """The id to resume after: the id of the last event taken for delivery, over every
        connection (not the decoder's, which follows a replay the server sends again)."""
        return self._last_id

    def made_progress(self) -> bool:
        """Whether this connection brought an event the run had not sent before: one whose id
        is past the id it resumed after (an id-less event may be a replay, so it does not count).
        """
        return self._last_id != self._resume_id

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk of the body: the events to deliver, in order.

        After a resume, events the server sends again are left out. The run's final event ends
        the list (anything after it is dropped) and sets `finished` and `final`.
        """
        events = self.decoder.feed(chunk)
        if not events:
            return events
        if self._replay:
            events = self._drop_replayed(events)
            if not events:
                return events
        if len(events) == 1 and events[0].event not in _MAYBE_FINAL:
            # The usual case, a chunk with one event that does not end the run: the same
            # bookkeeping as below, without its loops.
            sse = events[0]
            self.events_received += 1
            event_id = sse.id
            if event_id:
                self._last_id = event_id
                if not self._first_id:
                    self._first_id = event_id
            recent = self._recent_ids
            recent.append(event_id)
            if len(recent) > RECENT_IDS + _RECENT_IDS_SLACK:
                del recent[:-RECENT_IDS]
            return events
        # Only a batch with a final (or an untyped) event name is looked at one by one.
        if not _MAYBE_FINAL.isdisjoint(map(_EVENT_NAME, events)):
            for index, sse in enumerate(events):
                if _is_final(sse):
                    del events[index + 1 :]
                    self.finished = True
                    break
        self.events_received += len(events)
        recent = self._recent_ids
        recent.extend(map(_EVENT_ID, events))
        if len(recent) > RECENT_IDS + _RECENT_IDS_SLACK:
            del recent[:-RECENT_IDS]
        # (Within a connection an event's id carries over, so the last event has the last id,
        # unless no event of this connection has had one yet.)
        if events[-1].id:
            self._last_id = events[-1].id
            if not self._first_id:
                self._first_id = next(sse.id for sse in events if sse.id)
        return events

    def delivered_raw(self, sse: ServerSentEvent) -> None:
        """`sse` was delivered raw (`iter_sse()`): the snapshots and the final event take it into
        account as the typed iterator would, without raising for an event that does not parse
        (the raw reader gets it as it is)."""
        try:
            event = parse_event(sse)
        except MalformedEventError:
            return
        if event is not None:
            self.took(event)

    def took(self, event: StreamEvent) -> None:
        """A typed event was delivered: counted, and added to the snapshots."""
        if event.type == "token":
            self.tokens_received += 1
            self.snapshot.add_token(event.content)
            return
        if event.type == "run_done" or event.type == "error":
            self.final = event
        self.snapshot.add(event)

    def typed(self, sse: ServerSentEvent) -> StreamEvent | None:
        """`parse_event`, plus bookkeeping: the event is delivered (snapshots, the final event);
        events of unknown types are logged and skipped."""
        # (parse_event's own hot path is the validator of a name seen before; inlining it here
        # gained 0.6% on the bench `stream` row, within its noise: so it is called.)
        event = parse_event(sse)
        if event is None:
            logger.debug("skipping stream event of unknown type %r (see iter_sse())", sse.event)
            return None
        self.took(event)
        return event

    def reconnected(self) -> None:
        """A new connection starts: bytes of a half-received event are dropped; the id to
        resume after is kept, and the new connection's first id is checked for a replay.

        The new decoder starts without a last event id, so an event on the new connection
        carries an id only if the server sent one there (which replay detection relies on);
        `last_event_id` falls back to the resume id until then.
        """
        old = self.decoder
        self._resume_id = self._last_id
        self._replay = "check" if self._resume_id else ""
        if self._held:
            logger.debug("dropping %d id-less events of a broken resume", len(self._held))
            self._held = []
        self.decoder = SSEDecoder(max_event_size=self.max_event_size)
        self.decoder.retry = old.retry

    def seed(self, last_event_id: str, first_event_id: str) -> None:
        """Start from a resume token: the first connection asks for the events after
        `last_event_id`, and a server that replays the run from `first_event_id` is caught
        as after any reconnect."""
        self._resume_id = self._last_id = last_event_id
        self._replay = "check" if last_event_id else ""
        self._first_id = first_event_id
        if last_event_id:
            self.mid_run = True
            self.snapshot.start_mid_run()

    @property
    def first_event_id(self) -> str:
        """The id of the run's first event ("" until one with an id has arrived)."""
        return self._first_id

    @property
    def retry_ms(self) -> int | None:
        return self.decoder.retry

    def can_resume(self) -> bool:
        """Whether a broken stream can be picked up again without losing or repeating events.

        Yes if the server gave its events ids (resume after the last one), or if no event has
        arrived yet (ask again from the start: the same idempotency key reaches the same run).
        """
        if self.finished:
            return False
        return bool(self.last_event_id) or self.events_received == 0

    def reconnect_delay(self, reconnects_done: int) -> float:
        """The server's `retry:` (capped), else the usual backoff."""
        if self.retry_ms is not None:
            return server_reconnect_delay(self.retry_ms)
        return backoff_delay(reconnects_done)

    def incomplete(self, reason: str, *, timed_out: bool = False) -> IncompleteStreamError:
        """The error for a stream that ended before its final event and will not be resumed."""
        cls = StreamTimeoutError if timed_out else IncompleteStreamError
        error = cls(reason, events_received=self.events_received, last_event_id=self.last_event_id)
        error.partial_text = self.snapshot.text
        return error

    def _drop_replayed(self, events: list[ServerSentEvent]) -> list[ServerSentEvent]:
        """After a resume: leave out the events the server sends again.

        A server that ignores Last-Event-ID, or resumes too early, replays a stretch of the run
        that ends with the events carrying the id we resumed after. The first event with an id
        on the new connection tells which: an id already received (among the latest
        `RECENT_IDS`, or the run's first id) starts a replay, skipped up to and including the
        events carrying the resume id; any other id means the server resumed where asked.
        Id-less events before that first id are held until it decides: part of the replay, or
        new (also when the run's final event comes first, which no replay can end with); held
        events of a connection that breaks first are dropped (the next resume asks again).
        """
        kept: list[ServerSentEvent] = []
        for sse in events:
            if self._replay == "check":
                if sse.id:
                    known = sse.id == self._first_id or sse.id in self._recent_ids
                    self._replay = "skip" if known else ""
                    if not known:
                        kept.extend(self._held)
                    self._held = []
                elif _is_final(sse):
                    kept.extend(self._held)
                    self._held = []
                    self._replay = ""
                else:
                    self._held.append(sse)
                    continue
            if self._replay == "skip":
                if sse.id == self._resume_id:
                    self._replay = "through"
                elif _is_final(sse):
                    # A final event was never delivered (else there would be no resume): a
                    # replay that never passes the resume id ends here, not with the run.
                    self._replay = ""
            elif self._replay == "through" and sse.id != self._resume_id:
                self._replay = ""
            if self._replay in ("", "check"):
                kept.append(sse)
            else:
                logger.debug(
                    "skipping event %r (id %r): delivered before the resume", sse.event, sse.id
                )
        return kept
