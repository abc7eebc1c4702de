from ._client import AsyncPhosonClient
from ._resources import AsyncAgents, AsyncConversations, AsyncMessages
from ._streaming import AsyncMessageStream

__all__ = [
    "AsyncAgents",
    "AsyncConversations",
    "AsyncMessageStream",
    "AsyncMessages",
    "AsyncPhosonClient",
]
