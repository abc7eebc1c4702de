"""`with_raw_response`: the requester that answers each call with a `RawResponse[...]`.

`client.agents.with_raw_response` (its view class is in `_resources`) calls the
same resource over a copy of its requester whose `answer` hook wraps the response in a
`RawResponse` instead of parsing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import httpx

from .._response import RawResponse
from ._requester import AsyncRequester

__all__ = ["AsyncRawRequester"]

T = TypeVar("T")


class AsyncRawRequester(AsyncRequester):
    """A requester that answers each call with a `RawResponse` (parsed on `.parse()`)."""

    __slots__ = ()

    @classmethod
    def of(cls, requester: AsyncRequester) -> AsyncRawRequester:
        """A raw-answering view of `requester`: same settings, connection pool and tracer, and
        the same lifetime (closing `requester` closes the view too)."""
        raw = cls(requester.config, requester.pool, owns_pool=False)
        raw.tracer = requester.tracer
        raw._lifetime = requester._lifetime
        return raw

    def answer(self, response: httpx.Response, parse: Callable[[], T]) -> T:
        # The resource's method is typed as returning T; `araw_call` retypes it for callers.
        return cast(T, RawResponse(response, parse))
