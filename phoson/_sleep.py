"""The one seam between the two clients that unasync cannot rewrite: sleeping, and timers.

`asleep` is used by the async source; `build_sync.py` renames it to `sleep` in the generated
client. Both are looked up on this module at call time, so tests can replace them.
`acall_later`/`call_later` (a deadline's timer: an event-loop callback, or a timer thread)
are real timers, which the tests do not replace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

import anyio

from ._logging import logger

__all__ = ["Wakeable", "acall_later", "asleep", "call_later", "sleep"]


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


def acall_later(seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` in `seconds` on the running event loop (asyncio or trio), without
    holding up the caller; returns the function that cancels it. `callback` must not block."""
    import asyncio
    import sys

    def run() -> None:
        try:
            callback()
        except Exception:  # a timer's failure must not take the event loop down
            logger.exception("phoson: a timer's callback failed")

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio (the only other loop the client supports)
        trio: Any = sys.modules["trio"]
        scope = trio.CancelScope()

        async def timer() -> None:
            with scope:
                await trio.sleep(seconds)
                run()

        trio.lowlevel.spawn_system_task(timer)
        return cast(Callable[[], None], scope.cancel)
    return loop.call_later(seconds, run).cancel


def call_later(seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` in `seconds` from a timer thread; returns the function that cancels it."""

    def run() -> None:
        try:
            callback()
        except Exception:
            logger.exception("phoson: a timer's callback failed")

    timer = threading.Timer(seconds, run)
    timer.daemon = True
    timer.name = "phoson-deadline"
    timer.start()
    return timer.cancel
