# DO NOT EDIT: generated from phoson/_async/_raw.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""`with_raw_response`: every call of a resource, answering with `RawResponse[...]`.

`client.agents.with_raw_response` is the same resource over a requester whose `answer` hook
wraps the response in a `RawResponse` instead of parsing it. The classes below list each
resource's calls (typed with the plain call's parameters and a `RawResponse` of its result);
a test checks that they list every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

import httpx

from .._response import RawResponse, raw_method
from ._requester import Requester

if TYPE_CHECKING:
    from ._resources import Agents, Conversations, Messages

__all__ = [
    "AgentsWithRawResponse",
    "ConversationsWithRawResponse",
    "MessagesWithRawResponse",
    "RawRequester",
]

T = TypeVar("T")


class RawRequester(Requester):
    """A requester that answers each call with a `RawResponse` (parsed on `.parse()`)."""

    __slots__ = ()

    @classmethod
    def of(cls, requester: Requester) -> RawRequester:
        """A raw-answering view of `requester`: same settings, connection pool and tracer, and
        the same lifetime (closing `requester` closes the view too)."""
        raw = cls(requester.config, requester.pool, owns_pool=False)
        raw.tracer = requester.tracer
        raw._lifetime = requester._lifetime
        return raw

    def answer(self, response: httpx.Response, parse: Callable[[], T]) -> T:
        # The resource's method is typed as returning T; `araw_method` retypes it for callers.
        return cast(T, RawResponse(response, parse))


class AgentsWithRawResponse:
    """`client.agents.with_raw_response`: the calls of `client.agents`, answering with
    `RawResponse[Agent]`, `RawResponse[list[Agent]]` or `RawResponse[None]`."""

    def __init__(self, agents: Agents) -> None:
        raw = type(agents)(RawRequester.of(agents._requester))
        self.create = raw_method(raw.create)
        self.list = raw_method(raw.list)
        self.get = raw_method(raw.get)
        self.update = raw_method(raw.update)
        self.delete = raw_method(raw.delete)
        self.attach_mcp = raw_method(raw.attach_mcp)
        self.detach_mcp = raw_method(raw.detach_mcp)


class ConversationsWithRawResponse:
    """`client.conversations.with_raw_response`: its calls, answering with `RawResponse[...]`."""

    def __init__(self, conversations: Conversations) -> None:
        raw = type(conversations)(RawRequester.of(conversations._requester))
        self.create = raw_method(raw.create)
        self.list = raw_method(raw.list)
        self.get = raw_method(raw.get)
        self.update = raw_method(raw.update)
        self.delete = raw_method(raw.delete)


class MessagesWithRawResponse:
    """`client.messages.with_raw_response`: `send` and `list`, answering with `RawResponse[...]`.

    `stream` is not here: the stream itself has `.response` (status and headers).
    """

    def __init__(self, messages: Messages) -> None:
        raw = type(messages)(RawRequester.of(messages._requester))
        self.send = raw_method(raw.send)
        self.list = raw_method(raw.list)
