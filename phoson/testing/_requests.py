"""The request bodies the API accepts, as pydantic models: the local server validates every body
with them (`_validation.py`) and docs/openapi.json takes its request schemas from them.

They behave as the FastAPI models of the real API do: lax coercion ("1" is a fine integer),
unknown fields ignored, defaults filled in for absent optional fields.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .._types import MemoryType, Provider, ReasoningEffort

__all__ = [
    "AgentCreate",
    "AgentUpdate",
    "ConversationCreate",
    "ConversationUpdate",
    "MessageCreate",
    "RequestBody",
]


class RequestBody(BaseModel):
    """Base of the request bodies: fields the API does not know are ignored."""

    model_config = ConfigDict(extra="ignore")


class AgentCreate(RequestBody):
    """`POST /agents`."""

    name: str
    description: str
    memory_type: MemoryType = "persistent"


class AgentUpdate(RequestBody):
    """`PATCH /agents/{agent_id}`: only the fields given change (null: unchanged)."""

    name: str | None = None
    description: str | None = None
    memory_type: MemoryType | None = None


class ConversationCreate(RequestBody):
    """`POST /conversations`."""

    agent_id: str
    title: str = "New Conversation"
    thread_id: str | None = None


class ConversationUpdate(RequestBody):
    """`PATCH /conversations/{conversation_id}` (null: unchanged)."""

    title: str | None = None


class MessageCreate(RequestBody):
    """`POST /conversations/{conversation_id}/messages`: `stream` picks a JSON reply (false)
    or an event stream (true)."""

    content: str
    stream: bool = False
    model: str | None = None
    provider: Provider | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning_effort: ReasoningEffort | None = None
