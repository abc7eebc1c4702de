# DO NOT EDIT: generated from phoson/_async/_resources.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
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
from .._response import raw_call
from .._resume_token import decode_resume_token
from .._types import (
    MemoryTypeInput,
    ProviderInput,
    ReasoningEffortInput,
    RequestOptions,
    WriteRequestOptions,
)
from .._wire import EVENT_STREAM, Call
from ._raw import RawRequester
from ._requester import Requester
from ._streaming import MessageStream

__all__ = [
    "Agents",
    "AgentsWithRawResponse",
    "Conversations",
    "ConversationsWithRawResponse",
    "Messages",
    "MessagesWithRawResponse",
]


class Resource:
    """A group of API calls sharing the client's requester (made by the client: use
    `client.agents`, `client.conversations`, `client.messages`)."""

    __slots__ = ("_requester",)

    _requester: Requester

    def __init__(self, requester: Requester) -> None:
        self._requester = requester


class Agents(Resource):
    """Agents: each has its own memory, identity and optional MCP tool servers."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AgentsWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return AgentsWithRawResponse(self)

    @checks_keywords
    def create(
        self,
        *,
        name: str,
        description: str,
        memory_type: MemoryTypeInput = "persistent",
        **options: Unpack[WriteRequestOptions],
    ) -> Agent:
        """Create an agent. `POST /agents` → 201 Agent."""
        call = wire.agents_create(name, description, memory_type)
        return self._requester.request_model(call, options, Agent)

    @checks_keywords
    def list(self, **options: Unpack[RequestOptions]) -> list[Agent]:
        """Every agent. `GET /agents` → 200 [Agent]."""
        return self._requester.request_list(wire.agents_list(), options, Agent)

    @checks_keywords
    def get(self, agent_id: str, **options: Unpack[RequestOptions]) -> Agent:
        """One agent. `GET /agents/{agent_id}` → 200 Agent; `NotFoundError` if there is none."""
        return self._requester.request_model(wire.agents_get(agent_id), options, Agent)

    @checks_keywords
    def update(
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
        return self._requester.request_model(call, options, Agent)

    @checks_keywords
    def delete(self, agent_id: str, **options: Unpack[WriteRequestOptions]) -> None:
        """Delete an agent and its conversations. `DELETE /agents/{agent_id}` → 204."""
        return self._requester.request_empty(wire.agents_delete(agent_id), options)

    @checks_keywords
    def attach_mcp(
        self, agent_id: str, mcp_id: str, **options: Unpack[WriteRequestOptions]
    ) -> Agent:
        """Give the agent an MCP server's tools. `POST /agents/{id}/mcps/{mcp_id}` → 200 Agent."""
        call = wire.agents_attach_mcp(agent_id, mcp_id)
        return self._requester.request_model(call, options, Agent)

    @checks_keywords
    def detach_mcp(
        self, agent_id: str, mcp_id: str, **options: Unpack[WriteRequestOptions]
    ) -> Agent:
        """Take an MCP server away. `DELETE /agents/{id}/mcps/{mcp_id}` → 200 Agent."""
        call = wire.agents_detach_mcp(agent_id, mcp_id)
        return self._requester.request_model(call, options, Agent)


class Conversations(Resource):
    """Conversations: threads of messages between a user and one agent."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> ConversationsWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return ConversationsWithRawResponse(self)

    @checks_keywords
    def create(
        self,
        agent_id: str,
        *,
        title: str = "New Conversation",
        thread_id: str | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Conversation:
        """Start a conversation with an agent. `POST /conversations` → 201 Conversation."""
        call = wire.conversations_create(agent_id, title, thread_id)
        return self._requester.request_model(call, options, Conversation)

    @checks_keywords
    def list(
        self, *, agent_id: str | None = None, **options: Unpack[RequestOptions]
    ) -> list[Conversation]:
        """Every conversation, or one agent's. `GET /conversations[?agent_id=]` → 200."""
        call = wire.conversations_list(agent_id)
        return self._requester.request_list(call, options, Conversation)

    @checks_keywords
    def get(self, conversation_id: str, **options: Unpack[RequestOptions]) -> Conversation:
        """One conversation. `GET /conversations/{conversation_id}` → 200 Conversation."""
        call = wire.conversations_get(conversation_id)
        return self._requester.request_model(call, options, Conversation)

    @checks_keywords
    def update(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        **options: Unpack[WriteRequestOptions],
    ) -> Conversation:
        """Rename a conversation. `PATCH /conversations/{conversation_id}` → 200."""
        call = wire.conversations_update(conversation_id, title)
        return self._requester.request_model(call, options, Conversation)

    @checks_keywords
    def delete(self, conversation_id: str, **options: Unpack[WriteRequestOptions]) -> None:
        """Delete a conversation. `DELETE /conversations/{conversation_id}` → 204."""
        return self._requester.request_empty(wire.conversations_delete(conversation_id), options)


