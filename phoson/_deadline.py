"""One deadline for a whole call (`deadline=`): the time left, and the error when it passes.
No I/O.

`timeout` bounds each attempt; `deadline` bounds the call: every pool wait, connect, retry,
backoff and `Retry-After` wait, and for a stream every read, resume and reconnect wait. Each
wait is given at most the time left; a wait that cannot end before the deadline fails at once
(a `PhosonTimeoutError` naming it) instead of sleeping first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ._exceptions import PhosonTimeoutError

__all__ = ["Deadline", "deadline_for"]

#: httpx's timeout phases, and what each one waits for (in error messages).
_PHASES = {
    "pool": "waiting for a free connection",
    "connect": "connecting",
    "write": "sending the request",
    "read": "waiting for the response",
}


class Deadline:
    """The end of one call, `seconds` after it started (on a monotonic clock)."""

    __slots__ = ("_clock", "at", "seconds")

    #: The whole call's seconds, and its end on the clock (`time.monotonic` by default).
    seconds: float
    at: float

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (0.0 once passed)."""
        return max(self.at - self._clock(), 0.0)

    @property
    def passed(self) -> bool:
        return self._clock() >= self.at

    def error(self, what: str) -> PhosonTimeoutError:
        """The error for the deadline cutting `what` ("while connecting", ...)."""
        return PhosonTimeoutError(f"the call's deadline ({self.seconds:g} s) passed {what}")

    def too_short(self, seconds: float, wait: str, left: float) -> PhosonTimeoutError:
        return PhosonTimeoutError(
            f"the call's deadline ({self.seconds:g} s) would pass during {wait} "
            f"({seconds:.2f} s, and {max(left, 0.0):.2f} s are left): failing now instead"
        )

    def check(self, what: str) -> None:
        """Raise `error(what)` if the deadline has passed."""
        if self._clock() >= self.at:
            raise self.error(what)

    def check_wait(self, seconds: float, wait: str) -> None:
        """Before sleeping `seconds` for `wait` ("the 1 s Retry-After wait before retry 2"):
        raise at once if the sleep would end after the deadline."""
        left = self.at - self._clock()
        if seconds >= left:
            raise self.too_short(seconds, wait, left)

    def cap(self, timeouts: dict[str, Any]) -> dict[str, Any]:
        """httpx's per-phase timeouts (a request's `timeout` extension), each at most the time
        left. Raises `error` if none is left."""
        left = self.at - self._clock()
        if left <= 0.0:
            raise self.error("before the request could be sent")
        return {
            phase: left if value is None or value > left else value
            for phase, value in timeouts.items()
        }

    def cut(self, phase: str | None) -> PhosonTimeoutError | None:
        """After an httpx timeout in `phase` ("pool", "connect", "write", "read"): the
        deadline's error if the deadline is what ended the wait, else None."""
        if self._clock() < self.at - 0.001:
            return None
        return self.error(f"while {_PHASES.get(phase or '', 'waiting')}")


def deadline_for(seconds: float | None) -> Deadline | None:
    """A `Deadline` starting now, or None for a call without one."""
    return None if seconds is None else Deadline(seconds)


def timeout_phase(exc: BaseException) -> str | None:
    """Which of httpx's phases a timeout exception comes from."""
    import httpx

    if isinstance(exc, httpx.PoolTimeout):
        return "pool"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect"
    if isinstance(exc, httpx.WriteTimeout):
        return "write"
    if isinstance(exc, httpx.ReadTimeout):
        return "read"
    return None
