"""The connection pool that a client and its `with_options` copies share, and its lifetime.

The pool holds the `httpx` client (and so the connections) and the slot queue in
front of it. docs/scaling.md explains the design; in short:

- **Owner.** Connections belong to what opened them: an event loop for the coroutine client,
  the process for the blocking one (`phoson._ownership.current_owner`). The pool keeps one set
  of connections (and slot queue) per event loop: several loops may use one client at the same
  time (threads each running an event loop of their own, `async_to_sync`), and none touches
  another's connections. A loop's connections are closed in that loop as it ends.
- **Fork.** In the child of `os.fork()` the pool starts afresh as well: the child never reads,
  writes or closes the parent's connections (closing a TLS connection writes to the socket
  both processes share); it only lets go of its copies of their file descriptors. A stream
  opened before the fork cannot be read in the child.
- **Shards.** The connections are split among `httpx` clients of at most `SHARD_SIZE` (100)
  each, made when first needed: httpcore's work per request grows with the connections of its
  pool, so ten pools of 100 cost a tenth of one of 1,000 (docs/scaling.md has the figures).
- **Connects.** At most `CONNECTS_AT_ONCE` (256) connections of a pool are being opened at a
  time; the other new connections wait their turn, within their connect timeout. A burst of
  thousands of streams then neither floods the server's accept queue with connection attempts
  nor holds thousands of half-open connections' working memory at the same moment.
- **Admission.** At most `max_connections` requests are inside httpx's pool at once; the others
  wait in FIFO order in `phoson._slots` and are admitted one by one as connections come
  back. A wait longer than the pool timeout raises `PhosonTimeoutError` saying the pool is
  exhausted.
- **Closing.** `close()` closes the connections of the running loop (or of the process) now,
  and has every other live loop close its own; any later call raises `PhosonError` ("...
  client is closed ...").

A caller's own `http_client=` is used as it is: never renewed, never closed, never queued for a slot.
"""

from __future__ import annotations

import math
import os
import socket
import ssl
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Self, cast

import httpcore
import httpx

from .. import _ownership
from .._background import SETTLE_WITHIN, AsyncClosable, Finishing
from .._exceptions import PhosonError, PhosonResponseValidationError
from .._logging import logger
from .._memory_tls import aopen_tls
from .._slots import AsyncSlotQueue, SlotsClosed, SlotTimeout
from .._stream_closer import WAIT_WATCHER, shutdown_socket
from .._streaming import is_event_stream
from .._tls_records import take_received
from .._types import DEFAULT_LIMITS

if TYPE_CHECKING:
    _NetworkStream = httpcore.AsyncNetworkStream

__all__ = ["AsyncPool", "client_closed_error"]

#: Connections per `httpx` client of a pool (see the pool class): httpcore's per-request work
#: grows with the connections of one client.
SHARD_SIZE = 100
#: Connections of a pool being opened (TCP connect) at once; more wait their turn. Below the
#: accept queue of common servers (nginx's default is 511), and enough to keep a burst as fast
#: as opening them all at once (docs/scaling.md has the measurements).
CONNECTS_AT_ONCE = 256
#: The owner of connections that have sent nothing yet: the first request's event loop adopts
#: them.
_UNBOUND = object()
#: The owner of connections inherited across `os.fork()`, or whose loop has ended: they are
#: replaced before their next use.
_GONE = object()


def client_closed_error() -> PhosonError:
    return PhosonError(
        "this client is closed: close() (or the end of its `with` block) released its "
        "connections; create a new client, or call close() only when you are done with it"
    )


class _Shard:
    """One `httpx` client of a pool, how many requests use its connections now, and the turns
    its new connections take (shared by the shards of one pool and event loop)."""

    __slots__ = ("capacity", "connect_turns", "http", "in_use")

    def __init__(
        self, http: httpx.AsyncClient, capacity: int, connect_turns: AsyncSlotQueue | None
    ) -> None:
        self.http = http
        self.capacity = capacity
        self.connect_turns = connect_turns
        self.in_use = 0


