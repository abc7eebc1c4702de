from ._client import AsyncPhosonClient
from ._resources import (
    AsyncAgents,
    AsyncAgentsWithRawResponse,
    AsyncConversations,
    AsyncConversationsWithRawResponse,
    AsyncMessages,
    AsyncMessagesWithRawResponse,
)
from ._streaming import AsyncMessageStream

__all__ = [
    "AsyncAgents",
    "AsyncAgentsWithRawResponse",
    "AsyncConversations",
    "AsyncConversationsWithRawResponse",
    "AsyncMessageStream",
    "AsyncMessages",
    "AsyncMessagesWithRawResponse",
    "AsyncPhosonClient",
]
