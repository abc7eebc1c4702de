"""`client.agents`, `client.conversations` and `client.messages`: one method per API call.

Each method builds its `Call` from the wire contract (`phoson._wire`) and hands it to the
requester; the per-call options (`timeout=`, `extra_headers=`, …) pass straight through.
Every method is wrapped by `checks_keywords`: a misspelt keyword raises `TypeError` at once.
"""

from __future__ import annotations

from typing import cast

from typing_extensions import Unpack

from .. import _wire as wire
from .._models import Agent, Conversation, Message
from .._options import checks_keywords
from .._response import araw_call
from .._resume_token import decode_resume_token
from .._types import (
    MemoryTypeInput,
    ProviderInput,
    ReasoningEffortInput,
    RequestOptions,
    WriteRequestOptions,
)
from .._wire import EVENT_STREAM, Call
from ._raw import AsyncRawRequester
from ._requester import AsyncRequester
from ._streaming import AsyncMessageStream

__all__ = [
    "AsyncAgents",
    "AsyncAgentsWithRawResponse",
    "AsyncConversations",
    "AsyncConversationsWithRawResponse",
    "AsyncMessages",
    "AsyncMessagesWithRawResponse",
]


class AsyncResource:
    """A group of API calls sharing the client's requester (made by the client: use
    `client.agents`, `client.conversations`, `client.messages`)."""

    __slots__ = ("_requester",)

    _requester: AsyncRequester

    def __init__(self, requester: AsyncRequester) -> None:
        self._requester = requester


class AsyncAgents(AsyncResource):
    """Agents: each has its own memory, identity and optional MCP tool servers."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncAgentsWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return AsyncAgentsWithRawResponse(self)

    @checks_keywords
    async def create(
        self,
        *,
        name: str,
        description: str,
        memory_type: MemoryTypeInput = "persistent",
        **options: Unpack[WriteRequestOptions],
    ) -> Agent:
        """Create an agent. `POST /agents` → 201 Agent."""
        call = wire.agents_create(name, description, memory_type)
        return await self._requester.request_model(call, options, Agent)

    @checks_keywords
    async def list(self, **options: Unpack[RequestOptions]) -> list[Agent]:
        """Every agent. `GET /agents` → 200 [Agent]."""
        return await self._requester.request_list(wire.agents_list(), options, Agent)

    @checks_keywords
    async def get(self, agent_id: str, **options: Unpack[RequestOptions]) -> Agent:
        """One agent. `GET /agents/{agent_id}` → 200 Agent; `NotFoundError` if there is none."""
        return await self._requester.request_model(wire.agents_get(agent_id), options, Agent)

    @checks_keywords
    async def update(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        memory_type: MemoryTypeInput | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Agent:
        """Change the given fields only. `PATCH /agents/{agent_id}` → 200 Agent."""
        call = wire.agents_update(agent_id, name, description, memory_type)
        return await self._requester.request_model(call, options, Agent)

    @checks_keywords
    async def delete(self, agent_id: str, **options: Unpack[WriteRequestOptions]) -> None:
        """Delete an agent and its conversations. `DELETE /agents/{agent_id}` → 204."""
        return await self._requester.request_empty(wire.agents_delete(agent_id), options)

    @checks_keywords
    async def attach_mcp(
        self, agent_id: str, mcp_id: str, **options: Unpack[WriteRequestOptions]
    ) -> Agent:
        """Give the agent an MCP server's tools. `POST /agents/{id}/mcps/{mcp_id}` → 200 Agent."""
        call = wire.agents_attach_mcp(agent_id, mcp_id)
        return await self._requester.request_model(call, options, Agent)

    @checks_keywords
    async def detach_mcp(
        self, agent_id: str, mcp_id: str, **options: Unpack[WriteRequestOptions]
    ) -> Agent:
        """Take an MCP server away. `DELETE /agents/{id}/mcps/{mcp_id}` → 200 Agent."""
        call = wire.agents_detach_mcp(agent_id, mcp_id)
        return await self._requester.request_model(call, options, Agent)


