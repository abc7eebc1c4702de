# DO NOT EDIT: generated from phoson/_async/_pool.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The connection pool that a client and its `with_options` copies share, and its lifetime.

The pool holds the `httpx` client (and so the connections) and the admission gate in
front of it. docs/scaling.md explains the design; in short:

- **Owner.** Connections belong to what opened them: an event loop for the coroutine client,
  the process for the blocking one (`phoson._admission.pool_owner`). The first request binds
  the pool to its owner; a request from another owner (a second event loop, for example) gets a
  fresh `httpx` client, and the old one is dropped without being touched, since its loop may be
  closed.
- **Fork.** In the child of `os.fork()` the pool starts afresh as well: the child never reads,
  writes or closes the parent's connections (closing a TLS connection writes to the socket
  both processes share). A stream opened before the fork cannot be read in the child.
- **Admission.** At most `max_connections` requests are inside httpx's pool at once; the others
  wait in FIFO order in `phoson._admission` and are admitted one by one as connections come
  back. A wait longer than the pool timeout raises `PhosonTimeoutError` saying the pool is
  exhausted.
- **Closing.** `close()` closes the `httpx` client when it belongs to this loop (or to no loop
  yet); any later call raises `PhosonError` ("... client is closed ...").

A caller's own `http_client=` is used as it is: never renewed, never closed, never gated.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from typing import Self

import httpx

from .. import _admission
from .._admission import AdmissionGate, GateClosed, GateTimeout
from .._exceptions import PhosonError
from .._logging import logger
from .._types import DEFAULT_LIMITS

__all__ = ["Pool", "client_closed_error"]

#: The owner of a pool that has sent nothing yet: the first request's event loop adopts it.
_UNBOUND = object()
#: The owner of a pool inherited across `os.fork()`: it is replaced before its next use.
_FORKED = object()
#: Loop-end handles inherited from the parent process, kept so they are never finalized.
_INHERITED: list[object] = []


def client_closed_error() -> PhosonError:
    return PhosonError(
        "this client is closed: close() (or the end of its `with` block) released its "
        "connections; create a new client, or call close() only when you are done with it"
    )


