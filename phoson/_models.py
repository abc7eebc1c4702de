"""The response models and the stream events, as pydantic v2 models.

Models keep fields a newer server adds (`extra="allow"`), and string fields the docs enumerate
(`memory_type`, `role`) are plain `str`, so a value this SDK does not know yet never breaks it.
Stream events are a closed union discriminated by `type`, so `match event.type:` narrows.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.version import VERSION as _PYDANTIC_VERSION
from typing_extensions import deprecated

from ._redact import redact, redact_detail

__all__ = [
    "EVENT_TYPES",
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
]


def _rebuilds_are_thread_safe(version: str) -> bool:
    """pydantic 2.14 made building a deferred model on first use thread-safe; before that, two
    threads validating the same deferred model for the first time can fail."""
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    return (major, minor) >= (2, 14)


#: Build each model's validator when it is first used instead of at import: importing a client
#: costs ~25 ms less, the first call ~16 ms more (it builds only the models it uses, and pydantic
#: looks its plugins up then), so a program that makes a call comes out slightly ahead.
_DEFER_BUILD = _rebuilds_are_thread_safe(_PYDANTIC_VERSION)


# A server may echo an API key into any field: what prints or pickles a model or an event never
# shows one (`phoson._redact`); the fields themselves hold what the server sent.


def _redacted_repr(self: BaseModel) -> str:
    return redact(BaseModel.__repr__(self))


def _redacted_str(self: BaseModel) -> str:
    return redact(BaseModel.__str__(self))


def _redacted_state(self: BaseModel) -> dict[Any, Any]:
    state = BaseModel.__getstate__(self)
    return {name: redact_detail(value) for name, value in state.items()}


class _DeprecatedRequestId:
    """`model.request_id`, deprecated in 0.2 (removed in 0.3) for `phoson.request_id_of(model)`.

    A non-data descriptor that yields to the model's data: a field named `request_id`, declared
    by a subclass or sent by a newer server, is what `model.request_id` reads, never hidden by
    the response's `x-request-id`. Without such a field it warns and answers the response's id.
    """

    def __get__(self, instance: object, owner: type | None = None) -> str | None:
        if not isinstance(instance, PhosonModel):
            # No class attribute: pydantic sees no parent attribute for a subclass's own
            # `request_id` field to shadow.
            raise AttributeError("request_id")
        extra = instance.__pydantic_extra__
        if extra and "request_id" in extra:
            value: str | None = extra["request_id"]
            return value
        warnings.warn(
            "model.request_id is deprecated and will be removed in phoson-sdk 0.3: use "
            "phoson.request_id_of(model) (a field named request_id is never hidden by it)",
            DeprecationWarning,
            stacklevel=2,
        )
        return instance._request_id


class PhosonModel(BaseModel):
    """Base of every response model: keeps unknown fields; `phoson.request_id_of(model)` is
    the `x-request-id` of the response it came from."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", defer_build=_DEFER_BUILD)

    _request_id: str | None = PrivateAttr(default=None)

    if TYPE_CHECKING:

        @property
        @deprecated("use phoson.request_id_of(model); removed in phoson-sdk 0.3")
        def request_id(self) -> str | None: ...

    def __eq__(self, other: object) -> bool:
        # Equal data is equal, whichever response it came from: the request id is not compared.
        if not isinstance(other, PhosonModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]

    __repr__ = _redacted_repr
    __str__ = _redacted_str
    __getstate__ = _redacted_state


# Set after the class is made: pydantic would take an attribute of the class body for a field.
type.__setattr__(PhosonModel, "request_id", _DeprecatedRequestId())


class Agent(PhosonModel):
    """An agent: its own memory, identity and attached MCP tool servers."""

    id: str
    name: str
    description: str
    #: `"persistent"` or `"semantic"` today; any newer value is kept as is.
    memory_type: str
    mcp_ids: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class Conversation(PhosonModel):
    """A thread of messages between a user and one agent."""

    id: str
    agent_id: str
    title: str
    thread_id: str | None = None
    created_at: datetime
    updated_at: datetime


class Message(PhosonModel):
    """One message of a conversation; the assistant's replies carry the `run_id` that made them."""

    id: str
    conversation_id: str
    #: `"user"` or `"assistant"` today; any newer value is kept as is.
    role: str
    content: str
    run_id: str | None = None
    created_at: datetime


# -- Stream events --------------------------------------------------------------------------


class _Event(BaseModel):
    """Base of the stream events: unknown fields from a newer server are kept."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", defer_build=_DEFER_BUILD)

    __repr__ = _redacted_repr
    __str__ = _redacted_str
    __getstate__ = _redacted_state


class TokenEvent(_Event):
    """A piece of the reply text."""

    type: Literal["token"] = "token"
    content: str


class ReasoningEvent(_Event):
    """A piece of the model's reasoning, before or between tool calls."""

    type: Literal["reasoning"] = "reasoning"
    content: str


class ToolStartEvent(_Event):
    """The agent started a tool call."""

    type: Literal["tool_start"] = "tool_start"
    tool: str
    input: dict[str, Any]
    tool_call_id: str


class ToolEndEvent(_Event):
    """A tool call finished; `tool_call_id` matches its `ToolStartEvent`."""

    type: Literal["tool_end"] = "tool_end"
    tool: str
    result: str
    tool_call_id: str


class RunDoneEvent(_Event):
    """The run finished: the full reply and the run's id. Always the last event of a good run."""

    type: Literal["run_done"] = "run_done"
    content: str
    run_id: str


class ErrorEvent(_Event):
    """The run failed; always the last event of a failed run."""

    type: Literal["error"] = "error"
    message: str


#: Every event `messages.stream()` yields; `match event.type:` narrows it to one class, and
#: `isinstance(x, StreamEvent)` tells an event from anything else (a plain union at run time).
#: For pydantic, `Annotated[StreamEvent, Field(discriminator="type")]` validates one by its type.
StreamEvent: TypeAlias = (
    TokenEvent | ReasoningEvent | ToolStartEvent | ToolEndEvent | RunDoneEvent | ErrorEvent
)

#: The event class for each `event:` name the SDK knows.
EVENT_TYPES: dict[str, type[_Event]] = {
    "token": TokenEvent,
    "reasoning": ReasoningEvent,
    "tool_start": ToolStartEvent,
    "tool_end": ToolEndEvent,
    "run_done": RunDoneEvent,
    "error": ErrorEvent,
}


def request_id_of(model: PhosonModel) -> str | None:
    """The `x-request-id` of the response `model` came from (None if it sent none, or if the
    model was not made from a response). Not a field: never part of `model_dump()`, and a
    field named `request_id` is the model's own."""
    return model._request_id
