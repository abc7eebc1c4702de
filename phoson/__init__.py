"""phoson-sdk: the official Python client for the Phoson Core API.

`AsyncPhosonClient` is for asyncio and trio code (`await client.agents.list()`);
`PhosonClient` is the same API, blocking, for scripts and Django views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._async import AsyncMessageStream, AsyncPhosonClient
from ._exceptions import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EventTooLargeError,
    IncompleteStreamError,
    InternalServerError,
    MalformedEventError,
    NotFoundError,
    PermissionDeniedError,
    PhosonAPIError,
    PhosonConnectionError,
    PhosonError,
    PhosonResponseValidationError,
    PhosonTimeoutError,
    RateLimitError,
    RunFailedError,
    StreamTimeoutError,
    UnprocessableEntityError,
)
from ._models import (
    Agent,
    Conversation,
    ErrorEvent,
    Message,
    ReasoningEvent,
    RunDoneEvent,
    StreamEvent,
    TokenEvent,
    ToolEndEvent,
    ToolStartEvent,
)
from ._sse import ServerSentEvent, SSEDecoder
from ._sync import MessageStream, PhosonClient
from ._types import NOT_GIVEN, MemoryType, Provider, ReasoningEffort, RequestOptions
from ._version import __version__

if TYPE_CHECKING:
    from . import testing

__all__ = [
    "NOT_GIVEN",
    "Agent",
    "AsyncMessageStream",
    "AsyncPhosonClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "Conversation",
    "ErrorEvent",
    "EventTooLargeError",
    "IncompleteStreamError",
    "InternalServerError",
    "MalformedEventError",
    "MemoryType",
    "Message",
    "MessageStream",
    "NotFoundError",
    "PermissionDeniedError",
    "PhosonAPIError",
    "PhosonClient",
    "PhosonConnectionError",
    "PhosonError",
    "PhosonResponseValidationError",
    "PhosonTimeoutError",
    "Provider",
    "RateLimitError",
    "ReasoningEffort",
    "ReasoningEvent",
    "RequestOptions",
    "RunDoneEvent",
    "RunFailedError",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamEvent",
    "StreamTimeoutError",
    "TokenEvent",
    "ToolEndEvent",
    "ToolStartEvent",
    "UnprocessableEntityError",
    "__version__",
    "testing",
]


def __getattr__(name: str) -> Any:
    # `phoson.testing` (the local server) loads only when asked for.
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module 'phoson' has no attribute {name!r}")
