"""Armed faults: what the next matching requests suffer instead of (or on top of) normal service.

Faults wait in one queue, in the order they were armed. Each request takes the oldest armed fault
that matches it (`path` is a prefix of the request path; stream faults match only stream
requests). A fault armed for `n` requests keeps its place in the queue until it has been used
`n` times. `delay_headers` is separate: it adds to whatever else happens.

The caller holds the server's lock around every method here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BODY_KINDS", "EVENT_KINDS", "Fault", "FaultQueue", "StreamFaults"]

BODY_KINDS = frozenset({"not_json", "wrong_shape", "empty_error", "html_error"})
EVENT_KINDS = frozenset({"bad_event_json", "bad_event_fields"})


@dataclass(slots=True)
class Fault:
    """One armed fault. `kind` is "fail", "drop", "malformed" (with `malformed` naming which),
    "cut" (with `cut_after`), "stall" (with `cut_after` and `seconds`) or "delay" (with
    `seconds`)."""

    kind: str
    remaining: int
    path: str | None = None
    status: int = 503
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str | None = "application/json"
    malformed: str = ""
    cut_after: int = 0
    seconds: float = 0.0

    @property
    def at_stream_time(self) -> bool:
        """Cuts and corrupted events act on a stream once it starts; the rest replace the
        response as soon as the request arrives."""
        if self.kind in ("cut", "stall"):
            return True
        return self.kind == "malformed" and self.malformed in EVENT_KINDS

    def matches(self, path: str, is_stream: bool) -> bool:
        if self.path is not None and not path.startswith(self.path):
            return False
        return is_stream or not self.at_stream_time


@dataclass(slots=True)
class StreamFaults:
    """What a starting stream suffers: a cut after `cut_after` events, corrupted events, a
    silence of `stall_seconds` after `stall_after` events."""

    cut_after: int | None = None
    malformed: str | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0


@dataclass(slots=True)
class FaultQueue:
    queue: list[Fault] = field(default_factory=list)
    delays: list[Fault] = field(default_factory=list)

    def arm(self, fault: Fault) -> None:
        (self.delays if fault.kind == "delay" else self.queue).append(fault)

    def clear(self) -> None:
        self.queue.clear()
        self.delays.clear()

    def take_delay(self, path: str) -> float:
        """Seconds to wait before answering this request (0 when no delay is armed for it)."""
        for fault in self.delays:
            if fault.matches(path, True):
                self._use(self.delays, fault)
                return fault.seconds
        return 0.0

    def take_for_request(self, path: str, is_stream: bool) -> Fault | None:
        """The fault that replaces this request's response, if the oldest matching one does."""
        for fault in self.queue:
            if fault.matches(path, is_stream):
                if fault.at_stream_time:
                    return None  # claimed by a stream fault: served, and spoiled later
                self._use(self.queue, fault)
                return fault
        return None

    def take_for_stream(self, path: str) -> StreamFaults:
        """The cut and the corruption (the oldest armed of each) for a stream starting now."""
        taken = StreamFaults()
        for fault in list(self.queue):
            if not fault.at_stream_time or not fault.matches(path, True):
                continue
            if fault.kind == "cut" and taken.cut_after is None:
                taken.cut_after = fault.cut_after
                self._use(self.queue, fault)
            elif fault.kind == "stall" and taken.stall_after is None:
                taken.stall_after, taken.stall_seconds = fault.cut_after, fault.seconds
                self._use(self.queue, fault)
            elif fault.kind == "malformed" and taken.malformed is None:
                taken.malformed = fault.malformed
                self._use(self.queue, fault)
        return taken

    @staticmethod
    def _use(queue: list[Fault], fault: Fault) -> None:
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.remove(fault)
