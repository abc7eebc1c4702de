"""phoson-sdk: the official Python client for the Phoson Core API.

`AsyncPhosonClient` is for asyncio and trio code (`await client.agents.list()`);
`PhosonClient` is the same API, blocking, for scripts and Django views.
"""

# `import phoson` loads nothing but this module: each public name is imported on first use
# (PEP 562), so a program pays only for what it touches (the blocking client does not load
# the async one, an exception class does not load pydantic). Type checkers and IDEs read the
# `TYPE_CHECKING` imports below and see the real types.

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import testing
    from ._async import AsyncMessageStream, AsyncPhosonClient
    from ._exceptions import (
        AuthenticationError,
        BadRequestError,
        ConflictError,
        EventTooLargeError,
        IdempotencyKeyReusedError,
        IncompleteStreamError,
        InsecureTransportWarning,
        InternalServerError,
        InvalidArgumentError,
        MalformedEventError,
        NotFoundError,
        PermissionDeniedError,
        PhosonAPIError,
        PhosonConnectionError,
        PhosonError,
        PhosonResponseValidationError,
        PhosonTimeoutError,
        PhosonWarning,
        RateLimitError,
        RunFailedError,
        StreamTimeoutError,
        UnprocessableEntityError,
    )
    from ._http_clients import DefaultAsyncHttpxClient, DefaultHttpxClient
    from ._models import (
        Agent,
        Conversation,
        ErrorEvent,
        Message,
        PhosonModel,
        ReasoningEvent,
        RunDoneEvent,
        StreamEvent,
        TokenEvent,
        ToolEndEvent,
        ToolStartEvent,
        request_id_of,
    )
    from ._response import RawResponse
    from ._snapshot import ToolCall
    from ._sse import ServerSentEvent, SSEDecoder
    from ._sync import MessageStream, PhosonClient
    from ._types import (
        NOT_GIVEN,
        MemoryType,
        NotGiven,
        Provider,
        ReasoningEffort,
        RequestOptions,
    )

__all__ = [
    "NOT_GIVEN",
    "Agent",
    "AsyncMessageStream",
    "AsyncPhosonClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "Conversation",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "ErrorEvent",
    "EventTooLargeError",
    "IdempotencyKeyReusedError",
    "IncompleteStreamError",
    "InsecureTransportWarning",
    "InternalServerError",
    "InvalidArgumentError",
    "MalformedEventError",
    "MemoryType",
    "Message",
    "MessageStream",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "PhosonAPIError",
    "PhosonClient",
    "PhosonConnectionError",
    "PhosonError",
    "PhosonModel",
    "PhosonResponseValidationError",
    "PhosonTimeoutError",
    "PhosonWarning",
    "Provider",
    "RateLimitError",
    "RawResponse",
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
    "ToolCall",
    "ToolEndEvent",
    "ToolStartEvent",
    "UnprocessableEntityError",
    "__version__",
    "request_id_of",
    "testing",
]

#: The submodule each public name lives in ("testing" is a submodule itself).
_SUBMODULES: dict[str, tuple[str, ...]] = {
    "._async": ("AsyncMessageStream", "AsyncPhosonClient"),
    "._sync": ("MessageStream", "PhosonClient"),
    "._exceptions": (
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "EventTooLargeError",
        "IdempotencyKeyReusedError",
        "IncompleteStreamError",
        "InsecureTransportWarning",
        "InternalServerError",
        "InvalidArgumentError",
        "MalformedEventError",
        "NotFoundError",
        "PermissionDeniedError",
        "PhosonAPIError",
        "PhosonConnectionError",
        "PhosonError",
        "PhosonResponseValidationError",
        "PhosonTimeoutError",
        "PhosonWarning",
        "RateLimitError",
        "RunFailedError",
        "StreamTimeoutError",
        "UnprocessableEntityError",
    ),
    "._models": (
        "Agent",
        "Conversation",
        "ErrorEvent",
        "Message",
        "PhosonModel",
        "ReasoningEvent",
        "RunDoneEvent",
        "StreamEvent",
        "TokenEvent",
        "ToolEndEvent",
        "ToolStartEvent",
        "request_id_of",
    ),
    "._response": ("RawResponse",),
    "._http_clients": ("DefaultAsyncHttpxClient", "DefaultHttpxClient"),
    "._snapshot": ("ToolCall",),
    "._sse": ("SSEDecoder", "ServerSentEvent"),
    "._types": (
        "NOT_GIVEN",
        "MemoryType",
        "NotGiven",
        "Provider",
        "ReasoningEffort",
        "RequestOptions",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _SUBMODULES.items() for name in names}


# Hidden from type checkers, so that a misspelt name is an error for them rather than `Any`.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        import importlib

        if name == "testing":
            # `phoson.testing` (the local server): importing it binds the attribute.
            return importlib.import_module(".testing", __name__)
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'phoson' has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    # The public names only (not `Any` or `TYPE_CHECKING`, imported for this module's own use).
    return sorted(__all__)
