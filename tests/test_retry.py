"""The retry policy's arithmetic (phoson._retry), tested without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from phoson._retry import (
    RETRYABLE_STATUSES,
    backoff_delay,
    is_retryable_transport_error,
    retry_after,
    retry_delay,
)

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def test_backoff_doubles_from_half_a_second_and_caps_at_eight() -> None:
    """Without jitter the waits are 0.5, 1, 2, 4, 8, 8 …"""
    assert [backoff_delay(n, rand=lambda: 0.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert backoff_delay(10_000, rand=lambda: 0.0) == 8.0


def test_jitter_takes_off_at_most_a_quarter() -> None:
    """Jitter only shortens a wait, by at most 25%."""
    assert backoff_delay(2, rand=lambda: 1.0) == 1.5
    assert backoff_delay(2, rand=lambda: 0.5) == 1.75


def test_retry_after_seconds_ms_and_dates() -> None:
    """retry-after-ms wins; Retry-After takes seconds or an HTTP date; junk is ignored."""
    now = NOW.timestamp
    assert retry_after({"retry-after": "7"}, now) == 7.0
    assert retry_after({"retry-after": "1.5"}, now) == 1.5
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}, now) == 0.25
    assert retry_after({"retry-after-ms": "nope", "retry-after": "9"}, now) == 9.0
    date = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert retry_after({"retry-after": date}, now) == pytest.approx(30.0)
    past = format_datetime(NOW - timedelta(seconds=30), usegmt=True)
    assert retry_after({"retry-after": past}, now) == 0.0
    for junk in ("soon", "-3", "nan", "inf", ""):
        assert retry_after({"retry-after": junk}, now) is None
    assert retry_after({}, now) is None


def test_retry_delay_policy() -> None:
    """Retries stop at max_retries; Retry-After over 60 s means fail now."""
    assert retry_delay(0, 0) is None
    assert retry_delay(2, 2) is None
    assert retry_delay(0, 2, httpx.Headers({"retry-after": "60"})) == 60.0
    assert retry_delay(0, 2, httpx.Headers({"retry-after": "61"})) is None
    assert retry_delay(1, 2, None, rand=lambda: 0.0) == 1.0


def test_retryable_statuses_are_exactly_the_documented_ones() -> None:
    """408, 409, 429, 500, 502, 503 and 504, and nothing else."""
    assert sorted(RETRYABLE_STATUSES) == [408, 409, 429, 500, 502, 503, 504]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow"), True),
        (httpx.RemoteProtocolError("server disconnected"), True),
        (httpx.ReadError("reset"), True),
        (httpx.ReadTimeout("slow"), False),
        (httpx.WriteTimeout("slow"), False),
        (httpx.PoolTimeout("busy"), False),
        (httpx.UnsupportedProtocol("gopher"), False),
        (httpx.LocalProtocolError("bad"), False),
    ],
)
def test_which_transport_errors_are_retried(error: Exception, retryable: bool) -> None:
    """Connection failures and connect timeouts are retried; other timeouts are not."""
    assert is_retryable_transport_error(error) is retryable
