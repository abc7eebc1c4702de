# DO NOT EDIT: generated from phoson/_async/__init__.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
from ._client import PhosonClient
from ._resources import (
    Agents,
    AgentsWithRawResponse,
    Conversations,
    ConversationsWithRawResponse,
    Messages,
    MessagesWithRawResponse,
)
from ._streaming import MessageStream

__all__ = [
    "Agents",
    "AgentsWithRawResponse",
    "Conversations",
    "ConversationsWithRawResponse",
    "MessageStream",
    "Messages",
    "MessagesWithRawResponse",
    "PhosonClient",
]
