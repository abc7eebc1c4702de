"""docs/openapi.json: the wire contract (docs/wire-contract.md) as OpenAPI 3.1, generated from the
code that speaks it, so the two cannot drift apart:

- paths, methods and the SDK methods behind each operation: the wire module (phoson/_wire.py);
- request bodies: the pydantic models the local server validates with (`_requests.py`);
- response bodies and stream events: the SDK's response models (phoson/_models.py);
- statuses, headers and error shapes: the tables in this module.

    python -m phoson.testing.openapi            # (re)write docs/openapi.json
    python -m phoson.testing.openapi --check    # exit 1 when docs/openapi.json is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .. import _wire as wire
from .._models import (
    Agent,
    Conversation,
    ErrorEvent,
    Message,
    ReasoningEvent,
    RunDoneEvent,
    TokenEvent,
    ToolEndEvent,
    ToolStartEvent,
)
from .._version import __version__
from ._requests import (
    AgentCreate,
    AgentUpdate,
    ConversationCreate,
    ConversationUpdate,
    MessageCreate,
    RequestBody,
)

__all__ = ["DEFAULT_PATH", "main", "openapi_document", "render"]

DEFAULT_PATH = Path("docs/openapi.json")
_REF = "#/components/schemas/{model}"
_EVENTS: tuple[type[BaseModel], ...] = (
    TokenEvent,
    ReasoningEvent,
    ToolStartEvent,
    ToolEndEvent,
    RunDoneEvent,
    ErrorEvent,
)


@dataclass(frozen=True, slots=True)
class _Operation:
    """One endpoint: the SDK calls that reach it (the first gives method and path), what it
    takes and what it answers on success."""

    calls: tuple[wire.Call, ...]
    summary: str
    status: int
    response: type[BaseModel] | None = None  # None: no body
    listing: bool = False
    request: type[RequestBody] | None = None
    not_found: bool = True  # 404 when an id in the path (or body) names nothing


# Placeholders the wire functions percent-encode into the path, decoded back to `{name}`.
_A, _C, _M = "{agent_id}", "{conversation_id}", "{mcp_id}"
_NO_OPTIONS: dict[str, Any] = {
    "model": None,
    "provider": None,
    "temperature": None,
    "max_tokens": None,
    "reasoning_effort": None,
}

OPERATIONS: tuple[_Operation, ...] = (
    _Operation((wire.agents_list(),), "List agents", 200, Agent, listing=True, not_found=False),
    _Operation(
        (wire.agents_create("x", "x", "persistent"),),
        "Create an agent",
        201,
        Agent,
        request=AgentCreate,
        not_found=False,
    ),
    _Operation((wire.agents_get(_A),), "Get an agent", 200, Agent),
    _Operation(
        (wire.agents_update(_A, None, None, None),),
        "Update an agent (only the fields given)",
        200,
        Agent,
        request=AgentUpdate,
    ),
    _Operation((wire.agents_delete(_A),), "Delete an agent and its conversations", 204),
    _Operation((wire.agents_attach_mcp(_A, _M),), "Attach an MCP server to an agent", 200, Agent),
    _Operation((wire.agents_detach_mcp(_A, _M),), "Detach an MCP server from an agent", 200, Agent),
    _Operation(
        (wire.conversations_list("{agent_id}"),),
        "List conversations, of one agent when agent_id is given",
        200,
        Conversation,
        listing=True,
        not_found=False,
    ),
    _Operation(
        (wire.conversations_create("x", "x", None),),
        "Create a conversation with an agent",
        201,
        Conversation,
        request=ConversationCreate,
    ),
    _Operation((wire.conversations_get(_C),), "Get a conversation", 200, Conversation),
    _Operation(
        (wire.conversations_update(_C, None),),
        "Rename a conversation",
        200,
        Conversation,
        request=ConversationUpdate,
    ),
    _Operation((wire.conversations_delete(_C),), "Delete a conversation", 204),
    _Operation(
        (
            wire.messages_send(_C, "x", stream=False, **_NO_OPTIONS),
            wire.messages_send(_C, "x", stream=True, **_NO_OPTIONS),
        ),
        "Send a message and run the agent: the reply as JSON, or the run as an event stream",
        200,
        Message,
        request=MessageCreate,
    ),
    _Operation(
        (wire.messages_list(_C),), "List a conversation's messages", 200, Message, listing=True
    ),
)


def _error(description: str, schema: str = "HTTPError", **headers: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=schema)}}},
    }
    for name, ref in headers.items():
        response["headers"][name.replace("_", "-")] = {"$ref": f"#/components/headers/{ref}"}
    return response


def _template(call: wire.Call) -> str:
    """The call's path with its ids back as `{name}` placeholders."""
    return unquote(call.path)


