"""What a connection pool belongs to, and its clean-up when that ends.

`acurrent_owner()` / `current_owner()` say what a pool's connections belong to: the running
event loop (an asyncio loop, or a trio run) for the async client, the process for the blocking
one (its threads share one pool). `aclose_at_loop_end()` runs a pool's close as its event loop
shuts down (the blocking twin does nothing). `fork_generation` changes in a child process after
`os.fork()`, and `call_after_fork(pool)` has the pool forget its parent's connections there.
`build_sync.py` maps each async name to its blocking twin.
"""

from __future__ import annotations

import asyncio
import os
import sys
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Protocol

__all__ = [
    "ForkAware",
    "aclose_at_loop_end",
    "acurrent_owner",
    "call_after_fork",
    "close_at_loop_end",
    "current_owner",
    "fork_generation",
]


def acurrent_owner() -> object | None:
    """The running event loop: the asyncio loop, or the trio run's token (None outside one)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            token: object = trio.lowlevel.current_trio_token()
            return token
        except RuntimeError:
            pass
    return None


def current_owner() -> object | None:
    """The blocking client's pool belongs to the process: every thread shares it."""
    return None


async def aclose_at_loop_end(close: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    """Arrange for `close()` to run while the running event loop shuts down; keep the returned
    handle as long as `close` should run. Closing the handle runs `close()` now; dropping it
    while the loop runs makes the loop close it soon (trio warns about that).

    Both `asyncio.run()` and `trio.run()` close the async generators still suspended when their
    main task ends, before the loop stops: the handle is such a generator. This way a pool
    closes its connections in its own loop, instead of leaving sockets for the garbage
    collector once the loop is gone.
    """

    async def watch() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            try:
                await close()
            except Exception as exc:  # a connection that breaks while closing is gone anyway
                from ._logging import logger

                logger.debug("phoson: closing a connection pool at loop end failed: %r", exc)

    handle = watch()
    await handle.asend(None)
    return handle


def close_at_loop_end(close: Callable[[], object]) -> Generator[None, None] | None:
    """The blocking client has no event loop to follow: nothing to arrange."""
    return None


class ForkAware(Protocol):
    def after_fork_in_child(self) -> None: ...


#: How many `os.fork()`s lie between the first process and this one (0 in the first). Read it
#: as `_ownership.fork_generation` (a `from` import would keep the value it had then): an
#: attribute, not a function, as a streamed body checks it before every chunk.
fork_generation = 0
_after_fork: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def call_after_fork(pool: ForkAware) -> None:
    """Call `pool.after_fork_in_child()` in the child of every later `os.fork()` (held weakly)."""
    _after_fork.add(pool)


def _in_child_after_fork() -> None:
    # Only the thread that forked lives on in the child, so nothing here can race.
    global fork_generation
    fork_generation += 1
    for pool in list(_after_fork):
        pool.after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_in_child_after_fork)
