"""Tracing: one OpenTelemetry span per SDK call, retries and stream reconnects included.

The clients talk to a `Tracer` and the `CallSpan` it starts for each call. When tracing is off
(the default) the tracer is `NO_TRACER` and every call gets `NO_SPAN`, whose methods do nothing,
and OpenTelemetry is never imported. When it is on, `phoson._otel` (imported then, and only
then) supplies the spans. What goes on a span (names, attributes) is decided here, without I/O,
so it is tested directly.
"""

from __future__ import annotations

import json
import os
import re
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import unquote

from ._exceptions import PhosonError
from ._models import Agent, Conversation, Message, RunDoneEvent
from ._response import RawResponse

if TYPE_CHECKING:
    import httpx

    from ._sse import ServerSentEvent
    from ._streaming import StreamState
    from ._wire import Call

__all__ = [
    "CAPTURE_CONTENT_ENV",
    "NO_SPAN",
    "NO_TRACER",
    "OTEL_ENV",
    "Attributes",
    "CallSpan",
    "Tracer",
    "call_attributes",
    "env_flag",
    "make_tracer",
    "result_attributes",
    "server_attributes",
]

#: Turns tracing on for every client that does not say `open_telemetry=False`.
OTEL_ENV = "PHOSON_OTEL"
#: Records message contents on spans (off by default, as the GenAI conventions recommend).
CAPTURE_CONTENT_ENV = "PHOSON_OTEL_CAPTURE_CONTENT"

#: Span attribute values, as OpenTelemetry accepts them.
Attributes: TypeAlias = dict[str, str | bool | int | float]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})

#: The ids a call's path names: `/agents/{id}...`, `/conversations/{id}...`.
_PATH_IDS = re.compile(r"^/(agents|conversations)/([^/]+)")
_PATH_ID_ATTRIBUTE = {"agents": "phoson.agent_id", "conversations": "phoson.conversation_id"}

#: GenAI `gen_ai.operation.name` of the calls that are GenAI operations.
_GENAI_OPERATIONS = {
    "agents.create": "create_agent",
    "messages.send": "invoke_agent",
    "messages.stream": "invoke_agent",
    "messages.resume": "invoke_agent",
}
#: Body fields of a message call -> GenAI request attributes.
_GENAI_REQUEST = {
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.request.model",
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
}


def env_flag(name: str) -> bool | None:
    """A yes/no environment variable: None when unset, else its value as a bool.

    Accepts 1/true/yes/on and 0/false/no/off (any case); anything else is a `PhosonError`,
    so a typo does not silently turn tracing (or content capture) the wrong way.
    """
    raw = os.environ.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise PhosonError(f"{name} must be true or false (or 1/0, yes/no, on/off), got {raw!r}")


# -- What goes on a span --------------------------------------------------------------------