def _parameters(operation: _Operation, path: str) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": segment[1:-1],
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
        for segment in path.split("/")
        if segment.startswith("{")
    ]
    first = operation.calls[0]
    for name in first.params or {}:
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        )
    if first.changes_state:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if any(call.accept == wire.EVENT_STREAM for call in operation.calls):
        parameters.append({"$ref": "#/components/parameters/LastEventId"})
    return parameters


def _success(operation: _Operation) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": "Success",
        "headers": {
            "x-request-id": {"$ref": "#/components/headers/RequestId"},
            "idempotent-replayed": {"$ref": "#/components/headers/IdempotentReplayed"},
        },
    }
    if operation.response is None:
        return response
    if operation.status == 201:
        response["links"] = _links(operation.response)
    schema: dict[str, Any] = {"$ref": _REF.format(model=operation.response.__name__)}
    if operation.listing:
        schema = {"type": "array", "items": schema}
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if any(call.accept == wire.EVENT_STREAM for call in operation.calls):
        content["text/event-stream"] = {"schema": {"$ref": _REF.format(model="ServerSentEvent")}}
        response["description"] = (
            'The assistant\'s reply as JSON; with `"stream": true`, the run as server-sent '
            "events: `retry: 100`, `: ping` heartbeats, then each event as `event: <type>`, "
            "`data: <the event's JSON>` and `id: <run_id>:<n>`; the run ends with exactly one "
            "`run_done` or `error` event."
        )
    response["content"] = content
    return response


def _links(created: type[BaseModel]) -> dict[str, Any]:
    """From a created object to every operation that takes its id in the path (what a client,
    or a stateful fuzzer such as schemathesis, can do next with it)."""
    parameter = {Agent: "agent_id", Conversation: "conversation_id"}[created]
    links: dict[str, Any] = {}
    for operation in OPERATIONS:
        path = _template(operation.calls[0])
        if "{" + parameter + "}" in path:
            operation_id = _operation_id(operation)
            parameters = {parameter: "$response.body#/id"}
            if "{mcp_id}" in path:
                parameters["mcp_id"] = "mcp_docs"
            links[operation_id] = {"operationId": operation_id, "parameters": parameters}
    return links


def _operation_id(operation: _Operation) -> str:
    return operation.calls[0].operation.split(".")[0] + "_" + _verb(operation)


def _operation(operation: _Operation, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = {str(operation.status): _success(operation)}
    if operation.request is not None:
        responses["400"] = _error("The body is not text")
    responses["401"] = _error("Missing or wrong bearer key", WWW_Authenticate="WWWAuthenticate")
    if operation.not_found:
        responses["404"] = _error("No such agent or conversation")
    if operation.request is not None:
        responses["413"] = _error("The body is too large")
        responses["422"] = _error("The body failed validation", "HTTPValidationError")
    responses["429"] = _error("Too many requests: retry later", Retry_After="RetryAfter")
    if any(call.accept == wire.EVENT_STREAM for call in operation.calls):
        responses["502"] = _error("The run failed (its error event's message as the detail)")
    responses["503"] = _error("Unavailable: retry later", Retry_After="RetryAfter")
    spec: dict[str, Any] = {
        "operationId": _operation_id(operation),
        "summary": operation.summary,
        "x-phoson-sdk-methods": [call.operation for call in operation.calls],
        "parameters": _parameters(operation, path),
        "responses": dict(sorted(responses.items())),
    }
    if operation.request is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": _REF.format(model=operation.request.__name__)}
                }
            },
        }
    return spec