class Pool:
    """The `httpx` client and the admission gate of one client and its `with_options` copies."""

    def __init__(
        self,
        timeout: httpx.Timeout,
        *,
        limits: httpx.Limits | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._timeout = timeout
        self._limits = limits or DEFAULT_LIMITS
        self._own_http = http_client is None
        self._lock = threading.Lock()
        self._http = http_client if http_client is not None else self._new_http()
        self._gate = self._new_gate()
        self._owner: object = _UNBOUND
        #: Closes the current `httpx` client when its event loop ends (see `_admission`).
        self._loop_end: Generator[None, None] | None = None
        self.closed = False
        _admission.forget_after_fork(self)

    @property
    def http_client(self) -> httpx.Client:
        """The current `httpx` client (the one a request from this loop would use)."""
        return self._http

    @property
    def max_connections(self) -> int | None:
        """How many requests may use the pool at once (None: no limit, or a caller's client)."""
        return self._limits.max_connections if self._own_http else None

    @property
    def gate(self) -> AdmissionGate | None:
        """The current admission gate (None for a caller's `http_client=`)."""
        return self._gate

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=self._timeout, limits=self._limits, follow_redirects=False)

    def _new_gate(self) -> AdmissionGate | None:
        slots = self._limits.max_connections
        return AdmissionGate(slots) if self._own_http and slots else None

    def _bind(self) -> tuple[httpx.Client, AdmissionGate | None]:
        """The `httpx` client and gate for a request from the running loop, renewed if the
        pool was opened by another loop or inherited across a fork."""
        if self.closed:
            raise client_closed_error()
        owner = _admission.pool_owner()
        if self._owner is owner:
            return self._http, self._gate
        with self._lock:
            if self._owner is _UNBOUND:
                self._owner = owner
            elif self._owner is not owner:
                if not self._own_http:
                    # A caller's client cannot be re-created: use it as it is (docs/scaling.md).
                    if self._owner is _FORKED:
                        logger.warning(
                            "phoson: the http_client= given to this client was created before "
                            "os.fork(); the two processes now share its connections. Create "
                            "the httpx client after the fork, or let phoson create it."
                        )
                    self._owner = owner
                else:
                    # Drop the old client untouched: its loop may be closed, or in another
                    # process. Its sockets are released when it is garbage collected.
                    why = "os.fork()" if self._owner is _FORKED else "another event loop"
                    logger.debug("phoson: new connection pool (the old one belongs to %s)", why)
                    self._http, self._gate, self._owner = self._new_http(), self._new_gate(), owner
                    self._loop_end = None
            return self._http, self._gate

    def after_fork_in_child(self) -> None:
        """Called in the child of `os.fork()`: forget the parent's connections."""
        self._lock = threading.Lock()  # another thread of the parent may have held it
        self._owner = _FORKED
        # The parent's loop-end handle must never be finalized here: that would schedule work
        # on the parent's loop. Keep it for the life of the child process.
        _INHERITED.append(self._loop_end)
        self._loop_end = None

    def send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send one request once (no retries) through the admission gate.

        A plain response is read and closed before it is returned, so its place in the pool
        is given back at once; a streamed one keeps its place until its body is closed.
        """
        http, gate = self._bind()
        if self._loop_end is None and self._own_http:
            self._loop_end = _admission.close_at_loop_end(http.close)
        # 1. Wait for a place in the pool (at once, unless every connection is in use).
        if gate is not None:
            try:
                gate.enter(request.extensions.get("timeout", {}).get("pool"))
            except GateTimeout:
                raise self._exhausted(request) from None
            except GateClosed:
                raise client_closed_error() from None
        # 2. Send; give the place back when the response is done with the connection.
        try:
            response = http.send(request, stream=stream, follow_redirects=False)
        except httpx.PoolTimeout:
            if gate is not None:
                gate.leave()
            raise self._exhausted(request) from None
        except BaseException:
            if gate is not None:
                gate.leave()
            raise
        if not stream:
            if gate is not None:
                gate.leave()
            return response
        body = response.stream
        assert isinstance(body, httpx.SyncByteStream)  # httpx's own, for a client's response
        response.stream = _PooledBody(body, gate)
        return response

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

    def close(self) -> None:
        """Close the `httpx` client if it is ours and belongs to this loop; idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._gate is not None:
            self._gate.close()  # requests waiting for a connection fail at once
        if self._own_http and self._owner in (_UNBOUND, _admission.pool_owner()):
            handle, self._loop_end = self._loop_end, None
            if handle is not None:
                handle.close()  # runs its clean-up now, instead of at the loop's end
            self._http.close()
        # Otherwise it belongs to a caller, another event loop or the parent process: leave it.


class _PooledBody(httpx.SyncByteStream):
    """A streamed response's body that gives its place in the pool back when it is closed,
    and that a forked child refuses to read or close (the connection is the parent's)."""

    __slots__ = ("_body", "_chunks", "_gate", "_generation")

    def __init__(self, body: httpx.SyncByteStream, gate: AdmissionGate | None) -> None:
        self._body = body
        self._gate = gate
        self._generation = _admission.fork_generation()
        self._chunks: Iterator[bytes] | None = None

    def __iter__(self) -> Self:
        self._chunks = self._body.__iter__()
        return self

    def __next__(self) -> bytes:
        if self._generation != _admission.fork_generation():
            raise httpx.ReadError(
                "this response was opened before os.fork(): its connection belongs to the "
                "parent process, so the child cannot read it"
            )
        assert self._chunks is not None
        return self._chunks.__next__()

    def close(self) -> None:
        if self._generation != _admission.fork_generation():
            return  # the parent's connection: the child neither closes it nor frees its place
        gate, self._gate = self._gate, None
        try:
            self._body.close()
        finally:
            if gate is not None:
                gate.leave()
