"""TLS over in-memory buffers for the blocking client's connections.

httpcore's blocking backend wraps the socket in an `ssl.SSLSocket`, which reads each TLS record
from the socket itself: two system calls a record (its header, then its body), and a trip
through the whole read path above TLS for every record, so for every event of a stream whose
server writes each event as it happens. `MemoryTLSStream` does what the event-loop backends do
(an `ssl.SSLObject` between two `ssl.MemoryBIO`s): it receives up to 64 KiB of ciphertext in
one read of the stream under it and decrypts records from memory, so a burst of events that
arrived together is one read (with `phoson._tls_records.take_received`, which the pool's TLS
stream applies to both clients).

Its errors are httpcore's, as those of httpcore's own streams: a handshake fails with
`ConnectError` (`ConnectTimeout`), a read with `ReadError`, a write with `WriteError`; the
end of the session (`close_notify`, or the connection closed without it, which an
`ssl.SSLSocket` also reads as an end) reads as `b""`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import httpcore
from httpcore import NetworkStream

if TYPE_CHECKING:
    from httpcore import AsyncNetworkStream

__all__ = ["MemoryTLSStream", "aopen_tls", "open_tls"]

#: Ciphertext asked for in one read of the stream under the TLS layer.
RECEIVE_BYTES = 65_536

_T = TypeVar("_T")


class MemoryTLSStream(NetworkStream):
    """An httpcore network stream whose TLS runs over `transport`, another network stream."""

    def __init__(
        self,
        transport: NetworkStream,
        ssl_object: ssl.SSLObject,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
    ) -> None:
        self._transport = transport
        self._ssl_object = ssl_object
        self._incoming = incoming
        self._outgoing = outgoing

    @classmethod
    def start(
        cls,
        transport: NetworkStream,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> MemoryTLSStream:
        """The TLS handshake over `transport`, within `timeout` for each of its waits; the
        stream, or `ConnectError`/`ConnectTimeout` (and `transport` closed)."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        try:
            ssl_object = ssl_context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
            stream = cls(transport, ssl_object, incoming, outgoing)
            stream._run(ssl_object.do_handshake, timeout)
        except BaseException as exc:
            transport.close()
            if isinstance(exc, httpcore.ReadTimeout | httpcore.WriteTimeout):
                raise httpcore.ConnectTimeout(str(exc)) from exc
            if isinstance(exc, ssl.SSLError | httpcore.NetworkError):
                raise httpcore.ConnectError(str(exc)) from exc
            raise
        return stream

    def _run(self, step: Callable[[], _T], timeout: float | None) -> _T:
        """Run one step of the TLS object, sending what it writes and receiving what it waits
        for, until it completes. Raises the TLS layer's `ssl.SSLError` as it is."""
        while True:
            try:
                result = step()
            except ssl.SSLWantReadError:
                self._send_written(timeout)
                data = self._transport.read(RECEIVE_BYTES, timeout)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._send_written(timeout)
            return result

    def _send_written(self, timeout: float | None) -> None:
        if self._outgoing.pending:
            self._transport.write(self._outgoing.read(), timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._run(partial(self._ssl_object.read, max_bytes), timeout)
        except ssl.SSLEOFError:
            return b""  # closed without close_notify: an end, as an `ssl.SSLSocket` reads it
        except ssl.SSLError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                written = self._run(partial(self._ssl_object.write, buffer), timeout)
                buffer = buffer[written:]
        except ssl.SSLError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._transport.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> MemoryTLSStream:
        """TLS inside this TLS (an HTTPS request through an HTTPS proxy)."""
        return MemoryTLSStream.start(self, ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._ssl_object
        return self._transport.get_extra_info(info)


# The seam between the clients (`build_sync.py` renames `aopen_tls` to `open_tls`): TLS over a
# connection's network stream.


async def aopen_tls(
    stream: AsyncNetworkStream,
    ssl_context: ssl.SSLContext,
    server_hostname: str | None,
    timeout: float | None,  # noqa: ASYNC109 (httpcore's own parameter, passed on)
) -> AsyncNetworkStream:
    """The event-loop backends' own TLS (it runs over in-memory buffers already)."""
    return await stream.start_tls(ssl_context, server_hostname, timeout)


def open_tls(
    stream: NetworkStream,
    ssl_context: ssl.SSLContext,
    server_hostname: str | None,
    timeout: float | None,
) -> NetworkStream:
    """`MemoryTLSStream` over the blocking backend's socket stream."""
    return MemoryTLSStream.start(stream, ssl_context, server_hostname, timeout)
