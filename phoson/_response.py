"""`RawResponse[T]`: an answer with its HTTP status and headers, parsed only when asked. No I/O.

`client.agents.with_raw_response.get(...)` (and every other call under `with_raw_response`)
returns one. The body has already been read, so both clients share this class; `parse()`
validates it the way the plain call would have.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Generic, ParamSpec, TypeVar, cast

import httpx

from ._redact import REDACTED, contains_key, redact

__all__ = ["RawResponse", "araw_method", "raw_method"]

T = TypeVar("T")
P = ParamSpec("P")

#: Marks a `RawResponse` whose body has not been parsed yet.
_UNPARSED: Any = object()


class RawResponse(Generic[T]):
    """The HTTP response of one call, and the value the call would have returned.

    `status_code`, `headers` and `request_id` need no parsing; `parse()` validates the body
    (once, then returns the same value) and raises `PhosonResponseValidationError` if it does
    not have the promised shape. Error statuses still raise `PhosonAPIError` from the call
    itself, after the usual retries.
    """

    __slots__ = ("_parsed", "_parser", "http_response")

    def __init__(self, http_response: httpx.Response, parser: Callable[[], T]) -> None:
        #: The `httpx.Response` itself (its body already read).
        self.http_response = http_response
        self._parser = parser
        self._parsed: T = _UNPARSED

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (case-insensitive): rate limits, caching, `Idempotent-Replayed`."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The response's `x-request-id`, if the server sent one."""
        request_id: str | None = self.http_response.headers.get("x-request-id")
        return request_id

    def parse(self) -> T:
        """The call's usual return value: the model, the list of models, or None."""
        if self._parsed is _UNPARSED:
            self._parsed = self._parser()
        return self._parsed

    def __repr__(self) -> str:
        request = self.http_response.request
        return redact(
            f"<RawResponse [{self.status_code}] {request.method} {request.url.raw_path.decode()}>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the key: the request's credential headers are blanked and every
        # other header, and the body, redacted (`phoson._redact`). The parser is rebound to
        # that copy of the response.
        clean = without_secrets(self.http_response)
        parser: Any = self._parser
        if isinstance(parser, partial) and parser.args and parser.args[0] is self.http_response:
            parser = partial(parser.func, clean, *parser.args[1:], **parser.keywords)
        parsed = None if self._parsed is _UNPARSED else (self._parsed,)
        return (_restore, (clean, parser, parsed))


def _restore(
    http_response: httpx.Response, parser: Callable[[], Any], parsed: tuple[Any] | None
) -> RawResponse[Any]:
    raw: RawResponse[Any] = RawResponse(http_response, parser)
    if parsed is not None:
        raw._parsed = parsed[0]
    return raw


#: Request headers that carry credentials: blanked whole in a copy that leaves the process.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})


#: Headers that describe the body as it came over the wire, not the decoded copy kept.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _clean_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [
        (name, REDACTED if name.lower() in _SECRET_HEADERS else redact(value))
        for name, value in headers.multi_items()
        if name.lower() not in _WIRE_HEADERS
    ]


def without_secrets(response: httpx.Response) -> httpx.Response:
    """A copy of a read `response` (and its request) that holds no API key: credential headers
    blanked, other headers and the body redacted. For pickling."""
    request = response.request
    clean_request = httpx.Request(
        request.method,
        redact(str(request.url)),
        headers=_clean_headers(request.headers),
        content=b"",
    )
    content = response.content
    text = content.decode("utf-8", "replace")
    if contains_key(text):
        content = redact(text).encode()
    return httpx.Response(
        response.status_code,
        headers=_clean_headers(response.headers),
        content=content,
        request=clean_request,
    )


# The two helpers below only retype a bound method: at run time they return it unchanged. The
# method must already answer with a `RawResponse` (it is bound to a resource whose requester
# does); they tell type checkers so, keeping the method's parameters.


def araw_method(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """Retype a coroutine method of a raw-answering resource (`AsyncPhosonClient`)."""
    return cast(Callable[P, Awaitable[RawResponse[T]]], method)


def raw_method(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """Retype a method of a raw-answering resource (`PhosonClient`)."""
    return cast(Callable[P, RawResponse[T]], method)
