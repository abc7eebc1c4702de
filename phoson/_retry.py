"""When to retry a failed call and how long to wait first. Pure functions, no I/O.

The policy: connection errors, connect timeouts and the statuses below are retried up to
`max_retries` times. The wait is exponential from 0.5 s, capped at 8 s, with up to 25% jitter
taken off (so many clients that failed together do not retry together). A server's
`retry-after-ms` or `Retry-After` (seconds or an HTTP date) is obeyed when it asks for at most
60 s; when it asks for longer, the call fails at once rather than hang. A server can steer the
decision for one response with `x-should-retry: true` (retry even a status not listed) or
`x-should-retry: false` (never retry).

Every function here takes server-controlled input and never raises on it: nonsense (a 400-digit
number, a date in year 99999) counts as "not said".
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping

__all__ = [
    "INITIAL_DELAY",
    "MAX_DELAY",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUSES",
    "backoff_delay",
    "is_retryable_transport_error",
    "retry_after",
    "retry_delay",
    "server_reconnect_delay",
    "should_retry_response",
]

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
JITTER = 0.25


def backoff_delay(retries_done: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number `retries_done + 1`: 0.5, 1, 2, 4, 8, 8, … less jitter."""
    base = min(INITIAL_DELAY * 2.0 ** min(retries_done, 16), MAX_DELAY)
    return base * (1.0 - JITTER * rand())


def retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """What the server asked us to wait, in seconds, or None if it did not say (or said nonsense).

    `retry-after-ms` wins over `Retry-After`; `Retry-After` is either delta-seconds or an HTTP
    date. A date in the past means "now" (0 s).
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if 0.0 <= value < float("inf"):
            return value
    header = headers.get("retry-after")
    if header is None:
        return None
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
            if when.tzinfo is None:
                return None
            return max(0.0, when.timestamp() - now())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # unparseable, or a year no datetime can hold
    if 0.0 <= seconds < float("inf"):
        return seconds
    return None


def retry_delay(
    retries_done: int,
    max_retries: int,
    headers: Mapping[str, str] | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retrying, or None when the call must fail now.

    None when the retries are used up, or when the server asked for a wait longer than
    `MAX_RETRY_AFTER` (waiting that long in a client call is worse than failing clearly).
    """
    if retries_done >= max_retries:
        return None
    asked = retry_after(headers) if headers is not None else None
    if asked is None:
        return backoff_delay(retries_done, rand)
    if asked > MAX_RETRY_AFTER:
        return None
    return asked


def should_retry_response(status_code: int, headers: Mapping[str, str]) -> bool:
    """Whether an error response may be retried: `x-should-retry` if the server sent `true` or
    `false`, else whether the status is one of `RETRYABLE_STATUSES`."""
    steer = headers.get("x-should-retry")
    if steer is not None:
        steer = steer.strip().lower()
        if steer == "true":
            return True
        if steer == "false":
            return False
    return status_code in RETRYABLE_STATUSES


def server_reconnect_delay(retry_ms: int) -> float:
    """Seconds to wait before resuming a stream whose server sent `retry: <retry_ms>`, capped at
    `MAX_RETRY_AFTER` (a 400-digit value is no reason to overflow or to wait forever)."""
    return min(retry_ms, int(MAX_RETRY_AFTER * 1000)) / 1000.0


def is_retryable_transport_error(exc: Exception) -> bool:
    """Connection failures and connect timeouts are retried; read and write timeouts are not.

    A read timeout may mean the server is still working on the call; with an idempotency key a
    retry would be safe, but it would also double a long wait, so it is left to the caller.
    """
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return isinstance(exc, httpx.ConnectTimeout)
    return isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError)
