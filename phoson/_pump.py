"""A producer in the background handing items to one consumer, one at a time: the seam that
lets `phoson.web` send a heartbeat while the stream it relays waits for its next event.

Reading a stream cannot be abandoned half-way without breaking its connection (httpcore closes
a response whose read is cancelled), so the relay reads in the background and the response
waits for the next item *or* a timeout, which loses nothing. `AsyncPump` runs the producer as a
task of the running event loop (an asyncio task, or a trio system task: no nursery is needed,
so the relay can be a plain async iterator), `Pump` in a daemon thread. `build_sync.py` maps the
one to the other, like `phoson/_gate.py`'s two halves.

One slot between the two sides gives backpressure: the producer waits until the consumer took
the previous item. `close()` (the consumer is gone) makes every later `put` return False, so the
producer stops at its next item.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import anyio

from ._logging import logger

__all__ = ["AsyncPump", "Pump"]

T = TypeVar("T")


class _Ended:
    """What `get` returns once the producer has finished and its last item was taken."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ENDED"


ENDED = _Ended()


class AsyncPump(Generic[T]):
    """The event-loop half: the producer is a task of the running loop (asyncio or trio)."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._full = False
        self._ended = False
        self._closed = False
        self._failure: BaseException | None = None
        self._changed: anyio.Event | None = None
        self._task: asyncio.Task[None] | None = None  # kept: asyncio holds tasks weakly

    def start(self, produce: Callable[[], Awaitable[None]]) -> None:
        """Run `produce()` in the background, in the running event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            trio: Any = sys.modules.get("trio")
            if trio is None:
                raise
            trio.lowlevel.spawn_system_task(self._run, produce)
        else:
            self._task = loop.create_task(self._run(produce))

    async def _run(self, produce: Callable[[], Awaitable[None]]) -> None:
        try:
            await produce()
        except Exception as error:  # handed to the consumer; a trio system task must not raise
            self._failure = error
        except BaseException as error:  # cancelled: the loop is ending
            self._failure = error
            if not isinstance(error, anyio.get_cancelled_exc_class()):
                raise
        finally:
            self._ended = True
            self._signal()

    def _signal(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    async def _wait(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        await self._changed.wait()

    async def put(self, item: T) -> bool:
        """The producer's side: hand `item` over once the slot is free. False: the consumer is
        gone (`close()`), stop producing."""
        while self._full and not self._closed:
            await self._wait()
        if self._closed:
            return False
        self._item, self._full = item, True
        self._signal()
        return True

    async def get(self, wait: float) -> T | _Ended | None:
        """The consumer's side: the next item; None if none came within `wait` seconds;
        `ENDED` once the producer has finished (its exception, if it raised one, is raised)."""
        with anyio.move_on_after(wait):
            while not self._full and not self._ended:
                await self._wait()
        # Taken after the wait, not inside it: a timeout never loses an item.
        if self._full:
            item, self._item, self._full = self._item, None, False
            self._signal()
            return item
        if self._ended:
            failure, self._failure = self._failure, None
            if failure is not None:
                raise failure
            return ENDED
        return None

    def close(self) -> None:
        """The consumer is gone: the producer's next `put` returns False."""
        self._closed = True
        self._item, self._full = None, False
        self._signal()


class Pump(Generic[T]):
    """The blocking half: the producer runs in a daemon thread."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._full = False
        self._ended = False
        self._closed = False
        self._failure: BaseException | None = None
        self._changed = threading.Condition()

    def start(self, produce: Callable[[], None]) -> None:
        """Run `produce()` in a new daemon thread."""
        threading.Thread(
            target=self._run, args=(produce,), name="phoson-relay", daemon=True
        ).start()

    def _run(self, produce: Callable[[], None]) -> None:
        try:
            produce()
        except BaseException as error:  # handed to the consumer
            self._failure = error
            if not isinstance(error, Exception):
                logger.debug("relay producer ended by %r", error)
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def put(self, item: T) -> bool:
        """The producer's side: hand `item` over once the slot is free. False: the consumer is
        gone (`close()`), stop producing."""
        with self._changed:
            while self._full and not self._closed:
                self._changed.wait()
            if self._closed:
                return False
            self._item, self._full = item, True
            self._changed.notify_all()
            return True

    def get(self, wait: float) -> T | _Ended | None:
        """The consumer's side: the next item; None if none came within `wait` seconds;
        `ENDED` once the producer has finished (its exception, if it raised one, is raised)."""
        with self._changed:
            self._changed.wait_for(lambda: self._full or self._ended, wait)
            if self._full:
                item, self._item, self._full = self._item, None, False
                self._changed.notify_all()
                return item
            if self._ended:
                failure, self._failure = self._failure, None
                if failure is not None:
                    raise failure
                return ENDED
            return None

    def close(self) -> None:
        """The consumer is gone: the producer's next `put` returns False."""
        with self._changed:
            self._closed = True
            self._item, self._full = None, False
            self._changed.notify_all()
