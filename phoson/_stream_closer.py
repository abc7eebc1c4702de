"""How `close()` reaches a stream's reader, from another task or thread.

A stream has one reader (the code iterating it) and may be closed from anywhere: a Stop
button's task, a watchdog thread, the reader itself. `StreamCloser` is a seam between the two
clients, like `phoson._sleep`: the async client uses its `async with` half, the blocking client
(which unasync generates, turning `async with` into `with`) its `with` half.

- The reader holds the closer while it touches the connection (reads a chunk, swaps or closes the
  response); `close()` holds it while it closes. So the httpx objects of a stream are used by
  one party at a time, whoever calls `close()`.
- `close()` first calls `interrupt()`: it sets `closing` (the reader checks it after every
  wait) and ends the wait the reader is in. Async: it cancels the reader's cancel scope (a
  read, a request being sent, a reconnect wait). Blocking: it sets the wake event (a reconnect
  wait) and shuts the socket down, which wakes a thread blocked in `recv` (closing a socket
  from another thread does not).
"""

from __future__ import annotations

import socket
import threading
from asyncio.trsock import TransportSocket
from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

import anyio

from . import _sleep

if TYPE_CHECKING:
    import httpx

__all__ = [
    "WAIT_WATCHER",
    "Shielded",
    "StreamCloser",
    "WaitInterrupted",
    "WaitWatcher",
    "WakeOnClose",
    "shutdown_socket",
    "socket_of",
]


class WaitInterrupted(Exception):
    """The thread's stream was closed from elsewhere while it waited (for a slot, say)."""


class WaitWatcher(Protocol):
    """What a blocking stream offers a thread waiting on its behalf (for a slot in the pool):
    `close()` from another thread calls `stop` (at once, if the stream is closing already)."""

    def watch(self, stop: Callable[[], None] | None) -> None: ...


#: The watcher of the stream this thread is opening (set by the stream around its request).
#: The coroutine client needs none: closing cancels the waiting task's scope instead.
WAIT_WATCHER: ContextVar[WaitWatcher | None] = ContextVar("phoson_wait_watcher", default=None)


class StreamCloser:
    """Mutual exclusion between a stream's reader and `close()`, and the way to wake the reader."""

    __slots__ = ("_busy", "_idle", "_lock", "_scope", "_stop_wait", "_wake", "closing")

    def __init__(self) -> None:
        #: True once `interrupt()` (so `close()`) or `stop()` was called: the reader stops at
        #: its next check. Read it afresh after every wait: another task or thread may set it
        #: at any await. (An attribute rather than a method: the reader checks it three times
        #: a chunk.)
        self.closing = False
        self._lock = threading.Lock()  # the blocking half
        # Ends a blocking reconnect wait; made by the first such wait (`sleep`), as most streams
        # never wait and a `threading.Event` costs about 1 KiB.
        self._wake: threading.Event | None = None
        self._busy = False  # the async half: held, and an event for whoever waits
        self._idle: anyio.Event | None = None
        self._scope: anyio.CancelScope | None = None  # the async reader's current wait
        self._stop_wait: Callable[[], None] | None = None  # ends a blocking wait for a place

    def stop(self) -> None:
        """Mark the stream as closing without waking anyone (the reader itself gives up)."""
        self.closing = True

    # -- The async half: `async with closer:` ---------------------------------------------------

    async def __aenter__(self) -> None:
        while self._busy:
            if self._idle is None:
                self._idle = anyio.Event()
            await self._idle.wait()
        self._busy = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.arelease()

    # The reader's hold for one chunk, as `try_hold()` (or `hold()`), then `release()`: the
    # same as the `with` forms, in plain calls. The `async with` protocol costs two coroutines
    # a chunk, about 3,700 instructions, most of one event's overhead over raw httpx.

    def atry_hold(self) -> bool:
        """The async half: take it if it is free (it usually is); False if it is not."""
        if self._busy:
            return False
        self._busy = True
        return True

    async def ahold(self) -> None:
        """The async half: wait until it is free, and take it."""
        await self.__aenter__()

    def arelease(self) -> None:
        self._busy = False
        idle, self._idle = self._idle, None
        if idle is not None:
            idle.set()

    # -- The blocking half: `with closer:` ------------------------------------------------------

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()

    def try_hold(self) -> bool:
        """The blocking half: take it if it is free; False if it is not."""
        return self._lock.acquire(blocking=False)

    def hold(self) -> None:
        """The blocking half: wait until it is free, and take it."""
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()

    # -- Waking the reader --------------------------------------------------------------------

    def wake_on_close(self) -> WakeOnClose:
        """`async with closer.wake_on_close():` around a wait that `interrupt()` may end early
        (the async client; the blocking client's `with` is a no-op)."""
        return WakeOnClose(self)

    def wake_for_read(self, response: httpx.Response | None) -> WakeOnClose | None:
        """What to wrap a read of the response's body in, so that `interrupt()` ends it: None
        when the response has a socket, which `interrupt()` shuts down (the reader holds the
        closer while it reads), so no cancel scope is needed: one per chunk would cost the async
        client about 10 µs an event. A response without a socket (an in-process transport)
        gets the cancel scope.
        """
        if response is not None and socket_of(response) is not None:
            return None
        return WakeOnClose(self)

    def shielded(self) -> Shielded:
        """`async with closer.shielded():` around closing, so that a cancelled task still gives
        its connection back (async client; closing a socket does not wait on the network)."""
        return Shielded()

    def watch(self, stop: Callable[[], None] | None) -> None:
        """While the blocking reader waits for a place in the pool: `stop` ends that wait
        (`close()` calls it; at once if the stream is closing already). None: the wait is over.
        """
        self._stop_wait = stop
        if stop is not None and self.closing:
            stop()

    def interrupt(self, response: httpx.Response | None) -> None:
        """Mark the stream as closing and end the reader's current wait, if any."""
        self.closing = True
        wake = self._wake
        if wake is not None:
            wake.set()
        stop = self._stop_wait
        if stop is not None:
            stop()
        scope = self._scope
        if scope is not None:
            scope.cancel()
        if response is not None and (self._lock.locked() or self._busy):
            # The reader holds the closer: it may be waiting for bytes on this socket.
            shutdown_socket(response)

    async def asleep(self, seconds: float) -> None:
        """Wait before a reconnect; `interrupt()` ends the wait early."""
        async with self.wake_on_close():
            await _sleep.asleep(seconds)

    def sleep(self, seconds: float) -> None:
        """Wait before a reconnect; `interrupt()` ends the wait early."""
        wake = self._wake
        if wake is None:
            self._wake = wake = threading.Event()
            # `interrupt()` from another thread sets `closing` before it reads `_wake`: if it
            # read None, `closing` is already true here.
            if self.closing:
                wake.set()
        _sleep.sleep(seconds, until=wake)


