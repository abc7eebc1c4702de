"""`phoson._memory_tls.MemoryTLSStream`, the blocking client's TLS over in-memory buffers, over
real sockets: bytes go both ways; the end of the session reads as `b""` whether the server
said `close_notify` or just closed; and TLS inside TLS (an HTTPS request through an HTTPS
proxy) works, as it did with httpcore's own stream. The client-level behaviour (bursts,
damaged records, certificates, timeouts, close() from another thread) is in
tests/_async/test_tls_reads.py, run for both clients."""

# White-box test: drives the module's stream directly over httpcore's socket stream.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest
from httpcore._backends.sync import SyncStream

from phoson._memory_tls import MemoryTLSStream
from tests.tls import ca_file, server_context


def client_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file())


@pytest.fixture
def connected() -> Iterator[Callable[[Callable[[socket.socket], None]], SyncStream]]:
    """A connected socket pair: the test's `serve(server_socket)` runs in a thread; the client
    end is returned as httpcore's stream."""
    threads: list[threading.Thread] = []
    sockets: list[socket.socket] = []

    def connect(serve: Callable[[socket.socket], None]) -> SyncStream:
        client, server = socket.socketpair()
        sockets.extend([client, server])
        thread = threading.Thread(target=serve, args=(server,), daemon=True)
        thread.start()
        threads.append(thread)
        return SyncStream(client)

    yield connect
    for thread in threads:
        thread.join(5)
    for sock in sockets:
        sock.close()


def test_bytes_go_both_ways_and_close_notify_reads_as_the_end(
    connected: Callable[[Callable[[socket.socket], None]], SyncStream],
) -> None:
    """What the client writes the server reads; what the server writes the client reads; the
    server's `close_notify` then reads as `b""`, and so does every read after it."""

    def serve(sock: socket.socket) -> None:
        with server_context().wrap_socket(sock, server_side=True) as tls:
            tls.sendall(tls.recv(100).upper())
            try:
                tls.unwrap()  # close_notify out; then it waits for the client's, which
            except OSError:  # never comes: the client just closes
                pass

    stream = MemoryTLSStream.start(connected(serve), client_context(), "127.0.0.1", 5)
    stream.write(b"ping", 5)
    assert stream.read(100, 5) == b"PING"
    assert stream.read(100, 5) == b""
    assert stream.read(100, 5) == b""
    stream.close()


def test_a_connection_closed_without_close_notify_reads_as_the_end(
    connected: Callable[[Callable[[socket.socket], None]], SyncStream],
) -> None:
    """A server that closes the socket without ending the session: the data before reads
    whole, then `b""` (as an `ssl.SSLSocket` reads it), never an exception."""

    def serve(sock: socket.socket) -> None:
        with server_context().wrap_socket(sock, server_side=True) as tls:
            tls.sendall(b"last words")
            tls.shutdown(socket.SHUT_RDWR)  # no close_notify

    stream = MemoryTLSStream.start(connected(serve), client_context(), "127.0.0.1", 5)
    got = b""
    while chunk := stream.read(100, 5):
        got += chunk
    assert got == b"last words"
    stream.close()


def test_tls_inside_tls(connected: Callable[[Callable[[socket.socket], None]], SyncStream]) -> None:
    """TLS inside the TLS session (what an HTTPS proxy's tunnel carries): both handshakes
    complete and bytes go both ways through both layers."""

    def serve(sock: socket.socket) -> None:
        with server_context().wrap_socket(sock, server_side=True) as outer:
            tunnel(outer)

    def tunnel(outer: ssl.SSLSocket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        inner = server_context().wrap_bio(incoming, outgoing, server_side=True)

        def run(step: Callable[[], bytes | int | None]) -> bytes | int | None:
            while True:
                try:
                    result = step()
                except ssl.SSLWantReadError:
                    if outgoing.pending:
                        outer.sendall(outgoing.read())
                    incoming.write(outer.recv(65_536))
                    continue
                if outgoing.pending:
                    outer.sendall(outgoing.read())
                return result

        run(inner.do_handshake)
        data = run(lambda: inner.read(100))
        assert isinstance(data, bytes)
        run(lambda: inner.write(data[::-1]))

    outer = MemoryTLSStream.start(connected(serve), client_context(), "127.0.0.1", 5)
    inner = outer.start_tls(client_context(), "127.0.0.1", 5)
    assert inner.get_extra_info("ssl_object") is not outer.get_extra_info("ssl_object")
    inner.write(b"tunnelled", 5)
    assert inner.read(100, 5) == b"dellennut"
    inner.close()
