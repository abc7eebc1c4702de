"""The option validator (phoson._options): one checker per option, used at construction, in
with_options and on each call, before any I/O; errors name the option and its accepted values."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from phoson import AsyncPhosonClient, PhosonClient, PhosonError
from phoson._options import check_call_options
from tests.canary import canary_key
from tests.payloads import BASE_URL


def test_an_async_key_function_is_refused_without_a_warning() -> None:
    """An `async def` key function is refused when either client is made, and no "coroutine was
    never awaited" warning is left behind; one hidden in a plain function fails the call the
    same way (the coroutine is closed, not left to warn)."""

    async def fetch_key() -> str:
        return canary_key()

    hidden: Any = lambda: fetch_key()  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in (AsyncPhosonClient, PhosonClient):
            with pytest.raises(TypeError, match="api_key must be a str or a plain function"):
                cls(api_key=fetch_key, base_url=BASE_URL)  # type: ignore[arg-type]
        http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
        client = PhosonClient(api_key=hidden, base_url=BASE_URL, http_client=http)
        with client, pytest.raises(PhosonError, match="returned a coroutine"):
            client.agents.list()


def test_call_options_are_checked_by_name_and_value() -> None:
    """An unknown option is the TypeError of a typo; a GET refuses the write-only options; a
    bad value names the option and what it accepts; good values pass (a timeout number becomes
    an httpx.Timeout)."""
    with pytest.raises(TypeError, match="did you mean 'timeout'"):
        check_call_options("agents.list", {"timout": 1}, changes_state=False)
    with pytest.raises(TypeError, match="takes no Idempotency-Key"):
        check_call_options("client.request", {"idempotency_key": "k"}, changes_state=False)
    with pytest.raises(TypeError, match=r"timeout must be a number of seconds >= 0.*got '5'"):
        check_call_options("agents.list", {"timeout": "5"}, changes_state=False)
    checked = check_call_options(
        "agents.create",
        {"timeout": 5, "max_retries": 0, "idempotency_key": "k"},
        changes_state=True,
    )
    assert checked == {"timeout": httpx.Timeout(5), "max_retries": 0, "idempotency_key": "k"}
    empty: dict[str, Any] = {}
    assert check_call_options("agents.list", empty, changes_state=False) is empty


def test_header_values_are_never_quoted_in_errors() -> None:
    """A header value of the wrong type is named by its type only: it may be a secret."""
    key = canary_key()
    with pytest.raises(TypeError) as caught:
        check_call_options(
            "agents.list", {"extra_headers": {"Authorization": key.encode()}}, changes_state=False
        )
    assert key not in str(caught.value) and "a bytes" in str(caught.value)
