"""The redaction registry (phoson._redact) is thread-safe and bounded: concurrent registrations
all land, a rotating key leaves it no bigger after 100,000 rotations than after MAX_KEYS,
and every form of a key (as is, percent-encoded, base64) is redacted."""

# White-box test: reads the size of the redaction registry.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

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


def test_100000_rotations_keep_the_registry_bounded() -> None:
    """A rotating-key function that returns a new token for every request: after 100,000
    rotations the registry holds at most MAX_KEYS keys (and their forms), so the cost of a
    request and of redacting a message stays what it was at the start (both grow with the
    registry only: 174 -> 804 us per redaction after 9,000 tokens when every key was kept). The
    key in use is still redacted and requests still go out with it. (The bound, not a timing,
    is asserted: timings fail on a loaded machine.)"""
    current: list[str] = []

    def rotating() -> str:
        current.append(canary_key("rot"))
        return current[-1]

    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        return httpx.Response(200, json=[])

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with PhosonClient(api_key=rotating, base_url=BASE_URL, http_client=http) as client:
        assert client.agents.list() == []
        for _ in range(100_000):
            remember_key(canary_key("rot"))  # what each request's key function does
        assert client.agents.list() == []
    assert len(sent) == 2  # each request with a key the function gave, the last one the newest
    assert {value.removeprefix("Bearer ") for value in sent} <= set(current)
    assert sent[-1] == f"Bearer {current[-1]}"
    assert len(_redact._recent) <= MAX_KEYS
    assert len(_redact._forms) <= 4 * MAX_KEYS
    assert redact(f"echo {current[-1]}") == f"echo {REDACTED}"
