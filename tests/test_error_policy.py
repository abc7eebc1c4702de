"""One error policy for a caller's mistakes (README, "Errors"), wherever the value is given.

A value of the wrong Python type (what a type checker reports) is a `TypeError`; a value of
the right type that cannot be used is an `InvalidArgumentError` (a `PhosonError`, and a
`ValueError`). The same value gets the same error at construction, in `with_options` and on a
call, in both clients, and always before anything is sent (the transport refuses every
request).
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx
import pytest

from phoson import (
    AsyncMessageStream,
    AsyncPhosonClient,
    InvalidArgumentError,
    MessageStream,
    PhosonClient,
    PhosonError,
)

KEY = "pk_test_error_policy"
URL = "http://phoson.localhost"

#: (option, value, error): each for the constructor, `with_options` and, for the options a
#: call takes too, each call.
CASES: list[tuple[str, Any, type[Exception]]] = [
    ("timeout", "5", TypeError),
    ("timeout", -1.0, InvalidArgumentError),
    ("timeout", math.nan, InvalidArgumentError),
    ("max_retries", 1.5, TypeError),
    ("max_retries", True, TypeError),
    ("max_retries", -1, InvalidArgumentError),
    ("base_url", 5, TypeError),
    ("base_url", "api.phoson.ai", InvalidArgumentError),
    ("api_key", 42, TypeError),
    ("api_key", "pk test", InvalidArgumentError),
    ("default_headers", {"X-Team": 5}, TypeError),
    ("default_headers", {"X-Team": "a\nb"}, InvalidArgumentError),
    ("default_query", "region=eu", TypeError),
]
#: The per-call twins of some of them.
CALL_CASES: list[tuple[str, Any, type[Exception]]] = [
    ("timeout", "5", TypeError),
    ("timeout", -1.0, InvalidArgumentError),
    ("max_retries", 1.5, TypeError),
    ("max_retries", -1, InvalidArgumentError),
    ("extra_headers", {"X-Team": 5}, TypeError),
    ("extra_headers", {"X-Team": "a\nb"}, InvalidArgumentError),
    ("extra_query", "region=eu", TypeError),
    ("extra_body", ["not", "an", "object"], TypeError),
    ("extra_body", {"when": object()}, InvalidArgumentError),
    ("idempotency_key", 7, TypeError),
]


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.method} {request.url} was")


def _clients() -> Iterator[PhosonClient | AsyncPhosonClient]:
    yield PhosonClient(
        api_key=KEY, base_url=URL, http_client=httpx.Client(transport=httpx.MockTransport(_refuse))
    )
    yield AsyncPhosonClient(
        api_key=KEY,
        base_url=URL,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(_refuse)),
    )


def _assert_policy(error: BaseException, expected: type[Exception], what: str) -> None:
    assert isinstance(error, expected), f"{what}: {type(error).__name__}: {error}"
    if expected is TypeError:
        assert not isinstance(error, PhosonError), what
    else:
        assert isinstance(error, PhosonError | ValueError), what


def _raised(action: Callable[[], object]) -> BaseException:
    """The error `action` raises, running what it returns (a coroutine, a stream) as far as
    its first request: an error there is still before any I/O."""
    try:
        result = action()
        if inspect.iscoroutine(result):
            asyncio.run(result)
        elif isinstance(result, AsyncMessageStream):
            asyncio.run(result.until_done())
        elif isinstance(result, MessageStream):
            result.until_done()
    except Exception as error:
        return error
    if isinstance(result, PhosonClient):
        result.close()
    raise AssertionError("no error")


def _make(kind: type[PhosonClient] | type[AsyncPhosonClient], settings: dict[str, Any]) -> object:
    return kind(**settings)


def _calls(client: PhosonClient | AsyncPhosonClient, options: dict[str, Any]) -> list[object]:
    """What each kind of call gives back before any I/O: a coroutine or a stream to run."""
    return [
        lambda: client.agents.create(name="n", description="d", **options),
        lambda: client.messages.stream("conv_1", "hi", **options),
        lambda: client.post("/agents", body={}, **options),
    ]


@pytest.mark.parametrize(("option", "value", "expected"), CASES, ids=lambda v: repr(v)[:20])
def test_construction_and_with_options_follow_the_policy(
    option: str, value: Any, expected: type[Exception]
) -> None:
    """The constructor and `with_options` refuse a wrong type with TypeError and an unusable
    value with InvalidArgumentError, in both clients."""
    for client in _clients():
        kind = type(client)
        settings: dict[str, Any] = {"api_key": KEY, "base_url": URL, option: value}
        made = _raised(partial(_make, kind, settings))
        _assert_policy(made, expected, f"{kind.__name__}({option}=)")
        copied = _raised(partial(client.with_options, **{option: value}))
        _assert_policy(copied, expected, f"{kind.__name__}.with_options({option}=)")
        if isinstance(client, PhosonClient):
            client.close()


@pytest.mark.parametrize(("option", "value", "expected"), CALL_CASES, ids=lambda v: repr(v)[:20])
def test_each_call_follows_the_policy_before_any_io(
    option: str, value: Any, expected: type[Exception]
) -> None:
    """A call's options get the same errors, before the request is built: plain calls, the
    stream and the client's own calls."""
    for client in _clients():
        for call in _calls(client, {option: value}):
            assert callable(call)
            _assert_policy(_raised(call), expected, f"{type(client).__name__} call {option}=")
        if isinstance(client, PhosonClient):
            client.close()
