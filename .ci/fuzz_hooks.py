"""schemathesis hooks for .ci/fuzz_local_server.py (loaded through SCHEMATHESIS_HOOKS).

Every `Idempotency-Key` sent is a fresh uuid4, as the SDK sends one per call: schemathesis
draws keys from a small pool ("0", "else", ...), and by contract (docs/wire-contract.md) a key
reused with another body is refused with 422 and a key reused with the same body replays the
first answer (an object since deleted, say), which its "valid data is accepted" and "created
objects exist" checks would report as bugs. Replays are tested in tests/test_local_server.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis


@schemathesis.hook("map_headers")
def fresh_idempotency_keys(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """Examples, coverage and fuzzing phases: each generated key is a new uuid4."""
    return _fresh(headers)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """The stateful phase, whose requests map_headers does not see: a new uuid4 per call."""
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    if phase == "stateful":
        _fresh(case.headers)


def _fresh(headers: dict[str, Any] | None) -> dict[str, Any] | None:
    for name in list(headers or {}):
        if name.lower() == "idempotency-key":
            headers[name] = str(uuid.uuid4())  # type: ignore[index]
    return headers
