"""A real HTTP/1.1 server on loopback that answers each request with a script of writes and
waits, for tests (and the benchmark) that need what a mock transport cannot do: a body that
ends late or never, a socket a blocked reader waits on, a pool of real connections.

    with ScriptedServer() as server:
        server.add(Script(parts=[sse_bytes, LATER(5.0), b": ping\\n\\n"], end="hold"))
        ... client calls server.url ...
        server.wait_disconnected(0)   # the client closed connection 0

Every response is `200` with the script's headers and a chunked body: each `bytes` part is one
chunk (over TLS, one record), a `Pause` waits, a `Tampered` part goes under the TLS layer, and
the end is `"end"` (the last chunk, keep-alive), `"cut"` (close the socket without ending the
body) or `"hold"` (send nothing more until the client goes away).
Requests without a script left get a 404.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DAMAGED_RECORD",
    "SSE_HEADERS",
    "Connection",
    "Pause",
    "Script",
    "ScriptedServer",
    "Tampered",
]

SSE_HEADERS = {"content-type": "text/event-stream", "x-request-id": "req_scripted"}


@dataclass(frozen=True)
class Pause:
    """Wait this many seconds before the next part (ended early when the client goes away)."""

    seconds: float


@dataclass(frozen=True)
class Tampered:
    """Bytes written to the socket under the TLS layer (over TLS only): `DAMAGED_RECORD` is a
    TLS record the client cannot decrypt, as if the network had changed a byte of one."""

    data: bytes


#: A TLS 1.2/1.3 application-data record of 32 bytes that no key decrypts.
DAMAGED_RECORD = Tampered(b"\x17\x03\x03\x00\x20" + bytes(range(32)))


@dataclass
class Script:
    parts: Sequence[bytes | Pause | Tampered] = ()
    end: Literal["end", "cut", "hold"] = "end"
    headers: dict[str, str] = field(default_factory=lambda: dict(SSE_HEADERS))
    status: int = 200


@dataclass
class Connection:
    """What the server saw on one request."""

    method: str = ""
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict[str, str])
    #: perf_counter_ns() just before each part was written.
    written_ns: list[int] = field(default_factory=list[int])
    #: True once the whole script ran (the body ended, or the hold ended by itself).
    completed: bool = False
    #: Set when the server noticed the client closed the connection (or the script ended).
    gone: threading.Event = field(default_factory=threading.Event)


class ScriptedServer:
    """Serves scripts in the order they were added, one thread per connection; over TLS with
    `tls` (a server-side context, e.g. `tests.tls.server_context()`)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.02)
        self._tls = tls
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self._scripts: list[Script] = []
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._accepter.join()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def add(self, *scripts: Script) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    @property
    def requests(self) -> int:
        return len(self.connections)

    @property
    def accepted(self) -> int:
        """TCP connections accepted so far (over TLS: handshakes begun)."""
        return len(self._threads)

    def wait_requests(self, n: int, seconds: float = 10.0) -> bool:
        deadline = time.monotonic() + seconds
        while len(self.connections) < n:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    # -- Serving ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                sock.settimeout(10)
                sock = self._tls.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
            except OSError:
                sock.close()
                return
        reader = sock.makefile("rb")
        try:
            for connection, script in self._requests(reader):
                if not self._answer(sock, connection, script):
                    return
        except OSError:
            pass
        finally:
            reader.close()
            sock.close()

    def _requests(self, reader: object) -> Iterator[tuple[Connection, Script | None]]:
        """Each request on this connection (keep-alive), with the script that answers it."""
        from io import BufferedReader

        assert isinstance(reader, BufferedReader)
        while True:
            line = reader.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            reader.read(int(headers.get("content-length", "0")))
            connection = Connection(method, path, headers)
            with self._lock:
                self.connections.append(connection)
                script = self._scripts.pop(0) if self._scripts else None
            yield connection, script

    def _answer(self, sock: socket.socket, connection: Connection, script: Script | None) -> bool:
        """Run one script; False when the connection is finished with."""
        if script is None:
            sock.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            connection.completed = True
            connection.gone.set()
            return True
        head = [f"HTTP/1.1 {script.status} OK", "transfer-encoding: chunked"]
        head += [f"{name}: {value}" for name, value in script.headers.items()]
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            for part in script.parts:
                if isinstance(part, Pause):
                    if self._client_gone(sock, part.seconds):
                        connection.gone.set()
                        return False
                    continue
                if isinstance(part, Tampered):
                    assert isinstance(sock, ssl.SSLSocket), "Tampered parts are for TLS servers"
                    os.write(sock.fileno(), part.data)
                    continue
                connection.written_ns.append(time.perf_counter_ns())
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            if script.end == "end":
                sock.sendall(b"0\r\n\r\n")
                connection.completed = True
                connection.gone.set()
                return True
            if script.end == "hold" and not self._client_gone(sock, 60.0):
                connection.completed = True
        except OSError:
            pass
        connection.gone.set()
        return False

    def _client_gone(self, sock: socket.socket, seconds: float) -> bool:
        """Wait up to `seconds`; True as soon as the client closes the connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not self._stopping.is_set():
            if isinstance(sock, ssl.SSLSocket):  # no MSG_PEEK: any bytes here end the wait
                if select.select([sock], [], [], min(left, 0.05))[0]:
                    try:
                        sock.recv(1)
                    except (OSError, ssl.SSLError):
                        pass
                    return True
                continue
            sock.settimeout(min(left, 0.05))
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
            time.sleep(min(left, 0.01))  # the client sent something: not gone
        sock.settimeout(None)
        return self._stopping.is_set()