def _verb(operation: _Operation) -> str:
    """The server's endpoint name after the resource: "create", "get"; one endpoint behind
    messages.send and messages.stream is "create"."""
    names = {call.operation.split(".")[1] for call in operation.calls}
    return "create" if names == {"send", "stream"} else names.pop()


def _schemas() -> dict[str, Any]:
    requests: tuple[type[BaseModel], ...] = (
        AgentCreate,
        AgentUpdate,
        ConversationCreate,
        ConversationUpdate,
        MessageCreate,
    )
    responses: tuple[type[BaseModel], ...] = (Agent, Conversation, Message, *_EVENTS)
    models: list[tuple[type[BaseModel], Any]] = [(model, "validation") for model in requests]
    models += [(model, "serialization") for model in responses]
    _, generated = models_json_schema(models, ref_template=_REF)
    schemas: dict[str, Any] = dict(generated.get("$defs", {}))
    schemas["StreamEvent"] = {
        "description": "One event of a run's stream; `type` (also the SSE `event:` name) says "
        "which. Clients keep unknown fields and may meet event types added later.",
        "oneOf": [{"$ref": _REF.format(model=event.__name__)} for event in _EVENTS],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                event.model_fields["type"].default: _REF.format(model=event.__name__)
                for event in _EVENTS
            },
        },
    }
    schemas["ServerSentEvent"] = {
        "description": "One event of the `text/event-stream` body, as an SSE parser hands it "
        "over: `event` names the type, `data` is the event's JSON, `id` is `<run_id>:<n>`. "
        "Comment lines (`: ping`) and the opening `retry: 100` carry no event.",
        "oneOf": [_frame(event) for event in _EVENTS],
    }
    schemas["HTTPError"] = {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
    }
    schemas["ValidationError"] = {
        "type": "object",
        "required": ["type", "loc", "msg", "input"],
        "properties": {
            "type": {"type": "string"},
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "input": {},
            "ctx": {"type": "object"},
        },
    }
    schemas["HTTPValidationError"] = {
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "array", "items": {"$ref": _REF.format(model="ValidationError")}},
                    {"type": "string"},
                ]
            }
        },
    }
    return dict(sorted(schemas.items()))


def _frame(event: type[BaseModel]) -> dict[str, Any]:
    """The SSE frame carrying one event type (OpenAPI 3.2's convention for event streams)."""
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": event.model_fields["type"].default},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": _REF.format(model=event.__name__)},
            },
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
    }


def openapi_document() -> dict[str, Any]:
    """The contract as an OpenAPI 3.1 document (what docs/openapi.json holds)."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        path = _template(operation.calls[0])
        paths.setdefault(path, {})[operation.calls[0].method.lower()] = _operation(operation, path)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Phoson Core API",
            "version": __version__,
            "description": "The HTTP contract phoson-sdk speaks and phoson.testing."
            "LocalPhosonServer serves (docs/wire-contract.md). Generated by "
            "`python -m phoson.testing.openapi`: do not edit by hand.",
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "a local server"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Repeating a request with a key already used on the same "
                    "method and path answers the first response again (with "
                    "`idempotent-replayed: true`) without doing the work. The SDK sends a uuid4.",
                    "schema": {"type": "string"},
                },
                "LastEventId": {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "description": "Resuming a broken stream: the `id:` of the last event "
                    "received; the run continues after it.",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "RequestId": {
                    "description": "The server's id for this request.",
                    "schema": {"type": "string"},
                },
                "IdempotentReplayed": {
                    "description": "`true` when this is the stored answer to a repeated "
                    "Idempotency-Key.",
                    "schema": {"type": "string", "enum": ["true"]},
                },
                "WWWAuthenticate": {"schema": {"type": "string"}},
                "RetryAfter": {
                    "description": "Seconds, or an HTTP date, to wait before retrying.",
                    "schema": {"type": "string"},
                },
            },
        },
    }


def render() -> str:
    """docs/openapi.json's exact text."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m phoson.testing.openapi",
        description="Write the Phoson Core API contract as OpenAPI 3.1 (docs/openapi.json).",
    )
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH, help="(docs/openapi.json)")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(
                f"{args.output} is stale: run `python -m phoson.testing.openapi` and commit it",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
