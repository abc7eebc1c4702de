"""schemathesis hooks for .ci/fuzz_local_server.py (loaded through SCHEMATHESIS_HOOKS).

Every generated `Idempotency-Key` is replaced by a fresh uuid4, as the SDK sends one per call:
schemathesis draws keys from a small pool ("0", "else", ...), and reusing a key with another
body is refused with 422 by contract (docs/wire-contract.md), which its "valid data must be
accepted" check would report as a bug. Replays themselves are tested in tests/test_local_server.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis


@schemathesis.hook("map_headers")
def fresh_idempotency_keys(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    for name in list(headers or {}):
        if name.lower() == "idempotency-key":
            headers[name] = str(uuid.uuid4())  # type: ignore[index]
    return headers
