"""Request-body validation shaped like FastAPI + pydantic v2 (lax mode), standard library only.

Errors are FastAPI's: `422 {"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`, one entry per
bad field, in field order; `400 "There was an error parsing the body"` for bytes that are not
text at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "AGENT_CREATE",
    "AGENT_UPDATE",
    "CONVERSATION_CREATE",
    "CONVERSATION_UPDATE",
    "MESSAGE_CREATE",
    "MISSING",
    "RequestError",
    "decode_body",
    "validate",
]

MEMORY_TYPES: Final = ("persistent", "semantic")
PROVIDERS: Final = ("anthropic", "openai", "openrouter")
REASONING_EFFORTS: Final = ("low", "medium", "high")


class RequestError(Exception):
    """A request refused before its endpoint ran: the status and FastAPI-shaped `detail`."""

    def __init__(self, status: int, detail: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = headers


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""The body of a request that sent no bytes (FastAPI's `Undefined`)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One body field: its pydantic type (`kind`), whether it is required, may be null, and its
    default when absent."""

    name: str
    kind: str  # "str" | "bool" | "int" | "float" | "literal"
    required: bool = False
    nullable: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()


AGENT_CREATE: Final = (
    Field("name", "str", required=True),
    Field("description", "str", required=True),
    Field("memory_type", "literal", default="persistent", choices=MEMORY_TYPES),
)
AGENT_UPDATE: Final = (
    Field("name", "str", nullable=True),
    Field("description", "str", nullable=True),
    Field("memory_type", "literal", nullable=True, choices=MEMORY_TYPES),
)
CONVERSATION_CREATE: Final = (
    Field("agent_id", "str", required=True),
    Field("title", "str", default="New Conversation"),
    Field("thread_id", "str", nullable=True),
)
CONVERSATION_UPDATE: Final = (Field("title", "str", nullable=True),)
MESSAGE_CREATE: Final = (
    Field("content", "str", required=True),
    Field("stream", "bool", default=False),
    Field("model", "str", nullable=True),
    Field("provider", "literal", nullable=True, choices=PROVIDERS),
    Field("temperature", "float", nullable=True),
    Field("max_tokens", "int", nullable=True),
    Field("reasoning_effort", "literal", nullable=True, choices=REASONING_EFFORTS),
)


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    maintype, _, subtype = media.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """The body as FastAPI hands it to validation: parsed JSON when the request has no
    Content-Type or a JSON one, the text itself otherwise, `MISSING` when empty."""
    if not raw:
        return MISSING
    if content_type is not None and not _is_json_media_type(content_type):
        return raw.decode("utf-8", "replace")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ["body", exc.pos],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise RequestError(422, [error]) from None
    except (ValueError, RecursionError):  # not UTF-8/16/32 at all, or nested too deep
        raise RequestError(400, "There was an error parsing the body") from None


class _Invalid(Exception):
    def __init__(self, type_: str, msg: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__(type_, msg)
        self.type = type_
        self.msg = msg
        self.ctx = ctx


_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid("string_type", "Input should be a valid string")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, str | int | float):
        raise _Invalid("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    raise _Invalid("bool_type", "Input should be a valid boolean")


def _as_int(value: Any) -> int:
    if isinstance(value, int):  # bool included, as pydantic's lax mode allows
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _Invalid(
            "int_from_float", "Input should be a valid integer, got a number with a fractional part"
        )
    if isinstance(value, str):
        if _INT_TEXT.fullmatch(value.strip()):
            return int(value.strip())
        raise _Invalid(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    raise _Invalid("int_type", "Input should be a valid integer")


def _as_float(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise _Invalid(
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            ) from None
    raise _Invalid("float_type", "Input should be a valid number")


def _as_literal(value: Any, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    quoted = [f"'{choice}'" for choice in choices]
    expected = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    raise _Invalid("literal_error", f"Input should be {expected}", {"expected": expected})


def _coerce(field: Field, value: Any) -> Any:
    if field.kind == "str":
        return _as_str(value)
    if field.kind == "bool":
        return _as_bool(value)
    if field.kind == "int":
        return _as_int(value)
    if field.kind == "float":
        return _as_float(value)
    return _as_literal(value, field.choices)


def validate(body: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """Every field's value (its default when absent), or `RequestError(422)` listing every
    problem. Unknown fields are ignored, as pydantic does."""
    if body is MISSING:
        raise RequestError(422, [_error("missing", ["body"], "Field required", None)])
    if not isinstance(body, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        raise RequestError(422, [_error("model_attributes_type", ["body"], msg, body)])
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for field in fields:
        loc: list[str | int] = ["body", field.name]
        if field.name not in body:
            if field.required:
                errors.append(_error("missing", loc, "Field required", body))
            else:
                values[field.name] = field.default
            continue
        value = body[field.name]
        if value is None and field.nullable:
            values[field.name] = None
            continue
        try:
            values[field.name] = _coerce(field, value)
        except _Invalid as invalid:
            errors.append(_error(invalid.type, loc, invalid.msg, value, invalid.ctx))
    if errors:
        raise RequestError(422, errors)
    return values


def _error(
    type_: str, loc: list[str | int], msg: str, input_: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"type": type_, "loc": loc, "msg": msg, "input": input_}
    if ctx is not None:
        error["ctx"] = ctx
    return error