class WakeOnClose:
    """A cancel scope that `StreamCloser.interrupt()` cancels; swallows only its own cancel."""

    __slots__ = ("_closer", "_scope", "_watching")

    def __init__(self, closer: StreamCloser) -> None:
        self._closer = closer
        self._scope: anyio.CancelScope | None = None
        self._watching: Token[WaitWatcher | None] | None = None

    async def __aenter__(self) -> None:
        scope = anyio.CancelScope()
        if self._closer.closing:
            scope.cancel()
        scope.__enter__()
        self._scope = self._closer._scope = scope

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        scope, self._scope = self._scope, None
        self._closer._scope = None
        assert scope is not None
        return bool(scope.__exit__(exc_type, exc, tb))

    def __enter__(self) -> None:
        # A blocked read is woken by the socket shutdown; a wait for a place in the pool
        # (`_slots.SlotQueue`) by `StreamCloser.watch`, found through this variable.
        self._watching = WAIT_WATCHER.set(self._closer)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        token, self._watching = self._watching, None
        if token is not None:
            WAIT_WATCHER.reset(token)
        # Swallows only the end of a wait that `close()` interrupted, as the async half
        # swallows its own cancellation.
        return exc_type is None or (exc_type is WaitInterrupted and self._closer.closing)


class Shielded:
    """A cancel scope that shields what it wraps from cancellation (a no-op when blocking)."""

    __slots__ = ("_scope",)

    def __init__(self) -> None:
        self._scope: anyio.CancelScope | None = None

    async def __aenter__(self) -> None:
        self._scope = anyio.CancelScope(shield=True)
        self._scope.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope, self._scope = self._scope, None
        assert scope is not None
        scope.__exit__(exc_type, exc, tb)

    def __enter__(self) -> None:
        pass

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass


def socket_of(response: httpx.Response) -> socket.socket | TransportSocket | None:
    """The socket the response is read from, if it has one (httpcore's network stream): a
    plain socket (threads, trio) or asyncio's wrapper of one."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket | TransportSocket):
        return sock
    return None


def shutdown_socket(response: httpx.Response) -> None:
    """Shut the response's socket down (both ways), so a task or thread blocked reading it
    wakes up."""
    sock = socket_of(response)
    try:
        if isinstance(sock, socket.socket):
            # The plain socket's method: on a TLS socket, this leaves the TLS object alone.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        elif sock is not None:
            sock.shutdown(socket.SHUT_RDWR)  # asyncio's: TLS lives above it, in the loop
    except OSError:
        pass  # already closed: nothing is blocked on it
