"""`client.request`, `get`, `post`, `patch`, `delete` and `stream_sse`: calls this SDK does not
model yet, with everything the modelled calls get (auth, retries, idempotency keys on writes,
error mapping, logging, per-call options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from typing_extensions import Unpack

from .._custom import CastTo, custom_call, parser_for
from .._options import checks_keywords
from .._types import RequestOptions, WriteRequestOptions
from .._wire import EVENT_STREAM
from ._requester import AsyncRequester
from ._streaming import AsyncMessageStream

__all__ = ["AsyncCustomCalls"]


class AsyncCustomCalls:
    """The client's methods for hand-made calls (a base class of the client)."""

    __slots__ = ()

    _requester: AsyncRequester

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo],
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> None: ...
    @checks_keywords
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo] | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo | None:
        """Send `method path` (a path under `base_url`) and return the answer as `cast_to`.

        `body` is sent as JSON, `params` as the query string. `cast_to` is a `PhosonModel`
        subclass, `list[Model]`, `httpx.Response` (the answer itself, body read) or None (the
        default: the body is ignored). Error statuses raise `PhosonAPIError` as usual.
        """
        # 1. Check everything before sending anything.
        call = custom_call(method, path, body, params)
        parse = parser_for(cast_to, strict=self._requester.config.strict_response_validation)
        # 2. Send as every other call is sent: retries, idempotency key, error mapping.
        result: CastTo | None = await self._requester.traced(call, options, parse)
        return result

    @overload
    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo],
        **options: Unpack[RequestOptions],
    ) -> CastTo: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        cast_to: None = None,
        **options: Unpack[RequestOptions],
    ) -> None: ...
    @checks_keywords
    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo] | None = None,
        **options: Unpack[RequestOptions],
    ) -> CastTo | None:
        """`request("GET", path, ...)`."""
        return await self.request("GET", path, params=params, cast_to=cast_to, **options)

    @overload
    async def post(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo],
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo: ...
    @overload
    async def post(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> None: ...
    @checks_keywords
    async def post(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo] | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo | None:
        """`request("POST", path, ...)`: carries an `Idempotency-Key`, reused by its retries."""
        return await self.request(
            "POST", path, body=body, params=params, cast_to=cast_to, **options
        )

    @overload
    async def patch(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo],
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo: ...
    @overload
    async def patch(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> None: ...
    @checks_keywords
    async def patch(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo] | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo | None:
        """`request("PATCH", path, ...)`."""
        return await self.request(
            "PATCH", path, body=body, params=params, cast_to=cast_to, **options
        )

    @overload
    async def delete(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo],
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo: ...
    @overload
    async def delete(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> None: ...
    @checks_keywords
    async def delete(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        cast_to: type[CastTo] | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> CastTo | None:
        """`request("DELETE", path, ...)`."""
        return await self.request(
            "DELETE", path, body=body, params=params, cast_to=cast_to, **options
        )

    @checks_keywords
    def stream_sse(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> AsyncMessageStream:
        """A stream over an event-stream endpoint this SDK does not model yet.

        The same stream object as `messages.stream` (typed events, `iter_sse()`, resuming with
        `Last-Event-ID`), returned at once: the request goes out when it is entered or iterated.
        """
        call = custom_call(method, path, body, params, accept=EVENT_STREAM)
        return AsyncMessageStream(self._requester, call, options)
