"""The seam between the two clients for sharing a connection pool: who owns it, and the gate
in front of it.

`AsyncAdmissionGate` / `AdmissionGate` let at most `slots` requests into httpx's connection
pool at once (one per connection); the others wait their turn in a FIFO queue. httpcore's pool
rescans every queued request each time a connection is taken or given back, so thousands of
requests queued inside it cost CPU that grows with the square of the queue, and a large batch
stops making progress (issue 15). Queued here, a request costs one wake-up when its turn
comes, whatever the length of the queue.

`apool_owner()` / `pool_owner()` say what a pool belongs to: the running event loop (an
asyncio loop, or a trio run) for the async client, the process for the blocking one (its
threads share one pool). `aclose_at_loop_end()` runs a pool's close as its event loop shuts
down (the blocking twin does nothing). `fork_generation` changes in a child process after
`os.fork()`.
`build_sync.py` maps each async name to its blocking twin.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextvars import ContextVar
from typing import Protocol

import anyio

__all__ = [
    "WAIT_WATCHER",
    "AdmissionGate",
    "AsyncAdmissionGate",
    "GateClosed",
    "GateInterrupted",
    "GateTimeout",
    "WaitWatcher",
    "aclose_at_loop_end",
    "apool_owner",
    "close_at_loop_end",
    "forget_after_fork",
    "fork_generation",
    "pool_owner",
]


class GateTimeout(Exception):
    """No slot came free within the pool timeout (the caller turns this into its own error)."""


class GateClosed(Exception):
    """The gate was closed (its client was) while this request waited for a slot."""


class GateInterrupted(Exception):
    """The thread's stream was closed from elsewhere while it waited for a slot."""


class WaitWatcher(Protocol):
    """What a blocking stream offers a thread waiting for a slot on its behalf: `close()` from
    another thread calls `stop` (at once, if the stream is closing already)."""

    def watch(self, stop: Callable[[], None] | None) -> None: ...


#: The watcher of the stream this thread is opening (set by the stream around its request).
#: The coroutine client needs none: closing cancels the waiting task's scope instead.
WAIT_WATCHER: ContextVar[WaitWatcher | None] = ContextVar("phoson_wait_watcher", default=None)


class _Waiter:
    """One request waiting for a slot: woken by `leave()`, or given up on by its own timeout
    (or, in the blocking gate, by its stream's `close()`: `interrupted`)."""

    __slots__ = ("admitted", "gave_up", "interrupted", "wake")

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.admitted = False
        self.gave_up = False
        self.interrupted = False


class _Queue:
    """The slot count and FIFO of waiters that both gates share (no I/O, no locking).

    A freed slot is handed straight to the first waiter still waiting, so a newcomer can never
    overtake the queue; a waiter that gave up is skipped when its turn comes (O(1) each).
    """

    __slots__ = ("closed", "free", "slots", "waiters")

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("an admission gate needs at least one slot")
        self.slots = slots
        self.free = slots
        self.waiters: deque[_Waiter] = deque()
        self.closed = False

    def try_enter(self) -> bool:
        if self.closed:
            raise GateClosed
        if self.free and not self.waiters:
            self.free -= 1
            return True
        return False

    def leave(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.gave_up:
                waiter.admitted = True
                waiter.wake()
                return
        self.free += 1

    def close(self) -> None:
        """Refuse newcomers and wake every waiter, unadmitted (they raise `GateClosed`)."""
        self.closed = True
        waiters, self.waiters = self.waiters, deque()
        for waiter in waiters:
            if not waiter.gave_up:
                waiter.gave_up = True  # woken once: nothing else may wake it again
                waiter.wake()

    @property
    def in_use(self) -> int:
        return self.slots - self.free

    @property
    def waiting(self) -> int:
        return sum(not waiter.gave_up for waiter in self.waiters)


class AsyncAdmissionGate:
    """A FIFO gate of `slots` places for tasks of one event loop (asyncio or trio).

    Entering takes a place at once when one is free and nobody waits; otherwise the task waits
    its turn, for at most `within` seconds (None: no limit), and raises `GateTimeout`.
    A task cancelled while waiting leaves the queue; one cancelled just after being admitted
    hands its place on. Not thread-safe: one gate belongs to one event loop.
    """

    __slots__ = ("_queue",)

    def __init__(self, slots: int) -> None:
        self._queue = _Queue(slots)

    @property
    def in_use(self) -> int:
        """Places taken now."""
        return self._queue.in_use

    @property
    def waiting(self) -> int:
        """Requests waiting for a place now."""
        return self._queue.waiting

    async def enter(self, within: float | None) -> None:
        queue = self._queue
        if queue.try_enter():
            return
        event = anyio.Event()
        waiter = _Waiter(event.set)
        queue.waiters.append(waiter)
        try:
            with anyio.fail_after(within):
                await event.wait()
            if not waiter.admitted:
                raise GateClosed
        except BaseException as exc:
            if waiter.admitted:
                # Admitted and then cancelled (or timed out) in the same turn: pass it on.
                queue.leave()
            else:
                waiter.gave_up = True
            if isinstance(exc, TimeoutError):
                raise GateTimeout from None
            raise

    def leave(self) -> None:
        self._queue.leave()

    def close(self) -> None:
        self._queue.close()


class AdmissionGate:
    """The same FIFO gate for threads: a waiting thread blocks for at most `within` seconds.

    Thread-safe: one gate is shared by every thread using the client.
    """

    __slots__ = ("_lock", "_queue")

    def __init__(self, slots: int) -> None:
        self._queue = _Queue(slots)
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        """Places taken now."""
        return self._queue.in_use

    @property
    def waiting(self) -> int:
        """Threads waiting for a place now."""
        return self._queue.waiting

    def enter(self, within: float | None) -> None:
        queue = self._queue
        with self._lock:
            if queue.try_enter():
                return
            # A lock taken here and released by `leave()` wakes exactly this thread.
            wake = threading.Lock()
            wake.acquire()
            waiter = _Waiter(wake.release)
            queue.waiters.append(waiter)
        # The stream being opened may be closed from another thread meanwhile: that ends the
        # wait too (`_interrupt`), and the place in the queue is given up.
        watcher = WAIT_WATCHER.get()
        if watcher is not None:
            watcher.watch(lambda: self._interrupt(waiter))
        try:
            woken = wake.acquire(timeout=-1 if within is None else max(within, 0.0))
        finally:
            if watcher is not None:
                watcher.watch(None)
        with self._lock:
            if waiter.admitted:
                return  # (if not woken: admitted between the timeout and taking the lock)
            waiter.gave_up = True
        if waiter.interrupted:
            raise GateInterrupted
        raise GateClosed if woken else GateTimeout

    def _interrupt(self, waiter: _Waiter) -> None:
        """End one thread's wait, unadmitted (its stream was closed)."""
        with self._lock:
            if waiter.admitted or waiter.gave_up or waiter.interrupted:
                return  # admitted already (it goes on, then sees its stream is closing)
            waiter.interrupted = True
            waiter.gave_up = True  # `leave()` passes it over
            waiter.wake()

    def leave(self) -> None:
        with self._lock:
            self._queue.leave()

    def close(self) -> None:
        with self._lock:
            self._queue.close()


def apool_owner() -> object | None:
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


def pool_owner() -> object | None:
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
#: as `_admission.fork_generation` (a `from` import would keep the value it had then): an
#: attribute, not a function, as a streamed body checks it before every chunk.
fork_generation = 0
_after_fork: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def forget_after_fork(pool: ForkAware) -> None:
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
