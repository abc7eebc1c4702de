"""Type aliases used in the public signatures, and the per-call request options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import httpx
from typing_extensions import TypedDict

__all__ = [
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "MemoryType",
    "NotGiven",
    "Provider",
    "ReasoningEffort",
    "RequestOptions",
    "TimeoutTypes",
    "WriteRequestOptions",
]

#: How an agent remembers: the values the API documents today.
MemoryType: TypeAlias = Literal["persistent", "semantic"]
#: Which model provider runs a message.
Provider: TypeAlias = Literal["anthropic", "openai", "openrouter"]
#: How hard a reasoning model thinks before answering.
ReasoningEffort: TypeAlias = Literal["low", "medium", "high"]

#: A timeout in seconds, an `httpx.Timeout`, or None for no timeout at all.
TimeoutTypes: TypeAlias = float | httpx.Timeout | None

#: Ten minutes for a whole call (long runs stream for a while), five seconds to connect.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


class RequestOptions(TypedDict, total=False):
    """Keyword-only options every method accepts, for this call only."""

    #: Overrides the client's timeout.
    timeout: TimeoutTypes
    #: Overrides the client's `max_retries`.
    max_retries: int
    #: Headers added to (or replacing) the SDK's own.
    extra_headers: Mapping[str, str]
    #: Query parameters added to the URL.
    extra_query: Mapping[str, Any]
    #: Fields merged into the JSON body (only for calls that send one).
    extra_body: Mapping[str, Any]


class WriteRequestOptions(RequestOptions, total=False):
    """The options of calls that change something (`POST`, `PATCH`, `DELETE`)."""

    #: Sent as `Idempotency-Key`; the SDK makes a uuid4 when it is not given.
    idempotency_key: str


class NotGiven:
    """The type of `NOT_GIVEN`: marks an argument that was left out where None means something."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


#: "Left out", for arguments such as `timeout=` where None already means "no timeout".
NOT_GIVEN = NotGiven()