def server_attributes(base_url: str) -> Attributes:
    """`server.address` and `server.port` of the API, from the client's base URL."""
    import httpx

    url = httpx.URL(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return {"server.address": url.host, "server.port": port}


def call_attributes(call: Call, *, capture_content: bool) -> Attributes:
    """The attributes known before a call is sent: its method, the ids it names, and for a
    message run the GenAI request attributes (and, only if asked, the message text)."""
    attributes: Attributes = {"http.request.method": call.method}
    # 1. Ids in the path, and the agent a conversation is created for or listed by.
    match = _PATH_IDS.match(call.path)
    if match is not None:
        attributes[_PATH_ID_ATTRIBUTE[match[1]]] = unquote(match[2])
    body = call.body or {}
    agent_id = body.get("agent_id") or (call.params or {}).get("agent_id")
    if isinstance(agent_id, str):
        attributes["phoson.agent_id"] = agent_id
    # 2. GenAI conventions, for the calls that start a run or create an agent.
    operation = _GENAI_OPERATIONS.get(call.operation)
    if operation is None:
        return attributes
    attributes["gen_ai.operation.name"] = operation
    if "phoson.conversation_id" in attributes:
        attributes["gen_ai.conversation.id"] = attributes["phoson.conversation_id"]
    for field, name in _GENAI_REQUEST.items():
        value = body.get(field)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            attributes[name] = value
    if operation == "create_agent" and isinstance(body.get("name"), str):
        attributes["gen_ai.agent.name"] = body["name"]
    if capture_content and isinstance(body.get("content"), str):
        attributes["gen_ai.input.messages"] = _messages_json("user", body["content"])
    return attributes


def result_attributes(result: object, *, capture_content: bool) -> Attributes:
    """The attributes a call's result adds: the ids it carries, and the reply text if asked."""
    attributes: Attributes = {}
    if isinstance(result, RawResponse):
        # A `with_raw_response` call: the ids are in the value it parses to (parsed once,
        # here, and kept for `.parse()`; a body that does not parse adds nothing).
        try:
            result = result.parse()
        except PhosonError:
            return attributes
    if isinstance(result, Agent):
        attributes["phoson.agent_id"] = result.id
    elif isinstance(result, Conversation):
        attributes["phoson.conversation_id"] = result.id
        attributes["phoson.agent_id"] = result.agent_id
    elif isinstance(result, Message):
        attributes["phoson.conversation_id"] = result.conversation_id
        if result.run_id:
            attributes["phoson.run_id"] = result.run_id
        if capture_content:
            attributes["gen_ai.output.messages"] = _messages_json(result.role, result.content)
    elif isinstance(result, RunDoneEvent):
        attributes["phoson.run_id"] = result.run_id
        if capture_content:
            attributes["gen_ai.output.messages"] = _messages_json("assistant", result.content)
    if "phoson.run_id" in attributes:
        attributes["gen_ai.response.id"] = attributes["phoson.run_id"]
    return attributes


def _messages_json(role: str, text: str) -> str:
    """One message in the GenAI conventions' JSON shape for input/output messages."""
    message: dict[str, Any] = {"role": role, "parts": [{"type": "text", "content": text}]}
    return json.dumps([message], ensure_ascii=False)


# -- Spans ----------------------------------------------------------------------------------


class _NoContext:
    """The context manager of `NO_SPAN.current()`: does nothing."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


_NO_CONTEXT = _NoContext()


class CallSpan:
    """The span of one SDK call. This base class is the span of a call that is not traced:
    every method does nothing (and costs one method call)."""

    __slots__ = ()

    def current(self) -> _NoContext | Any:
        """A context manager making this span the current one (for spans of HTTP libraries)."""
        return _NO_CONTEXT

    def inject(self, headers: httpx.Headers) -> None:
        """Add the trace context headers (`traceparent`, ...) to one request of the call."""

    def response(self, response: httpx.Response) -> None:
        """One attempt got an HTTP answer (success or error status)."""

    def retry(self, number: int, delay: float, cause: PhosonError) -> None:
        """The call will be sent again, the `number`th time, after `delay` seconds."""

    def reconnect(self, number: int, delay: float, reason: str, last_event_id: str) -> None:
        """A broken stream will be resumed, the `number`th time, after `delay` seconds."""

    def end(self, result: object = None, error: BaseException | None = None) -> None:
        """The call is over: it returned `result` or raised `error`. Only the first end counts."""

    def end_stream(
        self,
        state: StreamState,
        final_batch: list[ServerSentEvent] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """A stream is over: its final event is in `final_batch`, or it was closed, or it
        failed with `error`. Only the first end counts."""

    def watch(self, stream: object, state: StreamState) -> None:
        """End this span if `stream` is garbage-collected before it ends (abandoned)."""


#: The span of every call when tracing is off.
NO_SPAN = CallSpan()


class Tracer:
    """Starts the span of each call. This base class is tracing off: every call gets `NO_SPAN`."""

    __slots__ = ()

    #: Whether calls are traced.
    enabled = False

    def start(self, call: Call) -> CallSpan:
        """The span of `call`, started now as a child of the current span."""
        return NO_SPAN


#: The tracer of a client with tracing off.
NO_TRACER = Tracer()


def make_tracer(enabled: bool, tracer_provider: object | None, base_url: str) -> Tracer:
    """The tracer of a client: `NO_TRACER` when tracing is off, else one over OpenTelemetry
    (the global tracer provider unless `tracer_provider` is given)."""
    if not enabled:
        return NO_TRACER
    try:
        from . import _otel
    except ImportError as error:
        raise PhosonError(
            "open_telemetry=True (or PHOSON_OTEL=true) needs the OpenTelemetry API: "
            "pip install 'phoson-sdk[otel]'"
        ) from error
    return _otel.OTelTracer(
        tracer_provider,
        server=server_attributes(base_url),
        capture_content=env_flag(CAPTURE_CONTENT_ENV) or False,
    )
