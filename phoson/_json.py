"""The one JSON parser for everything a server controls, and the one encoder for what the SDK
sends. No I/O.

Every JSON text a server wrote (an error body and its `detail`, a 2xx body read as plain JSON,
an event's data without an `event:` line, an event checked for being the run's last) goes
through `loads`, so its guards hold everywhere:

- Nesting deeper than Python can parse is a `JSONError`, never a `RecursionError`.
- `NaN`, `Infinity` and `-Infinity` are not JSON: a `JSONError`.
- Text that is not UTF-8 JSON is a `JSONError`.

`JSONError` is a `ValueError`, so callers catch one type. (Typed bodies and events are validated
by pydantic straight from the bytes, whose own parser refuses nesting past 200 levels.)

`dumps` refuses `NaN` and `Infinity` too, so a body the SDK sends is always JSON.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSONError", "dumps", "loads"]


class JSONError(ValueError):
    """A server's text is not JSON this SDK accepts (why is in the message)."""


def _refuse_constant(name: str) -> Any:
    raise JSONError(f"{name} is not JSON")


def loads(data: str | bytes | bytearray) -> Any:
    """The value of the JSON text `data`; `JSONError` if it is not JSON, nests too deeply, or
    holds `NaN`/`Infinity`."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except JSONError:
        raise
    except RecursionError:
        raise JSONError("JSON nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise JSONError(str(error)) from None


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; `ValueError` for `NaN`/`Infinity` (not JSON), `TypeError`
    for a value JSON cannot hold."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
