"""The wire contract (docs/wire-contract.md) in one place: which request each call sends, and
how each response body becomes a model.

Nothing here does I/O. The clients turn a `Call` into an `httpx.Request`, send it, and hand the
response back to `parse_model`/`parse_model_list`; the same code serves both clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast
from urllib.parse import quote

import httpx
import pydantic

from . import _json
from ._exceptions import InvalidArgumentError, PhosonResponseValidationError
from ._logging import logger
from ._models import PhosonModel
from ._redact import redact_value
from ._types import MemoryTypeInput, ProviderInput, ReasoningEffortInput
from ._version import __version__

__all__ = [
    "USER_AGENT",
    "Call",
    "agents_attach_mcp",
    "agents_create",
    "agents_delete",
    "agents_detach_mcp",
    "agents_get",
    "agents_list",
    "agents_update",
    "checked_id",
    "conversations_create",
    "conversations_delete",
    "conversations_get",
    "conversations_list",
    "conversations_update",
    "messages_list",
    "messages_send",
    "parse_model",
    "parse_model_list",
    "path_segment",
]

USER_AGENT = f"phoson-python/{__version__}"
JSON = "application/json"
EVENT_STREAM = "text/event-stream"

M = TypeVar("M", bound=PhosonModel)


@dataclass(frozen=True, slots=True)
class Call:
    """One API call, before any client-specific detail (base URL, key, retries) is added."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    accept: str = JSON
    #: The SDK method that makes this call, as `"{resource}.{method}"` (`"agents.create"`,
    #: `"messages.stream"`): names it in traces and logs. `"request"` for a call built by hand.
    operation: str = "request"

    @property
    def changes_state(self) -> bool:
        """POST, PATCH and DELETE carry an `Idempotency-Key`; GET does not need one."""
        return self.method != "GET"


