"""Finishing a stream's body after its final event, apart from the caller: the seam between
the two clients for work that runs in the background.

A stream's loop ends at the run's final event (`run_done` or `error`), without waiting for the
server to end the body. The connection can go back to the pool only once the end of the body
(HTTP/1.1's last chunk) has been read: closing the response before that closes the connection,
and the next stream pays a TCP and a TLS handshake (issue 26). So the stream hands its body to
its pool (`AsyncPool.finish`), and `Finishing` reads the rest of it in the background:

- the end has already arrived, or arrives within `DRAIN_WITHIN`: the response is closed with
  its body read to the end, and httpcore keeps the connection for the next request;
- it does not (a server that holds the body open, pings, or sends more than `DRAIN_BYTES`):
  the response is closed unfinished, which closes the connection. Nothing is leaked, and a
  body that never ends costs its connection, never a task or a thread for longer than that.

The stream's place in the pool (its admission slot) is given back when the response is closed,
at the end of the drain, so the pool never hands out more connections than it has.

A new request of the same pool first waits, for at most `SETTLE_WITHIN`, for drains under way
(`asettled` / `settled`): a body whose end has arrived is finished in microseconds, and the
request then reuses its connection instead of opening another.

The async half runs a drain as an asyncio task or a trio system task (no nursery is needed, and
the task is cancelled when the run ends: the response is then closed); the blocking half runs
it in a daemon worker thread, and shuts the socket down at the deadline, which ends a read
blocked on it (`phoson._stream_closer.shutdown_socket`). `build_sync.py` maps each async name to its
twin.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol

import anyio

from ._logging import logger

if TYPE_CHECKING:
    import httpx

__all__ = ["DRAIN_BYTES", "DRAIN_WITHIN", "SETTLE_WITHIN", "AsyncClosable", "Closable", "Finishing"]


class AsyncClosable(Protocol):
    """What closes a finished stream's response (the stream's `_CloseWhenDropped`)."""

    async def aclose(self) -> None: ...


class Closable(Protocol):
    """The blocking twin of `AsyncClosable`."""

    def close(self) -> None: ...


#: How long after the final event the end of the body may take to arrive, in seconds, for the
#: connection to be kept. A server ends the body right after its final event (the same write,
#: or the next packet); one that has not after this is holding it open.
DRAIN_WITHIN = 0.25
#: How much body may still come after the final event (comments, pings) for the connection
#: to be kept; more, and it is closed.
DRAIN_BYTES = 64 * 1024
#: How long a new request of a pool waits for that pool's drains under way, in seconds.
SETTLE_WITHIN = 0.02


class Finishing:
    """The stream bodies of one pool being finished in the background, and a wait for them.

    `count` is the number under way. The async half belongs to one event loop (its pool's), the
    blocking half is shared by threads.
    """

    __slots__ = ("_cond", "_draining", "_idle", "_tasks", "count")

    def __init__(self) -> None:
        self.count = 0
        self._idle: anyio.Event | None = None  # the async half: set when `count` drops to 0
        self._tasks: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references
        self._cond = threading.Condition()  # the blocking half
        #: The blocking half's responses being drained (`interrupt` shuts their sockets).
        self._draining: set[httpx.Response] = set()

    # -- The async half ------------------------------------------------------------------------

    def astart(
        self,
        chunks: AsyncIterator[bytes],
        closer: AsyncClosable,
        response: httpx.Response | None = None,
    ) -> None:
        """Read the rest of `chunks` (a body whose final event was read) in the background for
        at most `DRAIN_WITHIN` s, then close the response (closing `closer`, whose `finally`
        does it)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio: trio (the only other loop the client runs on)
            trio = sys.modules["trio"]
            trio.lowlevel.spawn_system_task(self._adrain, chunks, closer)
            self.count += 1
            return
        task = loop.create_task(self._adrain(chunks, closer))
        self.count += 1
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _adrain(self, chunks: AsyncIterator[bytes], closer: AsyncClosable) -> None:
        try:
            with anyio.move_on_after(DRAIN_WITHIN):
                size = 0
                while size <= DRAIN_BYTES:
                    try:
                        size += len(await chunks.__anext__())
                    except StopAsyncIteration:
                        break
        except Exception as exc:  # the connection broke, or its pool was closed: it is gone
            logger.debug("phoson: reading the end of a stream's body failed: %r", exc)
        finally:
            try:
                with anyio.CancelScope(shield=True):
                    await _aclose_quietly(chunks, closer)
            finally:
                self.count -= 1
                if not self.count:
                    idle, self._idle = self._idle, None
                    if idle is not None:
                        idle.set()

    async def asettled(self, within: float) -> None:
        """Wait until no drain is under way, for at most `within` seconds."""
        if not self.count:
            return
        if self._idle is None:
            self._idle = anyio.Event()
        with anyio.move_on_after(within):
            await self._idle.wait()

    # -- The blocking half ---------------------------------------------------------------------

    def start(
        self,
        chunks: Iterator[bytes],
        closer: Closable,
        response: httpx.Response | None = None,
    ) -> None:
        """Read the rest of `chunks` in a worker thread for at most `DRAIN_WITHIN` s (the socket
        of `response` is shut down at the deadline), then close the response."""
        with self._cond:
            self.count += 1
            if response is not None:
                self._draining.add(response)
        _WORKERS.submit(partial(_drain, chunks, closer, response), partial(self._drained, response))

    def _drained(self, response: httpx.Response | None) -> None:
        with self._cond:
            if response is not None:
                self._draining.discard(response)
            self.count -= 1
            if not self.count:
                self._cond.notify_all()

    def interrupt(self) -> None:
        """The pool is closing: end the blocking half's drains now (their sockets are shut
        down; closing a socket would not wake a thread blocked reading it). The async half's
        reads end when the pool closes their connections."""
        with self._cond:
            draining = list(self._draining)
        from ._stream_closer import shutdown_socket, socket_of

        for response in draining:
            shutdown_socket(socket_of(response))

    def settled(self, within: float) -> None:
        """Wait until no drain is under way, for at most `within` seconds."""
        if not self.count:
            return
        with self._cond:
            self._cond.wait_for(lambda: not self.count, within)


def _drain(
    chunks: Iterator[bytes],
    closer: Closable,
    response: httpx.Response | None,
) -> None:
    """The blocking half's drain, in a worker thread (see `Finishing.start`)."""
    deadline = time.monotonic() + DRAIN_WITHIN
    alarm = _ALARMS.set(deadline, response) if response is not None else None
    try:
        size = 0
        # (`next`, not `for`: `for` would call `__iter__`, which starts a body afresh)
        while size <= DRAIN_BYTES and time.monotonic() < deadline:
            chunk = next(chunks, None)
            if chunk is None:
                break
            size += len(chunk)
    except Exception as exc:  # broke, timed out (socket shut down), or the pool closed
        logger.debug("phoson: reading the end of a stream's body failed: %r", exc)
    finally:
        if alarm is not None:
            _ALARMS.cancel(alarm)
        _close_quietly(chunks, closer)


async def _aclose_quietly(chunks: AsyncIterator[bytes], closer: AsyncClosable) -> None:
    try:
        if isinstance(chunks, AsyncGenerator):
            await chunks.aclose()
    except Exception:
        pass  # the connection broke while closing: it is gone either way
    finally:
        await closer.aclose()  # closes the response: the connection is kept if it was read


def _close_quietly(chunks: Iterator[bytes], closer: Closable) -> None:
    try:
        if isinstance(chunks, Generator):
            chunks.close()
    except Exception:
        pass
    finally:
        closer.close()


class _Workers:
    """Daemon threads for the blocking half's drains. A worker that takes a job when no other
    is idle starts a spare first, so the caller (a stream's loop at its final event) finds an
    idle worker and never waits for a thread to start; a worker idle `IDLE_EXIT` seconds ends
    unless it is the last idle one. Started afresh in a forked child."""

    IDLE_EXIT = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], None], Callable[[], None]]] = (
            queue.SimpleQueue()
        )
        self._idle = 0  # workers waiting for a job, or started to wait for one

    def submit(self, job: Callable[[], None], then: Callable[[], None]) -> None:
        """Run `job`, then `then` (once the worker holds no reference to the job)."""
        with self._lock:
            start = self._idle == 0  # only for the first job, or a burst beyond the spares
            if not start:
                self._idle -= 1
        self._jobs.put((job, then))
        if start:
            self._start()

    def _start(self) -> None:
        threading.Thread(target=self._work, name="phoson-finish", daemon=True).start()

    def _work(self) -> None:
        jobs = self._jobs
        item: tuple[Callable[[], None], Callable[[], None]] | None = jobs.get()
        while item is not None:
            with self._lock:
                spare = self._idle == 0
                if spare:
                    self._idle += 1
            if spare:
                self._start()
            job, then = item
            item = None
            try:
                job()
            except BaseException as exc:  # a worker never dies of a job
                logger.debug("phoson: finishing a stream's body failed: %r", exc)
            finally:
                del job  # the response goes with it, before anyone is told it is done
                then()
                del then
            with self._lock:
                self._idle += 1
            while item is None:
                try:
                    item = jobs.get(timeout=self.IDLE_EXIT)
                except queue.Empty:
                    with self._lock:
                        if self._idle > 1 and jobs.empty():
                            self._idle -= 1
                            return


