"""The HTTP side of the local server: one thread per connection (`ThreadingHTTPServer`),
HTTP/1.1 keep-alive (idle connections closed after `idle_timeout`), chunked event streams, and
the faults acted out on a socket (drops, cuts, delays). What to answer comes from `_exchange`."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import sys
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer, TCPServer
from typing import Any

from ._app import App, Response, StreamPlan, dumps
from ._exchange import (
    STREAM_HEADERS,
    StreamWriter,
    admit,
    answer,
    body_headers,
    new_request_id,
    too_large,
)

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DEFAULT_MAX_BODY_SIZE", "HTTPServer", "Handler"]

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 30.0
#: A body over the limit but not over this is read and thrown away (so the client reads the
#: 413); a larger one is not read: the connection is closed after the 413.
_DRAIN_LIMIT = 64 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]+")


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        *,
        verbose: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.verbose = verbose
        self.max_body_size = max_body_size
        self.idle_timeout = idle_timeout
        self.connections: set[socket.socket] = set()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can stall for seconds.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> None:
        """Shut every open connection down, waking the threads blocked on them, and wait (up
        to `timeout`) for those threads to finish."""
        with self.app.lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self.app.connections_changed:
            self.app.connections_changed.wait_for(lambda: not self.connections, timeout)


class _Refused(Exception):
    """The request cannot be read: answer `response`, then close the connection."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.response = (
            too_large() if status == 413 else Response(status, dumps({"detail": detail}))
        )


class _ClientGone(Exception):
    """The client closed the connection (or the server is stopping)."""


