"""The HTTP side of the local server: one thread per connection (`ThreadingHTTPServer`),
HTTP/1.1 keep-alive, chunked event streams, and the faults that need a socket (drops, cuts,
delays)."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import sys
import time
import traceback
import uuid
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer, TCPServer
from typing import Any

from ._app import App, RecordedRequest, Response, StreamPlan, dumps, is_stream_request

__all__ = ["HTTPServer", "Handler"]

MAX_BODY = 16 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]+")
_PREAMBLE = b"retry: 100\n\n: ping\n\n"
_PING = b": ping\n\n"


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, *, verbose: bool = False) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.verbose = verbose
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
    """The request cannot be read: answer `status` with `detail`, then close the connection."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


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
    timeout = None  # keep-alive connections wait for as long as the client keeps them

    def __init__(self, request: Any, client_address: Any, server: BaseServer) -> None:
        assert isinstance(server, HTTPServer)
        self.http: HTTPServer = server
        self.app: App = server.app
        self.request_id = ""
        self._chunked = False
        super().__init__(request, client_address, server)

    # -- connection lifetime ----------------------------------------------------------------

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

    def _serve(self) -> None:
        self.request_id = f"req_{uuid.uuid4().hex}"
        app = self.app
        try:
            body = self._read_body()
        except _Refused as refused:
            self.close_connection = True
            self._respond(Response(refused.status, dumps({"detail": refused.detail})))
            return
        method, target = self.command, self.path
        path = target.partition("?")[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        stream = is_stream_request(method, path, headers, body)
        with app.lock:
            app.requests.append(RecordedRequest(method, target, headers))
            app.request_bodies.append(body)
            delay = app.faults.take_delay(path)
            fault = app.faults.take_for_request(path, stream)
        if delay and app.stopping.wait(delay):
            self.close_connection = True
            return
        if fault is not None and fault.kind == "drop":
            self._drop()
            return
        if fault is not None:
            self._respond(app.fault_response(fault, method, path))
            return
        try:
            result = app.handle(method, target, headers, body)
        except Exception:  # a bug here must not kill the server: answer 500 and carry on
            if self.http.verbose:
                traceback.print_exc()
            result = Response(500, dumps({"detail": "Internal Server Error"}))
        if isinstance(result, StreamPlan):
            self._stream(result, path)
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
        if int(length) > MAX_BODY:
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
            if size > MAX_BODY:
                raise _Refused(413, "Request body too large")
            if chunk_size == 0:
                while self.rfile.readline(65537).strip():  # trailers
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(chunk_size))
            if self.rfile.readline(3).strip():
                raise _Refused(400, "Invalid chunked body")

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
        headers = list(response.headers)
        body = response.body
        if body is not None:
            if response.content_type is not None:
                headers.append(("content-type", response.content_type))
            headers.append(("content-length", str(len(body))))
        if self.command == "HEAD":
            body = None
        self.wfile.write(self._head(response.status, headers) + (body or b""))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by the HTTP parser itself (bad request line, huge headers...): JSON
        like every other error, then close the connection."""
        self.close_connection = True
        self.request_id = f"req_{uuid.uuid4().hex}"
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
        with app.lock:
            faults = app.faults.take_for_stream(path)
            app.active_streams += 1
        self.log_request(200)
        self._chunked = self.request_version == "HTTP/1.1"
        if not self._chunked:
            self.close_connection = True
        headers = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
        headers.append(("x-accel-buffering", "no"))
        if self._chunked:
            headers.append(("transfer-encoding", "chunked"))
        outcome = "disconnected"
        try:
            self.wfile.write(self._head(200, headers))
            outcome = self._write_events(plan, faults.cut_after, faults.malformed)
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
            with app.lock:
                app.active_streams -= 1
                if outcome == "completed":
                    app.streams_completed += 1
                elif outcome == "disconnected" and not app.stopping.is_set():
                    app.disconnects += 1

    def _write_events(self, plan: StreamPlan, cut_after: int | None, malformed: str | None) -> str:
        """Write the run's events; "completed", or "cut" when a cut fault fired."""
        app, run = self.app, plan.run
        if cut_after == 0:
            return "cut"
        if run.raw is not None:
            self._emit(run.raw)
            return "cut" if cut_after is not None else "completed"
        delay = run.delay if run.delay is not None else app.event_delay
        ping_interval = app.ping_interval
        watcher = _Watcher(self.connection)
        indexes = range(plan.after, len(run.events))
        spoiled = next((i for i in indexes if run.events[i][0] == "token"), plan.after)
        self._emit(_PREAMBLE)
        last_write = time.monotonic()
        for written, index in enumerate(indexes):
            if written and delay > 0:
                last_write = self._idle(watcher, delay, ping_interval, last_write)
            elif delay > 0 or ping_interval:
                self._check_peer(watcher)
            self._emit(run.frame(index, malformed if index == spoiled else None))
            last_write = time.monotonic()
            if cut_after is not None and written + 1 >= cut_after:
                return "cut"
        return "completed"

    def _check_peer(self, watcher: _Watcher) -> None:
        if self.app.stopping.is_set() or (watcher.readable(0) and watcher.peer_closed()):
            raise _ClientGone

    def _idle(
        self, watcher: _Watcher, seconds: float, ping_interval: float | None, last_write: float
    ) -> float:
        """Wait `seconds` between two events, sending `: ping` every `ping_interval` and
        noticing at once if the client goes away. Returns the time of the last write."""
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if ping_interval and now >= last_write + ping_interval:
                self._emit(_PING)
                last_write = now
            if now >= deadline:
                self._check_peer(watcher)
                return last_write
            until = min(deadline, last_write + ping_interval) if ping_interval else deadline
            wait = min(max(until - now, 0.0), 0.25)
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
