"""The slots in front of a connection pool: at most `slots` requests inside it at once, the
others waiting their turn in FIFO order.

`AsyncSlotQueue` (tasks of one event loop) and `SlotQueue` (threads) share `_SlotCount`, the
count and queue without I/O or locking. httpcore's pool rescans every queued request each time
a connection is taken or given back, so thousands of requests queued inside it cost CPU that
grows with the square of the queue, and a large batch stops making progress (issue 15). Queued
here, a request costs one wake-up when its turn comes, whatever the length of the queue.

The same class paces new connections (`phoson._async._pool._PacedConnects`: at most 256 being
opened at once). `build_sync.py` maps `AsyncSlotQueue` to `SlotQueue`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import anyio

from ._stream_closer import WAIT_WATCHER, WaitInterrupted

__all__ = [
    "AsyncSlotQueue",
    "SlotQueue",
    "SlotTimeout",
    "SlotsClosed",
]


class SlotTimeout(Exception):
    """No slot came free within the time allowed (the caller turns this into its own error)."""


class SlotsClosed(Exception):
    """The queue was closed (its client was) while this request waited for a slot."""


class _Waiter:
    """One request waiting for a slot: woken by `give_back()`, or given up on by its own timeout
    (or, in the blocking queue, by its stream's `close()`: `interrupted`)."""

    __slots__ = ("admitted", "gave_up", "interrupted", "wake")

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.admitted = False
        self.gave_up = False
        self.interrupted = False


class _SlotCount:
    """The slot count and FIFO of waiters that both queues share (no I/O, no locking).

    A freed slot is handed straight to the first waiter still waiting, so a newcomer can never
    overtake the queue; a waiter that gave up is skipped when its turn comes (O(1) each).
    """

    __slots__ = ("closed", "free", "slots", "waiters")

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a slot queue needs at least one slot")
        self.slots = slots
        self.free = slots
        self.waiters: deque[_Waiter] = deque()
        self.closed = False

    def try_take(self) -> bool:
        if self.closed:
            raise SlotsClosed
        if self.free and not self.waiters:
            self.free -= 1
            return True
        return False

    def give_back(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.gave_up:
                waiter.admitted = True
                waiter.wake()
                return
        self.free += 1

    def close(self) -> None:
        """Refuse newcomers and wake every waiter, unadmitted (they raise `SlotsClosed`)."""
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


class AsyncSlotQueue:
    """A FIFO queue for `slots` places, for tasks of one event loop (asyncio or trio).

    `take` takes a place at once when one is free and nobody waits; otherwise the task waits
    its turn, for at most `within` seconds (None: no limit), and raises `SlotTimeout`.
    A task cancelled while waiting leaves the queue; one cancelled just after being admitted
    hands its place on. Not thread-safe: one queue belongs to one event loop.
    """

    __slots__ = ("_queue",)

    def __init__(self, slots: int) -> None:
        self._queue = _SlotCount(slots)

    @property
    def in_use(self) -> int:
        """Places taken now."""
        return self._queue.in_use

    @property
    def waiting(self) -> int:
        """Requests waiting for a place now."""
        return self._queue.waiting

    def try_take(self) -> bool:
        """Take a place if one is free and nobody waits (True); no waiting, no await."""
        return self._queue.try_take()

    async def take(self, within: float | None) -> None:
        queue = self._queue
        if queue.try_take():
            return
        event = anyio.Event()
        waiter = _Waiter(event.set)
        queue.waiters.append(waiter)
        try:
            await _await_turn(event, within)
            if not waiter.admitted:
                raise SlotsClosed
        except BaseException as exc:
            if waiter.admitted:
                # Admitted and then cancelled (or timed out) in the same turn: pass it on.
                queue.give_back()
            else:
                waiter.gave_up = True
            if isinstance(exc, TimeoutError):
                raise SlotTimeout from None
            raise

    def give_back(self) -> None:
        self._queue.give_back()

    def close(self) -> None:
        self._queue.close()


class SlotQueue:
    """The same FIFO queue for threads: a waiting thread blocks for at most `within` seconds.

    Thread-safe: one queue is shared by every thread using the client.
    """

    __slots__ = ("_lock", "_queue")

    def __init__(self, slots: int) -> None:
        self._queue = _SlotCount(slots)
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        """Places taken now."""
        return self._queue.in_use

    @property
    def waiting(self) -> int:
        """Threads waiting for a place now."""
        return self._queue.waiting

    def try_take(self) -> bool:
        """Take a place if one is free and nobody waits (True); no waiting."""
        with self._lock:
            return self._queue.try_take()

    def take(self, within: float | None) -> None:
        queue = self._queue
        with self._lock:
            if queue.try_take():
                return
            # A lock taken here and released by `give_back()` wakes exactly this thread.
            wake = threading.Lock()
            wake.acquire()
            waiter = _Waiter(wake.release)
            queue.waiters.append(waiter)
        # The stream being opened may be closed from another thread meanwhile: that ends the
        # wait too (`_interrupt`), and the place in the queue is given up.
        watcher = WAIT_WATCHER.get()
        try:
            if watcher is not None:
                watcher.watch(lambda: self._interrupt(waiter))
            woken = _wait_for_turn(wake, within)
        except BaseException:
            # Interrupted (Ctrl-C in the main thread, say): leave the queue, and pass on a
            # place given meanwhile, so that no place is lost.
            self._give_up(waiter)
            raise
        finally:
            if watcher is not None:
                watcher.watch(None)
        with self._lock:
            if waiter.admitted:
                return  # (if not woken: admitted between the timeout and taking the lock)
            waiter.gave_up = True
        if waiter.interrupted:
            raise WaitInterrupted
        raise SlotsClosed if woken else SlotTimeout

    def _give_up(self, waiter: _Waiter) -> None:
        with self._lock:
            waiter.gave_up = True  # `give_back()` passes it over from now on
            if waiter.admitted:
                waiter.admitted = False
                self._queue.give_back()

    def _interrupt(self, waiter: _Waiter) -> None:
        """End one thread's wait, unadmitted (its stream was closed)."""
        with self._lock:
            if waiter.admitted or waiter.gave_up or waiter.interrupted:
                return  # admitted already (it goes on, then sees its stream is closing)
            waiter.interrupted = True
            waiter.gave_up = True  # `give_back()` passes it over
            waiter.wake()

    def give_back(self) -> None:
        with self._lock:
            self._queue.give_back()

    def close(self) -> None:
        with self._lock:
            self._queue.close()


async def _await_turn(event: anyio.Event, within: float | None) -> None:
    """Wait until `event` is set, for at most `within` seconds (TimeoutError). An interruption
    (cancellation, KeyboardInterrupt under trio) lands here (tests replace this function)."""
    with anyio.fail_after(within):
        await event.wait()


def _wait_for_turn(wake: threading.Lock, within: float | None) -> bool:
    """Block until `wake` is released (True) or `within` seconds pass (False). A wait in the
    main thread is where Ctrl-C lands (tests replace this function to raise it here)."""
    return wake.acquire(timeout=-1 if within is None else max(within, 0.0))