class Messages(Resource):
    """Messages: send one to a conversation and get the agent's reply, whole or streamed."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> MessagesWithRawResponse:
        """The same calls, each answering with a `RawResponse` (status, headers, `.parse()`)."""
        return MessagesWithRawResponse(self)

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
    ) -> MessageStream:
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
        return MessageStream(self._requester, call, options)

    @checks_keywords
    def resume(self, token: str, **options: Unpack[RequestOptions]) -> MessageStream:
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
        return MessageStream(self._requester, call, stream_options, resume=point)

    @checks_keywords
    def send(
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
        return self._requester.request_model(call, options, Message)

    @checks_keywords
    def list(self, conversation_id: str, **options: Unpack[RequestOptions]) -> list[Message]:
        """A conversation's history, oldest first. `GET /conversations/{id}/messages` → 200."""
        call = wire.messages_list(conversation_id)
        return self._requester.request_list(call, options, Message)


# -- with_raw_response ----------------------------------------------------------------------
# Each view lists its resource's calls, each declared by the plain call it mirrors (same
# parameters, answering with `RawResponse[...]`; `araw_call` in phoson/_response.py).
# tests/_async/test_raw_responses.py checks that every call of each resource is here.


class AgentsWithRawResponse:
    """`client.agents.with_raw_response`: the calls of `client.agents`, answering with
    `RawResponse[Agent]`, `RawResponse[list[Agent]]` or `RawResponse[None]`."""

    __slots__ = ("_resource",)

    def __init__(self, agents: Agents) -> None:
        self._resource = Agents(RawRequester.of(agents._requester))

    @raw_call(Agents.create)
    def create(self) -> None:
        """Like `agents.create`, answering with `RawResponse[Agent]`."""

    @raw_call(Agents.list)
    def list(self) -> None:
        """Like `agents.list`, answering with `RawResponse[list[Agent]]`."""

    @raw_call(Agents.get)
    def get(self) -> None:
        """Like `agents.get`, answering with `RawResponse[Agent]`."""

    @raw_call(Agents.update)
    def update(self) -> None:
        """Like `agents.update`, answering with `RawResponse[Agent]`."""

    @raw_call(Agents.delete)
    def delete(self) -> None:
        """Like `agents.delete`, answering with `RawResponse[None]`."""

    @raw_call(Agents.attach_mcp)
    def attach_mcp(self) -> None:
        """Like `agents.attach_mcp`, answering with `RawResponse[Agent]`."""

    @raw_call(Agents.detach_mcp)
    def detach_mcp(self) -> None:
        """Like `agents.detach_mcp`, answering with `RawResponse[Agent]`."""


class ConversationsWithRawResponse:
    """`client.conversations.with_raw_response`: its calls, answering with `RawResponse[...]`."""

    __slots__ = ("_resource",)

    def __init__(self, conversations: Conversations) -> None:
        self._resource = Conversations(RawRequester.of(conversations._requester))

    @raw_call(Conversations.create)
    def create(self) -> None:
        """Like `conversations.create`, answering with `RawResponse[Conversation]`."""

    @raw_call(Conversations.list)
    def list(self) -> None:
        """Like `conversations.list`, answering with `RawResponse[list[Conversation]]`."""

    @raw_call(Conversations.get)
    def get(self) -> None:
        """Like `conversations.get`, answering with `RawResponse[Conversation]`."""

    @raw_call(Conversations.update)
    def update(self) -> None:
        """Like `conversations.update`, answering with `RawResponse[Conversation]`."""

    @raw_call(Conversations.delete)
    def delete(self) -> None:
        """Like `conversations.delete`, answering with `RawResponse[None]`."""


class MessagesWithRawResponse:
    """`client.messages.with_raw_response`: `send` and `list`, answering with `RawResponse[...]`.

    `stream` is not here: the stream itself has `.response` (status and headers).
    """

    __slots__ = ("_resource",)

    def __init__(self, messages: Messages) -> None:
        self._resource = Messages(RawRequester.of(messages._requester))

    @raw_call(Messages.send)
    def send(self) -> None:
        """Like `messages.send`, answering with `RawResponse[Message]`."""

    @raw_call(Messages.list)
    def list(self) -> None:
        """Like `messages.list`, answering with `RawResponse[list[Message]]`."""