class _Connections:
    """A pool's `httpx` clients (shards) and slot queue in one event loop (or, for the blocking
    client, in the process)."""

    __slots__ = ("finishing", "hooked", "owner", "shards", "slots")

    def __init__(self, owner: object, shards: list[_Shard], slots: AsyncSlotQueue | None) -> None:
        self.owner = owner
        self.shards = shards
        self.slots = slots
        self.hooked = False  # closed at its loop's end (`_ownership.aclose_at_loop_end`)
        #: Stream bodies being read to their end after their final event (the pool's `finish`).
        self.finishing = Finishing()


class AsyncPool:
    """The `httpx` clients and the slot queue of one client and its `with_options` copies.

    The pool's connections are split into shards of at most `SHARD_SIZE`, one `httpx` client
    each: httpcore scans every connection of its pool on every request and response, so a
    1,000-connection pool costs 10 times the CPU per request of ten 100-connection ones. A
    request goes to the first shard with a free connection (so a light load uses, and reuses,
    the first shard's connections only); shards are created when first needed.
    """

    def __init__(
        self,
        timeout: httpx.Timeout,
        *,
        limits: httpx.Limits | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._timeout = timeout
        self._limits = limits or DEFAULT_LIMITS
        self._own_http = http_client is None
        self._lock = threading.Lock()
        self._given = http_client
        self._ssl_context: ssl.SSLContext | None = None
        #: The connections of the loop that sent last (checked first: usually the only one).
        self._current = self._new_connections(_UNBOUND)
        #: Every event loop's connections (one entry for the blocking client).
        self._by_owner: dict[object, _Connections] = {}
        self._forked = False
        self.closed: bool = False
        _ownership.call_after_fork(self)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The current (first) `httpx` client: the one a request from this loop would use."""
        return self._current.shards[0].http

    @property
    def slots(self) -> AsyncSlotQueue | None:
        """The current slot queue (None for a caller's `http_client=`)."""
        return self._current.slots

    def _new_connections(self, owner: object) -> _Connections:
        """A fresh first shard and slot queue (a caller's client is its own only shard, with
        no queue)."""
        if self._given is not None:
            return _Connections(owner, [_Shard(self._given, 0, None)], None)
        slots = self._limits.max_connections
        queue = AsyncSlotQueue(slots) if slots else None
        return _Connections(owner, [self._new_shard(0, AsyncSlotQueue(CONNECTS_AT_ONCE))], queue)

    def _new_shard(self, index: int, connect_turns: AsyncSlotQueue) -> _Shard:
        limits = self._limits
        total = limits.max_connections
        if total is None:  # no limit: one shard, no slot queue
            return _Shard(self._new_http(limits, None, connect_turns), 0, connect_turns)
        capacity = min(SHARD_SIZE, total - index * SHARD_SIZE)
        keepalive = limits.max_keepalive_connections
        if keepalive is not None:  # each shard keeps its share of the idle connections
            keepalive = math.ceil(keepalive * capacity / total)
        shard_limits = httpx.Limits(
            max_connections=capacity,
            max_keepalive_connections=keepalive,
            keepalive_expiry=limits.keepalive_expiry,
        )
        if index and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()  # one for every later shard
        context = self._ssl_context if index else None
        return _Shard(self._new_http(shard_limits, context, connect_turns), capacity, connect_turns)

    def _new_http(
        self,
        limits: httpx.Limits,
        context: ssl.SSLContext | None,
        connect_turns: AsyncSlotQueue,
    ) -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            timeout=self._timeout,
            limits=limits,
            follow_redirects=False,
            verify=context if context is not None else True,
        )
        _pace_connects(http, connect_turns)
        return http

    def _bind(self) -> _Connections:
        """The connections for a request from the running loop: made at its first request, or
        renewed after a fork or after that loop ended."""
        if self.closed:
            raise client_closed_error()
        owner = _ownership.acurrent_owner()
        current = self._current
        if current.owner is owner:
            return current
        with self._lock:
            if not self._own_http:
                # A caller's client cannot be re-created: use it as it is (docs/scaling.md).
                if self._forked:
                    self._forked = False
                    logger.warning(
                        "phoson: the http_client= given to this client was created before "
                        "os.fork(); the two processes now share its connections. Create "
                        "the httpx client after the fork, or let phoson create it."
                    )
                current.owner = owner
                return current
            found = self._by_owner.get(owner)
            if found is None:
                if current.owner is _UNBOUND:
                    found = current  # the first request adopts the connections made up front
                    found.owner = owner
                else:
                    why = "after os.fork()" if self._forked else "for another event loop"
                    logger.debug("phoson: new connections %s", why)
                    found = self._new_connections(owner)
                self._by_owner[owner] = found
            self._current = found
            return found

    async def aclose_for_loop(self, owner: object) -> None:
        """The event loop `owner` is ending: close its connections, in it."""
        with self._lock:
            connections = self._by_owner.pop(owner, None)
        if connections is not None:
            connections.owner = _GONE  # (the loop object might run again: renew them then)
            await _close_all(connections.shards)

    def forget_loop(self, owner: object) -> None:
        """The event loop `owner` was closed without closing its connections: drop them
        untouched (that loop can no longer run their clean-up)."""
        with self._lock:
            connections = self._by_owner.pop(owner, None)
        if connections is not None:
            connections.owner = _GONE

    def after_fork_in_child(self) -> None:
        """Called in the child of `os.fork()`: forget the parent's connections, letting go of
        the child's copies of their sockets without a byte written (`_let_go`)."""
        self._lock = threading.Lock()  # another thread of the parent may have held it
        self._forked = True
        if not self._own_http:
            return  # the caller's: left as they are (a warning says so at the next request)
        inherited = [*self._by_owner.values(), self._current]
        self._by_owner = {}
        self._current.owner = _GONE
        for connections in inherited:
            for shard in connections.shards:
                _let_go(shard.http)

    def _take_shard(self, shards: list[_Shard]) -> _Shard:
        """Count a request in the first shard with a free connection, created if need be.

        The slot queue admits no more requests than all shards together hold, so one always has
        room. The count is kept under the pool's lock: the blocking client's threads take
        and give back places at the same time.
        """
        with self._lock:
            for shard in shards:
                if shard.in_use < shard.capacity:
                    break
            else:
                connect_turns = shards[0].connect_turns
                assert connect_turns is not None  # only a caller's client has none, and one shard
                shard = self._new_shard(len(shards), connect_turns)
                shards.append(shard)
            shard.in_use += 1
            return shard

    def _leave(self, slots: AsyncSlotQueue | None, shard: _Shard) -> None:
        """Give a request's place back: first to its shard, then to the queue, which may hand
        it at once to a waiting request (that request must find the shard's room free)."""
        if slots is not None:
            with self._lock:
                shard.in_use -= 1
            slots.give_back()

    async def send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send one request once (no retries) through the slot queue.

        A plain response (`stream=False`) is read and closed before it is returned, so its
        place in the pool is given back at once; a successful event stream is closed unread
        and refused (`PhosonResponseValidationError`). A streamed one keeps its place until its
        body is closed.
        """
        connections = self._bind()
        shards, slots = connections.shards, connections.slots
        if not connections.hooked and self._own_http:
            connections.hooked = True
            await _ownership.aclose_at_loop_end(self)
        if connections.finishing.count:
            # A stream of this pool ended a moment ago and its body's end is being read: give
            # it a moment, so that this request reuses its connection rather than opening one.
            await connections.finishing.asettled(SETTLE_WITHIN)
        # 1. Wait for a place in the pool (at once, unless every connection is in use).
        if slots is None:
            shard = shards[0]
        else:
            try:
                # A free place is taken without a coroutine (bench `calls`, default client).
                if not slots.try_take():
                    await slots.take(request.extensions.get("timeout", {}).get("pool"))
            except SlotTimeout:
                raise self._exhausted(request) from None
            except SlotsClosed:
                raise client_closed_error() from None
            shard = self._take_shard(shards)
        # 2. Send; give the place back when the response is done with the connection. (The
        #    headers first, in every case: a plain call's body is read only once they show it
        #    is not an event stream, which may never end.)
        try:
            response = await shard.http.send(request, stream=True, follow_redirects=False)
        except httpx.PoolTimeout:
            self._leave(slots, shard)
            raise self._exhausted(request) from None
        except BaseException:
            self._leave(slots, shard)
            raise
        finally:
            if stream:  # (only a stream being opened has a watcher: a plain call skips this)
                watcher = WAIT_WATCHER.get()
                if watcher is not None:
                    watcher.watch(None)  # the wait for the headers is over (`_WatchedStream`)
        if not stream:
            # 3. A plain call: read the body straight from httpx's stream (no `_PooledBody`:
            #    bench `calls`, about 4 µs a call) and give the place back. A successful event
            #    stream, which may never end, is closed unread and refused.
            refused = response.is_success and is_event_stream(
                response.headers.get("content-type", "")
            )
            try:
                if not refused:
                    await response.aread()  # (which closes the response at the body's end)
            finally:
                try:
                    if not response.is_closed:
                        await response.aclose()
                finally:
                    self._leave(slots, shard)
            if refused:
                raise _event_stream_for_plain_call(response)
            return response
        body = response.stream
        assert isinstance(body, httpx.AsyncByteStream)  # httpx's own, for a client's response
        response.stream = _PooledBody(body, partial(self._leave, slots, shard))
        return response

    def finish(
        self,
        response: httpx.Response,
        chunks: AsyncIterator[bytes],
        closer: AsyncClosable,
    ) -> None:
        """Take over a streamed response whose run has finished: read the rest of its body
        (`chunks`) in the background, for a moment, then close it (closing `closer` does). The
        connection comes back to the pool if the body ended, and is closed if it did not
        (`phoson._background`); the response's place in the pool is given back then. The
        drain counts among the running loop's (a request of that loop waits for it a moment)."""
        owner = _ownership.acurrent_owner()
        connections = self._current
        if connections.owner is not owner:
            connections = self._by_owner.get(owner) or connections
        connections.finishing.astart(chunks, closer, response)

    def _exhausted(self, request: httpx.Request) -> httpx.PoolTimeout:
        waited = request.extensions.get("timeout", {}).get("pool")
        within = f"within {waited:g} s" if waited is not None else "in time"
        if self._own_http:
            size = f"all {self._limits.max_connections} connections are in use"
            fix = "raise the limit with limits=httpx.Limits(max_connections=...) on the client"
        else:
            size = "every connection of the http_client= is in use"
            fix = "raise max_connections in the limits of the httpx client you passed"
        return httpx.PoolTimeout(
            f"no connection came free {within}: {size} (the connection pool is exhausted). "
            f"Close streams you no longer read, {fix}, or wait longer with "
            "timeout=httpx.Timeout(..., pool=seconds)",
            request=request,
        )

    async def close(self) -> None:
        """Close our `httpx` clients: this loop's now, every other live loop's in that loop,
        soon (a caller's are left open); idempotent. Requests waiting for a connection in
        this loop fail at once."""
        if self.closed:
            return
        self.closed = True
        owner = _ownership.acurrent_owner()
        with self._lock:
            everyone = list(self._by_owner.values())
            self._by_owner = {}
            if self._current.owner is _UNBOUND:
                everyone.append(self._current)
        for connections in everyone:
            if connections.owner is owner or connections.owner is _UNBOUND:
                if connections.slots is not None:
                    connections.slots.close()  # requests waiting for a connection fail at once
                connections.finishing.interrupt()  # bodies still read after their final event
                if self._own_http:
                    await _close_all(connections.shards)
            elif self._own_http:
                # Another event loop's, running in another thread: closed in that loop.
                _ownership.acall_soon(connections.owner, partial(_close_in_loop, connections))


async def _close_in_loop(connections: _Connections) -> None:
    if connections.slots is not None:
        connections.slots.close()
    connections.finishing.interrupt()
    await _close_all(connections.shards)


def _let_go(http: httpx.AsyncClient) -> None:
    """In a child process after `os.fork()`: close the child's copies of the file descriptors
    of the parent's connections in `http`, without a byte written (no TLS close, no shutdown:
    the parent's connections stay as they are), so that dropping them later neither touches
    the parent's sockets nor warns "unclosed socket". Reaches into httpcore's pool (httpx 0.28,
    httpcore 1, as `_pace_connects` does); whatever is not found is left to the collector."""
    pool: Any = getattr(getattr(http, "_transport", None), "_pool", None)
    for connection in list(getattr(pool, "_connections", ())):
        protocol = getattr(connection, "_connection", None)
        stream = getattr(protocol, "_network_stream", None)
        if stream is None:
            continue
        try:
            sock = stream.get_extra_info("socket")
        except Exception:  # pragma: no cover (a stream that cannot say)
            continue
        if isinstance(sock, socket.socket) and sock.fileno() >= 0:
            os.close(sock.detach())


def _event_stream_for_plain_call(response: httpx.Response) -> PhosonResponseValidationError:
    return PhosonResponseValidationError(
        "expected a JSON body but the server answered with an event stream (is the URL right?)",
        status_code=response.status_code,
        body="",
        request_id=response.headers.get("x-request-id"),
    )


def _pace_connects(http: httpx.AsyncClient, connect_turns: AsyncSlotQueue) -> None:
    """Put `_PacedConnects` in front of the network backend of `http`'s own transport.

    httpx takes no network backend argument, so this reaches into its transport's httpcore
    pool (private attributes of httpx 0.28 and httpcore 1, checked by tests/_async/
    test_pool.py); a transport without them is left as it is, its connects not paced.
    """
    pool: Any = getattr(getattr(http, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None:
        pool._network_backend = _PacedConnects(backend, connect_turns)


class _PacedConnects:
    """httpcore's network backend, opening at most `CONNECTS_AT_ONCE` connections of a pool at
    a time. Further connects wait in FIFO order, for at most their connect timeout: the wait
    and the connect together take no longer than the timeout the request was given."""

    __slots__ = ("_backend", "_turns")

    def __init__(self, backend: httpcore.AsyncNetworkBackend, turns: AsyncSlotQueue) -> None:
        self._backend = backend
        self._turns = turns

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # 1. Wait for a turn (at once, unless `CONNECTS_AT_ONCE` connects are under way).
        started = time.monotonic()
        try:
            await self._turns.take(timeout)
        except SlotTimeout:
            raise httpx.ConnectTimeout(
                f"no connection to {host}:{port} could be started within the connect timeout: "
                f"{CONNECTS_AT_ONCE} others of this client were being opened. Raise the "
                "timeout with timeout=httpx.Timeout(..., connect=seconds)"
            ) from None
        # 2. Connect, in what is left of the timeout; the turn passes on whatever happens.
        try:
            if timeout is not None:
                timeout = max(timeout - (time.monotonic() - started), 0.0)
            stream = await self._backend.connect_tcp(
                host,
                port,
                timeout=timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        finally:
            self._turns.give_back()
        return cast("_NetworkStream", _WatchedStream(stream))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _WatchedStream:
    """A connection's network stream whose writes let a blocking stream being opened end the
    wait for its answer's headers: each write hands the stream this thread is opening (the
    `WAIT_WATCHER` its `wake_on_close()` set; the blocking client only, so a no-op here) a way
    to shut this socket down, which `close()` from another thread calls.

    Reads go straight to the network stream's own method (an attribute of the instance): no
    extra call per chunk.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self.read = stream.read
        self.aclose = stream.aclose
        self.get_extra_info = stream.get_extra_info

    def write(self, buffer: bytes, timeout: float | None = None) -> Awaitable[None]:
        watcher = WAIT_WATCHER.get()
        if watcher is not None:
            watcher.watch(partial(_shut_down, self._stream))
        return self._stream.write(buffer, timeout)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await aopen_tls(self._stream, ssl_context, server_hostname, timeout)
        ssl_object = tls.get_extra_info("ssl_object")
        if isinstance(ssl_object, ssl.SSLObject):
            return cast("_NetworkStream", _WatchedTLSStream(tls, ssl_object))
        return cast("_NetworkStream", _WatchedStream(tls))


class _WatchedTLSStream(_WatchedStream):
    """A `_WatchedStream` whose TLS runs over in-memory buffers (an `ssl.SSLObject`: the
    event-loop backends' own TLS streams, and the blocking client's `MemoryTLSStream`, see
    `phoson._memory_tls`). Its reads:

    - take the records that arrived with the one read (`phoson._tls_records`): a burst of
      events costs one trip through the read path instead of one an event (bench `realnet`);
    - raise the TLS layer's errors (a record that does not decrypt, an alert) as httpcore's
      `ReadError`, as its other backends do (its default event-loop backend lets the
      `ssl.SSLError` through as it is): a broken connection, which a stream resumes from and
      a call retries, never a bare `ssl.SSLError`. Writes likewise, as `WriteError`.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream, ssl_object: ssl.SSLObject) -> None:
        super().__init__(stream)
        self._ssl_object = ssl_object
        #: An error met after the records a read returned: the next read raises it.
        self._failure: ssl.SSLError | None = None
        self.read = self._read

    async def _read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # 1. An error met while taking the last read's records: the connection is broken.
        failure, self._failure = self._failure, None
        if failure is not None:
            raise httpcore.ReadError(str(failure)) from failure
        # 2. Read (wait for the next bytes), then take the records already received with them.
        try:
            data = await self._stream.read(max_bytes, timeout)
        except ssl.SSLError as exc:
            raise httpcore.ReadError(str(exc)) from exc
        if data:
            data, self._failure = take_received(self._ssl_object, data, max_bytes)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            await super().write(buffer, timeout)
        except ssl.SSLError as exc:
            raise httpcore.WriteError(str(exc)) from exc


def _shut_down(stream: httpcore.AsyncNetworkStream) -> None:
    shutdown_socket(stream.get_extra_info("socket"))


async def _close_all(shards: list[_Shard]) -> None:
    for shard in shards:
        await shard.http.aclose()


class _PooledBody(httpx.AsyncByteStream):
    """A streamed response's body that gives its place in the pool back when it is closed,
    and that a forked child refuses to read or close (the connection is the parent's).

    Closing it also lets go of httpx's body, which refers back to the response: without that
    cycle, a closed stream's connection (socket, buffers) is freed as soon as the response is
    dropped, instead of waiting for the garbage collector (issue 15: flat memory over many
    streams).
    """

    __slots__ = ("_body", "_chunks", "_generation", "_release")

    def __init__(self, body: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._body: httpx.AsyncByteStream | None = body
        self._release: Callable[[], None] | None = release
        self._generation = _ownership.fork_generation
        self._chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> Self:
        if self._body is None:
            raise httpx.StreamClosed()
        self._chunks = self._body.__aiter__()
        return self

    def __anext__(self) -> Awaitable[bytes]:
        # Hands on the inner iterator's next step rather than taking it in a frame of its own:
        # about 1,100 instructions fewer a chunk (see `drop_awaitable` in build_sync.py).
        if self._generation != _ownership.fork_generation:
            raise httpx.ReadError(
                "this response was opened before os.fork(): its connection belongs to the "
                "parent process, so the child cannot read it"
            )
        if self._chunks is None:
            raise httpx.StreamClosed()
        return self._chunks.__anext__()

    async def aclose(self) -> None:
        if self._generation != _ownership.fork_generation:
            return  # the parent's connection: the child neither closes it nor frees its place
        release, self._release = self._release, None  # a second close releases nothing
        body, chunks, self._body, self._chunks = self._body, self._chunks, None, None
        try:
            if isinstance(chunks, AsyncGenerator):
                # A suspended generator refers to the body, and so to the response, until it
                # is finalized: end it now (some event loops finalize it only much later).
                await chunks.aclose()
            if body is not None:
                await body.aclose()
        finally:
            if release is not None:
                release()
