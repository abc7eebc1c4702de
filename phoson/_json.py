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

`JSONError` is a `ValueError`, so callers catch one type. The parser is pydantic-core's (the
one `model_validate_json` uses), with NaN refused.

`dumps` refuses `NaN` and `Infinity` too, so a body the SDK sends is always JSON.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import from_json

__all__ = ["MAX_DEPTH", "JSONError", "dumps", "loads"]

#: How deep a server's JSON may nest (pydantic-core's parser stops there).
MAX_DEPTH = 200


class JSONError(ValueError):
    """A server's text is not JSON this SDK accepts (why is in the message)."""


def loads(data: str | bytes | bytearray) -> Any:
    """The value of the JSON text `data`; `JSONError` if it is not JSON, nests deeper than
    `MAX_DEPTH`, or holds `NaN`/`Infinity`."""
    try:
        return from_json(data, allow_inf_nan=False)
    except ValueError as error:
        reason = str(error)
        if "recursion limit" in reason:
            reason = f"nested deeper than {MAX_DEPTH} levels ({reason})"
        elif isinstance(data, str):
            if "NaN" in data or "Infinity" in data:
                reason = f"NaN and Infinity are not JSON ({reason})"
        elif b"NaN" in data or b"Infinity" in data:
            reason = f"NaN and Infinity are not JSON ({reason})"
        raise JSONError(f"not JSON: {reason}") from None


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; `ValueError` for `NaN`/`Infinity` (not JSON), `TypeError`
    for a value JSON cannot hold."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
