"""Request-body validation as FastAPI does it: the body parsed as JSON, then validated by the
endpoint's pydantic model (`_requests.py`) in lax mode.

Errors are FastAPI's: `422 {"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`, one entry per
bad field with `loc` starting at "body"; `400 "There was an error parsing the body"` for bytes
that are not text at all.
"""

from __future__ import annotations

import json
from typing import Any, Final, TypeVar

import pydantic

from ._requests import RequestBody

__all__ = ["MISSING", "RequestError", "decode_body", "validate"]

B = TypeVar("B", bound=RequestBody)


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
    except (ValueError, RecursionError):  # not UTF-8/16/32, nested too deep, a huge integer
        raise RequestError(400, "There was an error parsing the body") from None


def validate(body: Any, model: type[B]) -> B:
    """The body as `model`, or `RequestError(422)` listing every problem as FastAPI does."""
    if body is MISSING:
        missing = {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
        raise RequestError(422, [missing])
    try:
        return model.model_validate(body, from_attributes=True)
    except pydantic.ValidationError as error:
        # JSON-safe entries (inputs and ctx values included), without pydantic's doc URLs.
        try:
            entries: list[dict[str, Any]] = json.loads(error.json(include_url=False))
        except ValueError:  # an input Python cannot write back (an integer too long to print)
            entries = json.loads(error.json(include_url=False, include_input=False))
            for entry in entries:
                entry["input"] = None
        for entry in entries:
            entry["loc"] = ["body", *entry["loc"]]
        raise RequestError(422, entries) from None
