"""The I/O-free half of a message stream: bytes in, typed events out, progress kept.

`StreamState` owns the SSE decoder, counts events, remembers the last event id (for resuming)
and notices the run's final event. The clients' stream classes only move bytes from the
connection into `feed` and decide when to reconnect.
"""

from __future__ import annotations

import json

import pydantic

from ._exceptions import IncompleteStreamError, MalformedEventError, StreamTimeoutError
from ._logging import logger
from ._models import EVENT_TYPES, ErrorEvent, RunDoneEvent, StreamEvent
from ._retry import backoff_delay, server_reconnect_delay
from ._snapshot import StreamSnapshot
from ._sse import ServerSentEvent, SSEDecoder

__all__ = ["TERMINAL_EVENTS", "StreamState", "parse_event"]

#: The event names that end a run.
TERMINAL_EVENTS = frozenset({"run_done", "error"})


def _malformed(event_type: str, data: str, error: Exception) -> MalformedEventError:
    if isinstance(error, pydantic.ValidationError):
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            return MalformedEventError("data is not valid JSON", event_type=event_type, data=data)
        loc = ".".join(str(part) for part in first["loc"]) or "data"
        reason = f"{loc}: {first['msg']}"
    else:
        reason = str(error)
    return MalformedEventError(
        f"fields do not match the event type ({reason})", event_type=event_type, data=data
    )


def parse_event(sse: ServerSentEvent) -> StreamEvent | None:
    """The typed event for one server-sent event, or None for a type this SDK does not know.

    The class is chosen by the `event:` name (one dict lookup) and validated straight from the
    JSON text. Without an `event:` line the JSON object's `"type"` decides.
    """
    cls = EVENT_TYPES.get(sse.event)
    if cls is not None:
        try:
            # The hot path: the model's validator directly, as `model_validate_json` would call
            # it, without that wrapper's cost (~25% of the events/s, measured in bench/).
            return cls.__pydantic_validator__.validate_json(sse.data)  # type: ignore[no-any-return]
        except pydantic.ValidationError as error:
            raise _malformed(sse.event, sse.data, error) from None
    if sse.event != "message":
        return None
    # No `event:` line: the type is inside the JSON.
    try:
        fields = json.loads(sse.data)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
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


class StreamState:
    """Decoding and progress of one logical stream, across reconnects."""

    __slots__ = ("decoder", "events_received", "final", "finished", "max_event_size", "snapshot")

    def __init__(self, max_event_size: int) -> None:
        self.max_event_size = max_event_size
        self.decoder = SSEDecoder(max_event_size=max_event_size)
        #: Server-sent events received so far (typed or not), over every connection.
        self.events_received = 0
        #: True once the run's `run_done` or `error` event has arrived.
        self.finished = False
        #: That final event, once the typed iterator has seen it.
        self.final: RunDoneEvent | ErrorEvent | None = None
        #: The reply text, reasoning, tool calls and run id of the typed events so far.
        self.snapshot = StreamSnapshot()

    @property
    def last_event_id(self) -> str:
        return self.decoder.last_event_id

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk of the body; notes the final event when it arrives."""
        events = self.decoder.feed(chunk)
        if events:
            self.events_received += len(events)
            if any(sse.event in TERMINAL_EVENTS for sse in events):
                self.finished = True
        return events

    def typed(self, sse: ServerSentEvent) -> StreamEvent | None:
        """`parse_event`, plus bookkeeping: remembers the final event, logs skipped ones."""
        event = parse_event(sse)
        if event is None:
            logger.debug("skipping stream event of unknown type %r (see iter_sse())", sse.event)
        elif event.type == "run_done" or event.type == "error":
            self.final = event
            self.finished = True
        if event is not None:
            self.snapshot.add(event)
        return event

    def reconnected(self) -> None:
        """A new connection starts: bytes of a half-received event are dropped, ids are kept."""
        old = self.decoder
        self.decoder = SSEDecoder(old.last_event_id, max_event_size=self.max_event_size)
        self.decoder.retry = old.retry

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
        return bool(self.decoder.last_event_id) or self.events_received == 0

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
