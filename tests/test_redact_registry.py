"""The redaction registry (phoson._redact) is thread-safe and bounded: concurrent registrations
all land, a rotating key costs the same per request after 100,000 rotations as at the first,
and every form of a key (as is, percent-encoded, base64) is redacted."""

# White-box test: reads the size of the redaction registry.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from phoson import PhosonClient, _redact
from phoson._redact import MAX_KEYS, REDACTED, redact, remember_authorization, remember_key
from tests.canary import canary_key, forms, leaks
from tests.payloads import BASE_URL


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads switch as often as Python allows, so that a race shows up."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_concurrent_registrations_are_never_lost(fast_switching: None) -> None:
    """8 threads registering MAX_KEYS keys between them: every one is redacted afterwards (an
    unlocked registry lost about a third of them)."""
    keys = [canary_key("thread") for _ in range(MAX_KEYS)]
    start = threading.Barrier(8)

    def register(mine: list[str]) -> None:
        start.wait()
        for key in mine:
            remember_key(key)

    threads = [threading.Thread(target=register, args=(keys[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [key for key in keys if redact(key) != REDACTED] == []


def test_every_form_of_a_key_is_redacted() -> None:
    """A server may echo the key percent-encoded or base64-encoded: each form is blanked."""
    key = canary_key("forms") + "+/="
    remember_key(key)
    for form in forms(key):
        assert not leaks(redact(f"echo: {form}."), key), form


def test_an_authorization_value_registers_its_credentials() -> None:
    """`Bearer <key>` given as a header registers the key itself, so a bare echo is redacted."""
    key = canary_key("header")
    remember_authorization(f"Bearer {key}")
    assert redact(f"got {key}") == f"got {REDACTED}"


def test_the_registry_keeps_the_most_recent_keys_only() -> None:
    """After MAX_KEYS newer keys an old one is forgotten; a key in use (registered again on
    each request) stays."""
    old, used = canary_key("old"), canary_key("used")
    remember_key(old)
    for _ in range(MAX_KEYS * 3):
        remember_key(used)
        remember_key(canary_key("newer"))
    assert redact(used) == REDACTED
    assert redact(old) == old
    assert len(_redact._forms) <= 4 * MAX_KEYS


def _per_call(function: Callable[[], object], calls: int) -> float:
    """Seconds per call of `function`: the best of 5 batches (the least disturbed by load)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def test_cost_per_request_stays_flat_over_100000_rotations() -> None:
    """A rotating-key function that returns a new token for every request: the cost of a
    request (through a mock transport) after 100,000 rotations is within 2x of its cost at
    the start, and so is the cost of redacting an error message (it was 174 -> 804 us after
    9,000 tokens when every key was kept)."""

    def rotating() -> str:
        return canary_key("rot")

    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    message = "an error message a few lines long, " * 10
    with PhosonClient(api_key=rotating, base_url=BASE_URL, http_client=http) as client:
        before = _per_call(client.agents.list, 100)
        redact_before = _per_call(lambda: redact(message), 500)
        for _ in range(100_000):
            remember_key(rotating())  # what each request's key function does, 100,000 times
        after = _per_call(client.agents.list, 100)
        redact_after = _per_call(lambda: redact(message), 500)
    assert after / before < 2.0, (before, after)  # unbounded, 10,000 rotations cost 9x
    assert redact_after / redact_before < 2.0, (redact_before, redact_after)  # was 18x
