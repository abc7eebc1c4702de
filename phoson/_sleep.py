"""The one seam between the two clients that unasync cannot rewrite: sleeping.

`asleep` is used by the async source; `build_sync.py` renames it to `sleep` in the generated
client. Both are looked up on this module at call time, so tests can replace them.
"""

from __future__ import annotations

import time
from typing import Protocol

import anyio

__all__ = ["Wakeable", "asleep", "sleep"]


class Wakeable(Protocol):
    """What a blocking sleep may be woken by (a `threading.Event`, `_stream_closer.Wake`)."""

    def wait(self, timeout: float | None = None) -> bool: ...


async def asleep(seconds: float) -> None:
    """Sleep without blocking the event loop (asyncio or trio)."""
    await anyio.sleep(seconds)


def sleep(seconds: float, until: Wakeable | None = None) -> None:
    """Sleep, blocking the calling thread; return early once `until` is set."""
    if until is None:
        time.sleep(seconds)
    else:
        until.wait(seconds)
