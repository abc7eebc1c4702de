"""`RawResponse[T]`: an answer with its HTTP status and headers, parsed only when asked. No I/O.

`client.agents.with_raw_response.get(...)` (and every other call under `with_raw_response`)
returns one. The body has already been read, so both clients share this class; `parse()`
validates it the way the plain call would have.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast

import httpx

from ._redact import REDACTED, contains_key, redact

__all__ = ["RawResponse", "araw_call", "raw_call"]

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

    __slots__ = ("_parsed", "_parser", "response")

    #: The `httpx.Response` itself (its body already read); `response`, as on streams and
    #: errors.
    response: httpx.Response

    def __init__(self, response: httpx.Response, parser: Callable[[], T]) -> None:
        self.response = response
        self._parser = parser
        self._parsed: T = _UNPARSED

    @property
    def status_code(self) -> int:
        """The HTTP status (2xx: error statuses raise from the call)."""
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (case-insensitive): rate limits, caching, `Idempotent-Replayed`."""
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        """The response's `x-request-id`, if the server sent one."""
        request_id: str | None = self.response.headers.get("x-request-id")
        return request_id

    def parse(self) -> T:
        """The call's usual return value: the model, the list of models, or None."""
        if self._parsed is _UNPARSED:
            self._parsed = self._parser()
        return self._parsed

    def __repr__(self) -> str:
        request = self.response.request
        return redact(
            f"<RawResponse [{self.status_code}] {request.method} {request.url.raw_path.decode()}>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the key: the request's credential headers are blanked and every
        # other header, and the body, redacted (`phoson._redact`). The parser is rebound to
        # that copy of the response.
        clean = without_secrets(self.response)
        parser: Any = self._parser
        if isinstance(parser, partial) and parser.args and parser.args[0] is self.response:
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


# `with_raw_response` views declare each call once, by the plain call it mirrors:
#
#     @araw_call(AsyncAgents.get)
#     def get(self) -> None:
#         """Like `agents.get`, answering with `RawResponse[Agent]`."""
#
# The decorator replaces the stub by a method with the plain call's parameters that calls the
# same method on the view's raw-answering resource (`self._resource`), typed for checkers as
# answering with `RawResponse[T]` (a coroutine of it for the async client, so
# `asyncio.create_task` accepts it), and shown so by `help()` and `inspect.signature`.


def _mirror(
    plain: Callable[..., Any], stub: Callable[..., Any], method: Callable[..., Any]
) -> None:
    method.__name__ = stub.__name__
    method.__qualname__ = stub.__qualname__
    method.__module__ = stub.__module__
    method.__doc__ = stub.__doc__
    signature = inspect.signature(plain)
    returns = signature.return_annotation
    if isinstance(returns, str):
        returns = f"RawResponse[{returns}]"
    elif returns is not inspect.Signature.empty:
        returns = RawResponse[returns]  # type: ignore[valid-type]
    method.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]


def araw_call(
    plain: Callable[Concatenate[Any, P], Coroutine[Any, Any, T]],
) -> Callable[
    [Callable[[Any], None]], Callable[Concatenate[Any, P], Coroutine[Any, Any, RawResponse[T]]]
]:
    """Declare the raw twin of the coroutine method `plain` (`AsyncPhosonClient`)."""

    def declare(
        stub: Callable[[Any], None],
    ) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, RawResponse[T]]]:
        name = stub.__name__

        async def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
            # The resource's requester answers with a RawResponse where the method says T.
            return cast(RawResponse[T], await getattr(self._resource, name)(*args, **kwargs))

        _mirror(plain, stub, method)
        return method

    return declare


def raw_call(
    plain: Callable[Concatenate[Any, P], T],
) -> Callable[[Callable[[Any], None]], Callable[Concatenate[Any, P], RawResponse[T]]]:
    """Declare the raw twin of the method `plain` (`PhosonClient`)."""

    def declare(stub: Callable[[Any], None]) -> Callable[Concatenate[Any, P], RawResponse[T]]:
        name = stub.__name__

        def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
            return cast(RawResponse[T], getattr(self._resource, name)(*args, **kwargs))

        _mirror(plain, stub, method)
        return method

    return declare