class _Alarms:
    """One daemon thread that shuts a response's socket down at its deadline (a blocked read
    on it then ends), unless the alarm was cancelled first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, httpx.Response]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def set(self, deadline: float, response: httpx.Response) -> int:
        alarm = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (deadline, alarm, response))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="phoson-alarm", daemon=True)
                self._thread.start()
            self._cond.notify()
        return alarm

    def cancel(self, alarm: int) -> None:
        """Call it off, if it has not gone off yet, and let go of its response. (If it has gone
        off, the socket was shut down after the body ended, at worst: httpcore then finds the
        idle connection readable, so expired, and opens another rather than use it.)"""
        with self._cond:
            heap = self._heap
            for index, entry in enumerate(heap):
                if entry[1] == alarm:
                    heap[index] = heap[-1]
                    heap.pop()
                    heapq.heapify(heap)
                    return

    def _run(self) -> None:
        from ._stream_closer import shutdown_socket, socket_of

        cond = self._cond
        while True:
            with cond:
                while not self._heap:
                    cond.wait()
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    cond.wait(wait)  # (holding no response meanwhile: see `cancel`)
                    continue
                response = heapq.heappop(self._heap)[2]
            shutdown_socket(socket_of(response))
            del response


_WORKERS = _Workers()
_ALARMS = _Alarms()


def _after_fork_in_child() -> None:
    global _WORKERS, _ALARMS
    _WORKERS, _ALARMS = _Workers(), _Alarms()  # the parent's threads do not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
