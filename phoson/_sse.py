"""Placeholder SSE decoder (being replaced by the optimised one)."""

from __future__ import annotations

from dataclasses import dataclass

from ._exceptions import EventTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


class SSEDecoder:
    def __init__(self, last_event_id: str = "", *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self.last_event_id = last_event_id
        self.retry: int | None = None
        self.events_dispatched = 0
        self._max = max_event_size
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._data: list[bytes] = []
        self._size = 0
        self._event = b""
        self._id = last_event_id.encode()
        self._skip_lf = False
        self._started = False
        self._head = b""

    @property
    def has_partial_event(self) -> bool:
        return bool(self._data or self._tail)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if not self._started:
            self._head += chunk
            if len(self._head) < 3 and b"\xef\xbb\xbf".startswith(self._head):
                return []
            chunk, self._head, self._started = self._head, b"", True
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        if not chunk:
            return []
        lines = chunk.splitlines()
        terminated = chunk[-1] in (10, 13)
        self._skip_lf = chunk[-1] == 13
        if self._tail:
            lines[0] = b"".join(self._tail) + lines[0]
            self._tail = []
            self._tail_size = 0
        if not terminated:
            last = lines.pop()
            self._tail = [last]
            self._tail_size = len(last)
            if self._size + self._tail_size > self._max:
                raise EventTooLargeError(limit=self._max, event_type=self._event.decode("utf-8", "replace") or "message")
        out: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                self.last_event_id = self._id.decode("utf-8", "replace")
                if self._data:
                    out.append(
                        ServerSentEvent(
                            self._event.decode("utf-8", "replace") or "message",
                            b"\n".join(self._data).decode("utf-8", "replace"),
                            self.last_event_id,
                            self.retry,
                        )
                    )
                    self.events_dispatched += 1
                self._data = []
                self._size = 0
                self._event = b""
                continue
            if line[0] == 58:
                continue
            field, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if field == b"data":
                self._data.append(value)
                self._size += len(value) + 1
                if self._size > self._max:
                    raise EventTooLargeError(limit=self._max, event_type=self._event.decode("utf-8", "replace") or "message")
            elif field == b"event":
                self._event = value
            elif field == b"id":
                if b"\0" not in value:
                    self._id = value
            elif field == b"retry":
                if value.isdigit():
                    self.retry = int(value)
        return out

    def close(self) -> list[ServerSentEvent]:
        self._tail = []
        self._data = []
        self._event = b""
        return []