def checked_id(value: str, name: str) -> str:
    """`value` if it can be an id. An empty or blank id is a caller bug, wherever it goes (path,
    body or query): it raises `InvalidArgumentError` (also a `ValueError`) before anything is
    sent; an id that is not a str, a `TypeError`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty id, got {value!r}")
    return value


def path_segment(value: str, name: str) -> str:
    """Percent-encode `value` as exactly one path segment.

    Every character outside the unreserved set is escaped (`/`, `..`, `?`, `#`, `%`, spaces,
    non-ASCII), so an id can never reach another route. A blank id raises
    `InvalidArgumentError`.
    """
    encoded = quote(checked_id(value, name), safe="")
    if encoded in (".", ".."):
        # Dot segments are unreserved, but servers and proxies collapse them: escape the dots.
        encoded = encoded.replace(".", "%2E")
    return encoded


def _without_none(**fields: Any) -> dict[str, Any]:
    """The body fields the caller gave: optional parameters left as None are not sent."""
    return {key: value for key, value in fields.items() if value is not None}


# -- Agents ---------------------------------------------------------------------------------


def agents_create(name: str, description: str, memory_type: MemoryTypeInput) -> Call:
    body = {"name": name, "description": description, "memory_type": memory_type}
    return Call("POST", "/agents", body, operation="agents.create")


def agents_list() -> Call:
    return Call("GET", "/agents", operation="agents.list")


def agents_get(agent_id: str) -> Call:
    path = f"/agents/{path_segment(agent_id, 'agent_id')}"
    return Call("GET", path, operation="agents.get")


def agents_update(
    agent_id: str, name: str | None, description: str | None, memory_type: MemoryTypeInput | None
) -> Call:
    body = _without_none(name=name, description=description, memory_type=memory_type)
    path = f"/agents/{path_segment(agent_id, 'agent_id')}"
    return Call("PATCH", path, body, operation="agents.update")


def agents_delete(agent_id: str) -> Call:
    path = f"/agents/{path_segment(agent_id, 'agent_id')}"
    return Call("DELETE", path, operation="agents.delete")


def _agent_mcp_path(agent_id: str, mcp_id: str) -> str:
    return f"/agents/{path_segment(agent_id, 'agent_id')}/mcps/{path_segment(mcp_id, 'mcp_id')}"


def agents_attach_mcp(agent_id: str, mcp_id: str) -> Call:
    return Call("POST", _agent_mcp_path(agent_id, mcp_id), operation="agents.attach_mcp")


def agents_detach_mcp(agent_id: str, mcp_id: str) -> Call:
    return Call("DELETE", _agent_mcp_path(agent_id, mcp_id), operation="agents.detach_mcp")


# -- Conversations --------------------------------------------------------------------------


def conversations_create(agent_id: str, title: str, thread_id: str | None) -> Call:
    checked_id(agent_id, "agent_id")
    if thread_id is not None:
        checked_id(thread_id, "thread_id")
    body = _without_none(agent_id=agent_id, title=title, thread_id=thread_id)
    return Call("POST", "/conversations", body, operation="conversations.create")


def conversations_list(agent_id: str | None) -> Call:
    if agent_id is not None:
        checked_id(agent_id, "agent_id")
    params = _without_none(agent_id=agent_id) or None
    return Call("GET", "/conversations", params=params, operation="conversations.list")


def _conversation_path(conversation_id: str) -> str:
    return f"/conversations/{path_segment(conversation_id, 'conversation_id')}"


def conversations_get(conversation_id: str) -> Call:
    return Call("GET", _conversation_path(conversation_id), operation="conversations.get")


def conversations_update(conversation_id: str, title: str | None) -> Call:
    body = _without_none(title=title)
    return Call(
        "PATCH", _conversation_path(conversation_id), body, operation="conversations.update"
    )


def conversations_delete(conversation_id: str) -> Call:
    return Call("DELETE", _conversation_path(conversation_id), operation="conversations.delete")


# -- Messages -------------------------------------------------------------------------------


def messages_send(
    conversation_id: str,
    content: str,
    *,
    stream: bool,
    model: str | None,
    provider: ProviderInput | None,
    temperature: float | None,
    max_tokens: int | None,
    reasoning_effort: ReasoningEffortInput | None,
) -> Call:
    """`messages.send` (stream=False) and `messages.stream` (stream=True): one endpoint."""
    body = {"content": content, "stream": stream}
    body.update(
        _without_none(
            model=model,
            provider=provider,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
        )
    )
    path = f"{_conversation_path(conversation_id)}/messages"
    if stream:
        return Call("POST", path, body, accept=EVENT_STREAM, operation="messages.stream")
    return Call("POST", path, body, operation="messages.send")


def messages_list(conversation_id: str) -> Call:
    path = f"{_conversation_path(conversation_id)}/messages"
    return Call("GET", path, operation="messages.list")


# -- Headers and bodies ---------------------------------------------------------------------


def encode_body(call: Call, extra_body: Mapping[str, Any] | None) -> bytes | None:
    """The JSON bytes of a call's body with `extra_body` merged in, or None for no body."""
    body = {**(call.body or {}), **extra_body} if extra_body else call.body
    if body is None:
        return None
    return encode_json(body, "body")


def encode_json(value: Any, what: str) -> bytes:
    """`value` as the JSON bytes to send, or an `InvalidArgumentError` naming `what` cannot be
    sent (a value JSON cannot hold; NaN and Infinity, which are not JSON; nesting too deep)."""
    try:
        return _json.dumps(value)
    except (TypeError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise InvalidArgumentError(
            f"{what} cannot be sent as JSON ({reason}); JSON has no NaN or Infinity, and holds "
            "only str, int, float, bool, None, lists and dicts with str keys"
        ) from None


# -- Responses ------------------------------------------------------------------------------


@cache
def _list_adapter(model: type[M]) -> pydantic.TypeAdapter[list[M]]:
    return pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]


def _invalid(response: httpx.Response, model_name: str, error: Exception) -> Exception:
    if isinstance(error, pydantic.ValidationError):
        first = error.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"]) or "body"
        reason = "not valid JSON" if first["type"] == "json_invalid" else f"{loc}: {first['msg']}"
    else:
        reason = str(error)
    return PhosonResponseValidationError(
        f"{response.request.method} {response.request.url.path} returned a body that is not "
        f"{model_name} ({reason})",
        status_code=response.status_code,
        body=response.content.decode("utf-8", "replace"),
        request_id=redact_value(response.headers.get("x-request-id")),
    )


