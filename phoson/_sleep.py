"""The one seam between the two clients that unasync cannot rewrite: sleeping.

`asleep` is used by the async source; `build_sync.py` renames it to `sleep` in the generated
client. Both are looked up on this module at call time, so tests can replace them.
"""

from __future__ import annotations

import threading
import time

import anyio

__all__ = ["asleep", "sleep"]


async def asleep(seconds: float) -> None:
    """Sleep without blocking the event loop (asyncio or trio)."""
    await anyio.sleep(seconds)


def sleep(seconds: float, until: threading.Event | None = None) -> None:
    """Sleep, blocking the calling thread; return early once `until` is set."""
    if until is None:
        time.sleep(seconds)
    else:
        until.wait(seconds)
