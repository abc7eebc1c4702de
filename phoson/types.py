"""The types of phoson's public signatures that are not top-level names of `phoson`.

Annotate your own code with these; no `phoson._…` import is ever needed::

    from phoson.types import AsyncMessages, RequestOptions, TimeoutTypes

    async def ask(messages: AsyncMessages, text: str, **options: Unpack[RequestOptions]): ...

The resource classes (`client.agents` is an `Agents` or `AsyncAgents`), their
`with_raw_response` views, the per-call options (`RequestOptions`, `WriteRequestOptions`),
`NotGiven`, the client's settings (`ClientConfig`, returned by `client.config`) and the aliases
the signatures print (`MemoryTypeInput`, `TimeoutTypes`, …). The models, events, streams,
clients and exceptions are top-level names of `phoson`; the local server's types are in
`phoson.testing`. Like `phoson`, this module loads each name on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._async import (
        AsyncAgents,
        AsyncAgentsWithRawResponse,
        AsyncConversations,
        AsyncConversationsWithRawResponse,
        AsyncMessages,
        AsyncMessagesWithRawResponse,
    )
    from ._config import ApiKey, ClientConfig
    from ._models import StreamEvent
    from ._snapshot import ToolCall
    from ._sse import ServerSentEvent
    from ._sync import (
        Agents,
        AgentsWithRawResponse,
        Conversations,
        ConversationsWithRawResponse,
        Messages,
        MessagesWithRawResponse,
    )
    from ._types import (
        NOT_GIVEN,
        HeaderValue,
        JSONValue,
        MemoryType,
        MemoryTypeInput,
        NotGiven,
        Provider,
        ProviderInput,
        ReasoningEffort,
        ReasoningEffortInput,
        RequestOptions,
        TimeoutTypes,
        WriteRequestOptions,
    )

__all__ = [
    "NOT_GIVEN",
    "Agents",
    "AgentsWithRawResponse",
    "ApiKey",
    "AsyncAgents",
    "AsyncAgentsWithRawResponse",
    "AsyncConversations",
    "AsyncConversationsWithRawResponse",
    "AsyncMessages",
    "AsyncMessagesWithRawResponse",
    "ClientConfig",
    "Conversations",
    "ConversationsWithRawResponse",
    "HeaderValue",
    "JSONValue",
    "MemoryType",
    "MemoryTypeInput",
    "Messages",
    "MessagesWithRawResponse",
    "NotGiven",
    "Provider",
    "ProviderInput",
    "ReasoningEffort",
    "ReasoningEffortInput",
    "RequestOptions",
    "ServerSentEvent",
    "StreamEvent",
    "TimeoutTypes",
    "ToolCall",
    "WriteRequestOptions",
]

#: The private module each name lives in.
_SUBMODULES: dict[str, tuple[str, ...]] = {
    "._async": (
        "AsyncAgents",
        "AsyncAgentsWithRawResponse",
        "AsyncConversations",
        "AsyncConversationsWithRawResponse",
        "AsyncMessages",
        "AsyncMessagesWithRawResponse",
    ),
    "._sync": (
        "Agents",
        "AgentsWithRawResponse",
        "Conversations",
        "ConversationsWithRawResponse",
        "Messages",
        "MessagesWithRawResponse",
    ),
    "._config": ("ApiKey", "ClientConfig"),
    "._models": ("StreamEvent",),
    "._snapshot": ("ToolCall",),
    "._sse": ("ServerSentEvent",),
    "._types": (
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
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _SUBMODULES.items() for name in names}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        import importlib

        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'phoson.types' has no attribute {name!r}")
        value = getattr(importlib.import_module(module, "phoson"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
