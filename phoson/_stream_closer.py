"""How `close()` reaches a stream's reader, from another task, thread or signal handler.

A stream has one reader (the code iterating it) and may be closed from anywhere: a Stop
button's task, a watchdog thread, a SIGTERM handler, the reader itself. `StreamCloser` is a
seam between the two clients, like `phoson._sleep`: the async client uses its `async with`
half, the blocking client (which unasync generates, turning `async with` into `with`) its
`with` half.

- The reader holds the closer while it touches the connection (reads a chunk, swaps or closes
  the response); `close()` holds it while it closes. So the httpx objects of a stream are used
  by one party at a time, whoever calls `close()`. A signal handler that interrupted the
  reader in its own thread cannot wait for it: `close()` sees that (`held_here`), ends the
  wait, and leaves the closing to the reader.
- `close()` first calls `interrupt()`: it sets `closing` (the reader checks it after every
  wait) and ends the wait the reader is in. Async: it cancels the reader's cancel scope
  (`WakeOnClose`: a read, a request being sent with its retry waits, a reconnect wait).
  Blocking: it calls the stop function of the wait under way (`watch`: a wait for a slot or a
  turn to connect, for the answer's headers, before a retry or a reconnect), and wakes a read
  of the body (`wake_reader`: shuts the socket down, which wakes a thread blocked in `recv`,
  where closing a socket from another thread does not; or the in-process transport's
  `WAKE_READER`). A TCP connect under way is the one wait it does not end (the connect
  timeout does).
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
    "WAKE_READER",
    "Shielded",
    "StreamCloser",
    "WaitInterrupted",
    "WaitWatcher",
    "Wake",
    "WakeOnClose",
    "shutdown_socket",
    "socket_of",
    "wake_reader",
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

    __slots__ = ("_busy", "_idle", "_is_mine", "_lock", "_scope", "_stop_wait", "closing")

    def __init__(self) -> None:
        #: True once `interrupt()` (so `close()`) or `stop()` was called: the reader stops at
        #: its next check. Read it afresh after every wait: another task or thread may set it
        #: at any await. (An attribute rather than a method: the reader checks it three times
        #: a chunk.)
        self.closing: bool = False
        # The blocking half. Reentrant only so that `close()` can tell, without blocking,
        # that this very thread holds it: a signal handler that interrupted the reader.
        self._lock = threading.RLock()
        self._is_mine: Callable[[], bool] = self._lock._is_owned  # type: ignore[attr-defined]
        self._busy = False  # the async half: held, and an event for whoever waits
        self._idle: anyio.Event | None = None
        self._scope: anyio.CancelScope | None = None  # the async reader's current wait
        #: Ends the blocking reader's current wait (for a place in the pool, for an answer's
        #: headers, before a retry or a reconnect): see `watch`.
        self._stop_wait: Callable[[], None] | None = None

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

    # -- Whether the reader was interrupted in this very thread -------------------------------

    def aheld_here(self) -> bool:
        """Never, in the async half: a task that holds it cannot be running `close()`."""
        return False

    def held_here(self) -> bool:
        """True when this thread holds it: `close()` was called by a signal handler that
        interrupted the reader. Waiting for the reader would deadlock; `close()` leaves the
        closing of the response to the reader, whose wait it ends."""
        return self._is_mine()

    def _reader_holds(self) -> bool:
        if self._busy or self._is_mine():
            return True
        if self._lock.acquire(blocking=False):
            self._lock.release()
            return False
        return True

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
        """While the blocking reader waits (for a place in the pool, for the answer's headers,
        before a retry or a reconnect): `stop` ends that wait (`close()` calls it; at once if
        the stream is closing already). None: the wait is over.
        """
        self._stop_wait = stop
        if stop is not None and self.closing:
            stop()

    def interrupt(self, response: httpx.Response | None) -> None:
        """Mark the stream as closing and end the reader's current wait, if any."""
        self.closing = True
        stop = self._stop_wait
        if stop is not None:
            stop()
        scope = self._scope
        if scope is not None:
            scope.cancel()
        if response is not None and self._reader_holds():
            # The reader holds the closer: it may be waiting for bytes of this response.
            wake_reader(response)

    async def apause(self, seconds: float) -> None:
        """Wait inside `wake_on_close()` (a retry while opening): its scope ends the wait."""
        await _sleep.asleep(seconds)

    def pause(self, seconds: float) -> None:
        """Wait inside `wake_on_close()` (a retry while opening); `interrupt()` ends it."""
        self.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """Wait before a reconnect; `interrupt()` ends the wait early."""
        async with self.wake_on_close():
            await _sleep.asleep(seconds)

    def sleep(self, seconds: float) -> None:
        """Wait before a reconnect or a retry; `interrupt()` ends the wait early."""
        wake = Wake()
        self.watch(wake.set)  # (set at once if the stream is closing already)
        try:
            _sleep.sleep(seconds, until=wake)
        finally:
            self.watch(None)


class Wake:
    """A wake-up for a waiting thread that any thread, or a signal handler, may give: a bare
    lock, released once, where a `threading.Event` would take a second lock that the
    interrupted thread may hold."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        try:
            self._lock.release()
        except RuntimeError:
            pass  # given already

    def wait(self, timeout: float | None = None) -> bool:
        """Block until woken (True) or `timeout` seconds pass (False)."""
        woken = self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0))
        if woken:
            self._lock.release()  # it stays given, for any later wait
        return woken


class WakeOnClose:
    """Around a wait that `close()` ends. Async: a cancel scope that `interrupt()` cancels.
    Blocking: makes the stream the one this thread's waits report to (`WAIT_WATCHER`), so that
    `interrupt()` can stop them. Either swallows only the end of a wait that `close()` caused."""

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
        if exc_type is WaitInterrupted and self._closer.closing:
            scope.__exit__(None, None, None)
            return True  # a wait that saw the stream closing (and raised rather than wait)
        return bool(scope.__exit__(exc_type, exc, tb))

    def __enter__(self) -> None:
        # A blocked read of the body is woken by `wake_reader`; the waits of a request being
        # sent by `StreamCloser.watch`, which each of them finds through this variable: for a
        # place in the pool (`_slots.SlotQueue`), for a turn to connect, for the answer's
        # headers (the connection's socket, `_pool._WatchedStream`), before a retry.
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


#: A response extension that an in-process transport (`phoson.testing`) may set: a function
#: that wakes a thread blocked reading the response's body, as shutting a socket down does.
WAKE_READER = "phoson.wake_reader"


def wake_reader(response: httpx.Response) -> None:
    """Wake a task or thread blocked reading the response: shut its socket down, or call the
    transport's `WAKE_READER` when it has no socket."""
    wake = response.extensions.get(WAKE_READER)
    if wake is not None:
        wake()
    else:
        shutdown_socket(socket_of(response))


def shutdown_socket(sock: socket.socket | TransportSocket | None) -> None:
    """Shut the socket down (both ways), so a task or thread blocked on it wakes up."""
    try:
        if isinstance(sock, socket.socket):
            # The plain socket's method: on a TLS socket, this leaves the TLS object alone.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        elif sock is not None:
            sock.shutdown(socket.SHUT_RDWR)  # asyncio's: TLS lives above it, in the loop
    except OSError:
        pass  # already closed: nothing is blocked on it
