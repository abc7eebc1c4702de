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
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Protocol

__all__ = [
    "ForkAware",
    "LoopUser",
    "acall_soon",
    "aclose_at_loop_end",
    "acurrent_owner",
    "call_after_fork",
    "call_soon",
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


class LoopUser(Protocol):
    """What `aclose_at_loop_end` closes: a pool, with connections in several event loops."""

    async def aclose_for_loop(self, owner: object) -> None: ...

    def forget_loop(self, owner: object) -> None: ...


class _LoopEnd:
    """The pools to close as one event loop ends, and the async generator that runs then."""

    __slots__ = ("disowned", "handle", "owner", "users")

    def __init__(self, owner: object) -> None:
        self.owner = owner
        self.users: weakref.WeakSet[LoopUser] = weakref.WeakSet()
        self.handle: AsyncGenerator[None, None] | None = None
        self.disowned = False

    def disown(self) -> None:
        """Finalize the handle here and now, running nothing: its loop is closed, or belongs
        to the parent process. (Left to the garbage collector, it would schedule its clean-up
        on that loop, or make trio warn.)"""
        self.disowned = True
        handle, self.handle = self.handle, None
        if handle is not None:
            closing = handle.aclose()
            try:
                closing.send(None)  # runs its `finally`, which awaits nothing once disowned
            except StopIteration:
                pass
            else:  # pragma: no cover (it awaits nothing)
                closing.close()


#: One `_LoopEnd` per event loop that a pool has connections in.
_LOOP_ENDS: dict[object, _LoopEnd] = {}
_LOOP_ENDS_LOCK = threading.Lock()


async def _at_loop_end(end: _LoopEnd) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not end.disowned:
            with _LOOP_ENDS_LOCK:
                if _LOOP_ENDS.get(end.owner) is end:
                    del _LOOP_ENDS[end.owner]
            for user in list(end.users):
                try:
                    await user.aclose_for_loop(end.owner)
                except Exception as exc:  # a connection that breaks while closing is gone anyway
                    from ._logging import logger

                    logger.debug("phoson: closing connections at loop end failed: %r", exc)


async def aclose_at_loop_end(user: LoopUser) -> None:
    """Have `user.aclose_for_loop(loop)` run while the running event loop shuts down.

    Both `asyncio.run()` and `trio.run()` close the async generators still suspended when their
    main task ends, before the loop stops: one such generator per loop (held here, never
    dropped while its loop runs) closes the connections every pool holds in that loop, in that
    loop, instead of leaving sockets for the garbage collector once the loop is gone. Pools are
    held weakly: a pool dropped meanwhile is skipped.
    """
    owner = acurrent_owner()
    end = _LOOP_ENDS.get(owner)
    if end is None:
        with _LOOP_ENDS_LOCK:
            _forget_closed_loops()
            end = _LOOP_ENDS.setdefault(owner, _LoopEnd(owner))
    end.users.add(user)
    if end.handle is None and not end.disowned:
        # (Only this loop's thread gets here for this loop; set before the first await.)
        end.handle = handle = _at_loop_end(end)
        await handle.asend(None)


def close_at_loop_end(user: object) -> None:
    """The blocking client has no event loop to follow: nothing to arrange."""


def _forget_closed_loops() -> None:
    """Drop the records of asyncio loops closed without closing their async generators (a
    `loop.close()` with no `shutdown_asyncgens()`): their pools renew their connections."""
    for owner, end in list(_LOOP_ENDS.items()):
        if isinstance(owner, asyncio.AbstractEventLoop) and owner.is_closed():
            del _LOOP_ENDS[owner]
            end.disown()
            for user in list(end.users):
                user.forget_loop(owner)


def acall_soon(owner: object, job: Callable[[], Awaitable[object]]) -> bool:
    """Run `job()` soon as a task of the event loop `owner`, from any thread, or from a
    finalizer (`__del__`); False when that loop has ended. Its failures are logged."""
    if isinstance(owner, asyncio.AbstractEventLoop):
        try:
            owner.call_soon_threadsafe(_start_task, owner, job)
        except RuntimeError:  # the loop is closed
            return False
        return True
    trio = sys.modules.get("trio")
    if trio is not None and isinstance(owner, trio.lowlevel.TrioToken):
        try:
            owner.run_sync_soon(trio.lowlevel.spawn_system_task, _quietly, job)
        except trio.RunFinishedError:
            return False
        return True
    return False


def call_soon(owner: object, job: Callable[[], object]) -> bool:
    """The blocking client: run `job()` now, in this thread."""
    job()
    return True


#: The tasks `acall_soon` started (asyncio keeps only weak references to tasks).
_TASKS: set[asyncio.Task[None]] = set()


def _start_task(loop: asyncio.AbstractEventLoop, job: Callable[[], Awaitable[object]]) -> None:
    task = loop.create_task(_quietly(job))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _quietly(job: Callable[[], Awaitable[object]]) -> None:
    try:
        await job()
    except Exception as exc:  # clean-up of a connection that is gone either way
        from ._logging import logger

        logger.debug("phoson: a clean-up in the background failed: %r", exc)


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
    global _LOOP_ENDS_LOCK, fork_generation
    fork_generation += 1
    _LOOP_ENDS_LOCK = threading.Lock()  # another thread of the parent may have held it
    ends = list(_LOOP_ENDS.values())
    _LOOP_ENDS.clear()
    _TASKS.clear()
    for end in ends:  # the parent's event loops: nothing of theirs may run here
        end.disown()
    for pool in list(_after_fork):
        pool.after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_in_child_after_fork)
