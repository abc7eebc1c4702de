# DO NOT EDIT: generated from phoson/_async/__init__.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
from ._client import PhosonClient
from ._resources import Agents, Conversations, Messages
from ._streaming import MessageStream

__all__ = [
    "Agents",
    "Conversations",
    "MessageStream",
    "Messages",
    "PhosonClient",
]