class _Watcher:
    """Tells whether the peer of a socket has closed it, without reading its data."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._poll: Any = None
        if hasattr(select, "poll"):  # no FD_SETSIZE limit, unlike select()
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN | select.POLLPRI)

    def readable(self, timeout: float) -> bool:
        if self._poll is not None:
            return bool(self._poll.poll(max(0, int(timeout * 1000))))
        readable, _, _ = select.select([self._sock], [], [], timeout)
        return bool(readable)

    def peer_closed(self) -> bool:
        try:
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "phoson-local"
    sys_version = ""
    disable_nagle_algorithm = True

    def __init__(self, request: Any, client_address: Any, server: BaseServer) -> None:
        assert isinstance(server, HTTPServer)
        self.http: HTTPServer = server
        self.app: App = server.app
        self.request_id = ""
        self._chunked = False
        super().__init__(request, client_address, server)

    # -- connection lifetime ----------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # A connection that sends nothing for `idle_timeout` seconds is closed: the request
        # parser answers a timed-out read by closing the connection.
        self.connection.settimeout(self.http.idle_timeout)

    def handle(self) -> None:
        with self.app.lock:
            if self.app.stopping.is_set():
                return
            self.app.open_connections += 1
            self.http.connections.add(self.connection)
        try:
            super().handle()
        except OSError:
            pass  # the client reset the connection, or stop() shut it down
        finally:
            with self.app.lock:
                self.app.open_connections -= 1
                self.http.connections.discard(self.connection)
                self.app.connections_changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        if self.http.verbose:
            sys.stderr.write(f"phoson.testing: {self.address_string()} {format % args}\n")

    # -- methods ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, made-up ones) is served too, so the API answers
        # 405 with `allow` on a known path and 404 elsewhere, as FastAPI does, never the
        # standard library's 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        self.request_id = new_request_id()
        app = self.app
        try:
            body = self._read_body()
        except _Refused as refused:
            self.close_connection = True
            self._respond(refused.response)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        admission = admit(app, self.command, self.path, headers, body)
        if admission.delay and app.stopping.wait(admission.delay):
            self.close_connection = True
            return
        result = answer(app, admission, verbose=self.http.verbose)
        if result is None:
            self._drop()
        elif isinstance(result, StreamPlan):
            self._stream(result, admission.path)
        else:
            self._respond(result)

    def _read_body(self) -> bytes:
        encoding = self.headers.get("transfer-encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _Refused(400, "Unsupported Transfer-Encoding")
            return self._read_chunked()
        lengths = {value.strip() for value in self.headers.get_all("content-length") or ()}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not _DIGITS.fullmatch(length):
            raise _Refused(400, "Invalid Content-Length")
        if int(length) > self.http.max_body_size:
            self._discard(int(length))
            raise _Refused(413, "Request body too large")
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            raise ConnectionResetError("the client sent less than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1026)
            digits = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", digits):
                raise _Refused(400, "Invalid chunked body")
            chunk_size = int(digits, 16)
            size += chunk_size
            if size > self.http.max_body_size:
                raise _Refused(413, "Request body too large")
            if chunk_size == 0:
                while self.rfile.readline(65537).strip():  # trailers
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(chunk_size))
            if self.rfile.readline(3).strip():
                raise _Refused(400, "Invalid chunked body")

    def _discard(self, length: int) -> None:
        """Read and drop a refused body of at most `_DRAIN_LIMIT` bytes, so the client, still
        sending it, gets to read the answer instead of a reset connection."""
        if length > _DRAIN_LIMIT:
            return  # not worth reading: the 413 goes out and the connection closes
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                return
            remaining -= len(chunk)

    # -- writing ----------------------------------------------------------------------------

    def _head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        lines = [
            f"HTTP/1.1 {status} {_phrase(status)}",
            f"date: {formatdate(usegmt=True)}",
            f"server: {self.server_version}",
            *(f"{name}: {value}" for name, value in headers),
            f"x-request-id: {self.request_id}",
        ]
        if self.close_connection:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def _respond(self, response: Response) -> None:
        """Write a whole response (headers and body in one write)."""
        self.log_request(response.status)
        headers = body_headers(response)
        body = response.body
        if self.command == "HEAD":
            body = None
        self.wfile.write(self._head(response.status, headers) + (body or b""))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by the HTTP parser itself (bad request line, huge headers...): JSON
        like every other error, then close the connection."""
        self.close_connection = True
        self.request_id = new_request_id()
        with contextlib.suppress(OSError):
            self._respond(Response(code, dumps({"detail": message or _phrase(code)})))

    def _drop(self) -> None:
        """Close the connection without a byte of response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _emit(self, data: bytes) -> None:
        if not data:
            return  # an empty chunk would end the body
        if self._chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.wfile.write(data)

    def _stream(self, plan: StreamPlan, path: str) -> None:
        app = self.app
        writer = StreamWriter(app, plan, path)
        self.log_request(200)
        self._chunked = self.request_version == "HTTP/1.1"
        if not self._chunked:
            self.close_connection = True
        headers = list(STREAM_HEADERS)
        if self._chunked:
            headers.append(("transfer-encoding", "chunked"))
        outcome = "disconnected"
        try:
            self.wfile.write(self._head(200, headers))
            watcher = _Watcher(self.connection)
            for piece in writer:
                if isinstance(piece, bytes):
                    self._emit(piece)
                else:
                    self._pause(watcher, piece)
            outcome = "cut" if writer.cut else "completed"
            if outcome == "completed":
                self.wfile.write(b"0\r\n\r\n" if self._chunked else b"")
        except (OSError, _ClientGone):
            outcome = "disconnected"
        finally:
            self._chunked = False
            if outcome != "completed":
                self.close_connection = True
            if outcome == "cut":
                self._drop()
            writer.finish(outcome, count_disconnect=not app.stopping.is_set())

    def _pause(self, watcher: _Watcher, seconds: float) -> None:
        """Wait `seconds` between two pieces of a stream, noticing at once if the client goes
        away (or the server stops)."""
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if now >= deadline:
                if self.app.stopping.is_set() or (watcher.readable(0) and watcher.peer_closed()):
                    raise _ClientGone
                return
            wait = min(deadline - now, 0.25)
            if watcher.readable(wait):
                if watcher.peer_closed():
                    raise _ClientGone
                self.app.stopping.wait(wait)  # bytes from the client, not EOF: just sleep
            if self.app.stopping.is_set():
                raise _ClientGone


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