def parse_model(response: httpx.Response, model: type[M], *, strict: bool = True) -> M:
    """Validate a 2xx JSON body as `model`, recording the response's request id on it.

    With `strict=False` a JSON object of the wrong shape is built without validation (one
    WARNING names the model and the fields) instead of raising.
    """
    try:
        result = model.model_validate_json(response.content)
        _check_json_numbers(response, f"a {model.__name__}")
    except pydantic.ValidationError as error:
        if strict or not _is_shape_error(error):
            raise _invalid(response, f"a {model.__name__}", error) from None
        fields = _decoded(response, f"a {model.__name__}")
        if not isinstance(fields, dict):
            raise _invalid(response, f"a {model.__name__}", error) from None
        result = _built_unvalidated(response, model, fields, error, where="")
    result._request_id = redact_value(response.headers.get("x-request-id"))
    return result


def parse_model_list(response: httpx.Response, model: type[M], *, strict: bool = True) -> list[M]:
    """Validate a 2xx JSON array of `model`, recording the request id on each item.

    With `strict=False` each item is validated on its own: one of the wrong shape is built
    without validation (one WARNING per such item names the model and the fields), the others
    are validated as usual. The whole array is validated in one go first, so a good response
    costs no more than in strict mode.
    """
    try:
        results = _list_adapter(model).validate_json(response.content)
        _check_json_numbers(response, f"a list of {model.__name__}")
    except pydantic.ValidationError as error:
        if strict or not _is_shape_error(error):
            raise _invalid(response, f"a list of {model.__name__}", error) from None
        items = _decoded(response, f"a list of {model.__name__}")
        if not isinstance(items, list):
            raise _invalid(response, f"a list of {model.__name__}", error) from None
        results = [_lenient_item(response, model, item, index) for index, item in enumerate(items)]
    request_id = redact_value(response.headers.get("x-request-id"))
    for result in results:
        result._request_id = request_id
    return results


def _check_json_numbers(response: httpx.Response, model_name: str) -> None:
    """pydantic's parser reads `NaN` and `Infinity`, which are not JSON: refused here, as for
    every other server JSON (`phoson._json.check_finite`)."""
    try:
        _json.check_finite(response.content)
    except ValueError as error:
        raise _invalid(response, model_name, error) from None


def _is_shape_error(error: pydantic.ValidationError) -> bool:
    """Whether the body was JSON and only its shape is wrong (not JSON at all stays an error)."""
    return all(detail["type"] != "json_invalid" for detail in error.errors(include_url=False))


def _decoded(response: httpx.Response, model_name: str) -> Any:
    try:
        return _json.loads(response.content)
    except ValueError as error:
        raise _invalid(response, model_name, error) from None


def _lenient_item(response: httpx.Response, model: type[M], item: Any, index: int) -> M:
    """One item of a list, validated; built without validation if it is an object of the wrong
    shape; a `PhosonResponseValidationError` if it is not an object at all."""
    try:
        return model.model_validate(item)
    except pydantic.ValidationError as error:
        if not isinstance(item, dict):
            raise _invalid(response, f"a list of {model.__name__}", error) from None
        return _built_unvalidated(response, model, item, error, where=f" (item {index})")


def _built_unvalidated(
    response: httpx.Response,
    model: type[M],
    fields: dict[str, Any],
    error: pydantic.ValidationError,
    *,
    where: str,
) -> M:
    """`model` built from `fields` without validation, with the WARNING that says so."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'body'}: {detail['msg']}"
        for detail in error.errors(include_url=False)
    )
    logger.warning(
        "%s %s: the %s%s does not match the model (%s); built without validation because "
        "strict_response_validation=False",
        response.request.method,
        response.request.url.path,
        model.__name__,
        where,
        problems,
    )
    # `_fields_set` is model_construct's own parameter: a body field of that name is dropped.
    values = {name: value for name, value in fields.items() if name != "_fields_set"}
    return cast(M, model.model_construct(**values))