class AsyncConversations(AsyncResource):
    """Conversations: threads of messages between a user and one agent."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncConversationsWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return AsyncConversationsWithRawResponse(self)

    @checks_keywords
    async def create(
        self,
        agent_id: str,
        *,
        title: str = "New Conversation",
        thread_id: str | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Conversation:
        """Start a conversation with an agent. `POST /conversations` → 201 Conversation."""
        call = wire.conversations_create(agent_id, title, thread_id)
        return await self._requester.request_model(call, options, Conversation)

    @checks_keywords
    async def list(
        self, *, agent_id: str | None = None, **options: Unpack[RequestOptions]
    ) -> list[Conversation]:
        """Every conversation, or one agent's. `GET /conversations[?agent_id=]` → 200."""
        call = wire.conversations_list(agent_id)
        return await self._requester.request_list(call, options, Conversation)

    @checks_keywords
    async def get(self, conversation_id: str, **options: Unpack[RequestOptions]) -> Conversation:
        """One conversation. `GET /conversations/{conversation_id}` → 200 Conversation."""
        call = wire.conversations_get(conversation_id)
        return await self._requester.request_model(call, options, Conversation)

    @checks_keywords
    async def update(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Conversation:
        """Rename a conversation. `PATCH /conversations/{conversation_id}` → 200."""
        call = wire.conversations_update(conversation_id, title)
        return await self._requester.request_model(call, options, Conversation)

    @checks_keywords
    async def delete(self, conversation_id: str, **options: Unpack[WriteRequestOptions]) -> None:
        """Delete a conversation. `DELETE /conversations/{conversation_id}` → 204."""
        return await self._requester.request_empty(
            wire.conversations_delete(conversation_id), options
        )


class AsyncMessages(AsyncResource):
    """Messages: send one to a conversation and get the agent's reply, whole or streamed."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncMessagesWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return AsyncMessagesWithRawResponse(self)

    @checks_keywords
    def stream(
        self,
        conversation_id: str,
        content: str,
        *,
        model: str | None = None,
        provider: ProviderInput | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        reasoning_effort: ReasoningEffortInput | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> AsyncMessageStream:
        """Send a message and stream the run's events.

        Returns at once, without I/O: the request goes out when the stream is entered or first
        iterated. `POST /conversations/{id}/messages` with `"stream": true`.
        """
        call = wire.messages_send(
            conversation_id,
            content,
            stream=True,
            model=model,
            provider=provider,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
        )
        return AsyncMessageStream(self._requester, call, options)

    @checks_keywords
    def resume(self, token: str, **options: Unpack[RequestOptions]) -> AsyncMessageStream:
        """Continue a streamed run from its `resume_token`, in this process or any other.

        The stream delivers the run's events after the token's last one (none is repeated;
        the server goes on with the same run, no second run starts) and resumes again after
        later breaks, as any stream does. This client's key, base URL and settings are used;
        the token carries only the request, its idempotency key and the last event id. So
        `text` and the other snapshots hold the events from the token on; the whole reply is
        `run_done.content` (`until_done().content`).

        Returns at once, without I/O, like `stream()`. Raises `PhosonError` at once for a
        token that is cut, altered, of another version or not a token at all.
        """
        point = decode_resume_token(token)
        call = Call(
            point.method,
            point.path,
            point.body,
            accept=EVENT_STREAM,
            operation="messages.resume",
        )
        stream_options = cast(
            WriteRequestOptions, {**options, "idempotency_key": point.idempotency_key}
        )
        return AsyncMessageStream(self._requester, call, stream_options, resume=point)

    @checks_keywords
    async def send(
        self,
        conversation_id: str,
        content: str,
        *,
        model: str | None = None,
        provider: ProviderInput | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        reasoning_effort: ReasoningEffortInput | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Message:
        """Send a message and wait for the whole reply. → 200 Message (the assistant's)."""
        call = wire.messages_send(
            conversation_id,
            content,
            stream=False,
            model=model,
            provider=provider,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
        )
        return await self._requester.request_model(call, options, Message)

    @checks_keywords
    async def list(self, conversation_id: str, **options: Unpack[RequestOptions]) -> list[Message]:
        """A conversation's history, oldest first. `GET /conversations/{id}/messages` → 200."""
        call = wire.messages_list(conversation_id)
        return await self._requester.request_list(call, options, Message)


# -- with_raw_response ----------------------------------------------------------------------
# Each view lists its resource's calls, each declared by the plain call it mirrors (same
# parameters, answering with `RawResponse[...]`; `araw_call` in phoson/_response.py).
# tests/_async/test_raw_responses.py checks that every call of each resource is here.


class AsyncAgentsWithRawResponse:
    """`client.agents.with_raw_response`: the calls of `client.agents`, answering with
    `RawResponse[Agent]`, `RawResponse[list[Agent]]` or `RawResponse[None]`."""

    __slots__ = ("_resource",)

    def __init__(self, agents: AsyncAgents) -> None:
        self._resource = AsyncAgents(AsyncRawRequester.of(agents._requester))

    @araw_call(AsyncAgents.create)
    def create(self) -> None:
        """Like `agents.create`, answering with `RawResponse[Agent]`."""

    @araw_call(AsyncAgents.list)
    def list(self) -> None:
        """Like `agents.list`, answering with `RawResponse[list[Agent]]`."""

    @araw_call(AsyncAgents.get)
    def get(self) -> None:
        """Like `agents.get`, answering with `RawResponse[Agent]`."""

    @araw_call(AsyncAgents.update)
    def update(self) -> None:
        """Like `agents.update`, answering with `RawResponse[Agent]`."""

    @araw_call(AsyncAgents.delete)
    def delete(self) -> None:
        """Like `agents.delete`, answering with `RawResponse[None]`."""

    @araw_call(AsyncAgents.attach_mcp)
    def attach_mcp(self) -> None:
        """Like `agents.attach_mcp`, answering with `RawResponse[Agent]`."""

    @araw_call(AsyncAgents.detach_mcp)
    def detach_mcp(self) -> None:
        """Like `agents.detach_mcp`, answering with `RawResponse[Agent]`."""


class AsyncConversationsWithRawResponse:
    """`client.conversations.with_raw_response`: its calls, answering with `RawResponse[...]`."""

    __slots__ = ("_resource",)

    def __init__(self, conversations: AsyncConversations) -> None:
        self._resource = AsyncConversations(AsyncRawRequester.of(conversations._requester))

    @araw_call(AsyncConversations.create)
    def create(self) -> None:
        """Like `conversations.create`, answering with `RawResponse[Conversation]`."""

    @araw_call(AsyncConversations.list)
    def list(self) -> None:
        """Like `conversations.list`, answering with `RawResponse[list[Conversation]]`."""

    @araw_call(AsyncConversations.get)
    def get(self) -> None:
        """Like `conversations.get`, answering with `RawResponse[Conversation]`."""

    @araw_call(AsyncConversations.update)
    def update(self) -> None:
        """Like `conversations.update`, answering with `RawResponse[Conversation]`."""

    @araw_call(AsyncConversations.delete)
    def delete(self) -> None:
        """Like `conversations.delete`, answering with `RawResponse[None]`."""


class AsyncMessagesWithRawResponse:
    """`client.messages.with_raw_response`: `send` and `list`, answering with `RawResponse[...]`.

    `stream` is not here: the stream itself has `.response` (status and headers).
    """

    __slots__ = ("_resource",)

    def __init__(self, messages: AsyncMessages) -> None:
        self._resource = AsyncMessages(AsyncRawRequester.of(messages._requester))

    @araw_call(AsyncMessages.send)
    def send(self) -> None:
        """Like `messages.send`, answering with `RawResponse[Message]`."""

    @araw_call(AsyncMessages.list)
    def list(self) -> None:
        """Like `messages.list`, answering with `RawResponse[list[Message]]`."""
