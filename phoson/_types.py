"""Type aliases used in the public signatures, and the per-call request options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import httpx
from typing_extensions import TypedDict

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "HeaderValue",
    "JSONValue",
    "MemoryType",
    "MemoryTypeInput",
    "NotGiven",
    "Provider",
    "ProviderInput",
    "ReasoningEffort",
    "ReasoningEffortInput",
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

# What the methods accept for those fields: the documented values (editors complete them), or
# any other string, so that a value read from the API (a model's field is a plain `str`, and a
# newer server may know more values) goes back in without a cast.
MemoryTypeInput: TypeAlias = MemoryType | str
ProviderInput: TypeAlias = Provider | str
ReasoningEffortInput: TypeAlias = ReasoningEffort | str

#: Any value JSON can hold, as `json.loads` gives it: an error's `detail` and `body`.
JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"

#: A header value given by the caller; None removes the header (the SDK's own included).
HeaderValue: TypeAlias = str | None

#: A timeout in seconds, an `httpx.Timeout`, or None for no timeout at all.
TimeoutTypes: TypeAlias = float | httpx.Timeout | None

#: Ten minutes for a whole call (long runs stream for a while), five seconds to connect.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
#: Enough connections for hundreds of concurrent streams from one client.
DEFAULT_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


class RequestOptions(TypedDict, total=False):
    """Keyword-only options every method accepts, for this call only.

    An unknown keyword (a typo such as `timout=`) raises `TypeError` at call time.
    """

    #: Overrides the client's timeout (`NOT_GIVEN`: the client's, as if left out).
    timeout: TimeoutTypes | NotGiven
    #: Overrides the client's `deadline`: seconds for the whole call, every retry, wait and
    #: stream resume included (None: no deadline).
    deadline: float | None
    #: Overrides the client's `stream_idle_timeout`: the longest silence between two bytes of
    #: a stream before it resumes (None: the read timeout).
    stream_idle_timeout: float | None
    #: Overrides the client's `max_retries`.
    max_retries: int
    #: Headers added to the SDK's own; a name the SDK also sends (any letter case) replaces
    #: it, and a None value removes it.
    extra_headers: Mapping[str, HeaderValue]
    #: Query parameters added to the URL.
    extra_query: Mapping[str, Any]


class WriteRequestOptions(RequestOptions, total=False):
    """The options of calls that change something (`POST`, `PATCH`, `DELETE`)."""

    #: Sent as `Idempotency-Key`; the SDK makes a uuid4 when it is not given.
    idempotency_key: str
    #: Fields merged into the JSON body (a call without a body of its own sends them alone).
    extra_body: Mapping[str, Any]


#: The option names each kind of call accepts (checked on every call, one set operation).
READ_OPTIONS = frozenset(RequestOptions.__annotations__)
WRITE_OPTIONS = frozenset(WriteRequestOptions.__annotations__)


class NotGiven:
    """The type of `NOT_GIVEN`: marks an argument that was left out where None means something."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


#: "Left out", for arguments such as `timeout=` where None already means "no timeout".
NOT_GIVEN = NotGiven()
