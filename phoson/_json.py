"""The one JSON parser for everything a server controls, and the one encoder for what the SDK
sends. No I/O.

Every JSON text a server wrote (an error body and its `detail`, a 2xx body read as plain JSON,
an event's data without an `event:` line, an event checked for being the run's last) goes
through `loads`, so its guards hold everywhere:

- Nesting deeper than `MAX_DEPTH` (200) levels is a `JSONError`: the limit of pydantic's parser,
  which validates the typed bodies and events, so every server JSON has the same one. The parse
  never recurses in Python, so Python's recursion limit is never reached (CPython 3.11 can be
  left with a wrong recursion count after a `RecursionError` caught inside C code, and later
  fail to compile a module).
- `NaN`, `Infinity` and `-Infinity` are not JSON: a `JSONError`.
- Text that is not UTF-8 JSON is a `JSONError`.

`JSONError` is a `ValueError`, so callers catch one type. The parser is pydantic's (the one
`model_validate_json` uses, through a `TypeAdapter(Any)`), with NaN refused.

`dumps` refuses `NaN` and `Infinity` too, so a body the SDK sends is always JSON.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pydantic

__all__ = ["MAX_DEPTH", "JSONError", "check_finite", "dumps", "loads"]

#: How deep a server's JSON may nest (pydantic's parser stops there).
MAX_DEPTH = 200


class JSONError(ValueError):
    """A server's text is not JSON this SDK accepts (why is in the message)."""


#: pydantic's JSON parser, as a `TypeAdapter(Any)` (made on first use: importing costs nothing).
_parser: pydantic.TypeAdapter[Any] | None = None


def loads(data: str | bytes | bytearray) -> Any:
    """The value of the JSON text `data`; `JSONError` if it is not JSON, nests deeper than
    `MAX_DEPTH`, or holds `NaN`/`Infinity`."""
    global _parser
    import pydantic

    if _parser is None:
        _parser = pydantic.TypeAdapter(Any)
    try:
        # (bytes(): pydantic 2.7, the floor, types validate_json's input as str | bytes only)
        value = _parser.validate_json(bytes(data) if isinstance(data, bytearray) else data)
    except pydantic.ValidationError as error:
        reason = error.errors(include_url=False)[0]["msg"].removeprefix("Invalid JSON: ")
        if "recursion limit" in reason:
            reason = f"nested deeper than {MAX_DEPTH} levels ({reason})"
        raise JSONError(f"not JSON: {reason}") from None
    # The parser reads NaN and Infinity; JSON has neither. Looked for only when the text names
    # one (a byte search), so a good document costs nothing more.
    names = ("NaN", "Infinity") if isinstance(data, str) else (b"NaN", b"Infinity")
    if any(name in data for name in names) and _holds_non_finite(value):  # type: ignore[operator]
        raise JSONError("not JSON: NaN and Infinity are not JSON")
    return value


def _holds_non_finite(value: Any) -> bool:
    """Whether a parsed value holds a NaN or an infinite float, walked without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


def check_finite(data: str | bytes) -> None:
    """For JSON text another parser accepted (pydantic's model validators read `NaN` and
    `Infinity`): `JSONError` if it holds either. Only text that names one is parsed again (a
    substring search: usual text costs next to nothing)."""
    if isinstance(data, str):
        named = "NaN" in data or "Infinity" in data
    else:
        named = b"NaN" in data or b"Infinity" in data
    if named:
        loads(data)


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; `ValueError` for `NaN`/`Infinity` (not JSON), `TypeError`
    for a value JSON cannot hold."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
