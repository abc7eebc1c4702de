"""Real web servers in a background thread, for phoson.web's tests: Django's threaded WSGI
server (what `runserver` runs) and uvicorn, each on a loopback port, and a raw browser-like
client that reads Server-Sent Events and can hang up mid-stream."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from phoson._sse import ServerSentEvent, SSEDecoder

__all__ = ["SSEClient", "serve_asgi", "serve_wsgi"]


@contextlib.contextmanager
def serve_wsgi(application: Callable[..., Any]) -> Generator[int, None, None]:
    """Django's threaded development server for `application`; yields its port."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    httpd.set_app(application)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@contextlib.contextmanager
def serve_asgi(application: Any) -> Generator[int, None, None]:
    """uvicorn serving `application` from a thread; yields its port."""
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(application, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(10)
        sock.close()


class SSEClient:
    """A GET over a plain socket, as a browser's EventSource makes it: the status line and
    headers, then events as they arrive; `close()` hangs up."""

    def __init__(self, port: int, target: str, headers: dict[str, str] | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._buffer = b""
        head = self._read_until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self._decoder = SSEDecoder()
        self._events: list[ServerSentEvent] = []
        self.raw = b""

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _body_bytes(self) -> bytes:
        """The next piece of the body (chunked or not); b"" at its end."""
        if not self.chunked:
            if self._buffer:
                data, self._buffer = self._buffer, b""
                return data
            return self.sock.recv(65536)
        size_line = self._read_until(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return b""
        while len(self._buffer) < size + 2:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection mid-chunk")
            self._buffer += data
        data, self._buffer = self._buffer[:size], self._buffer[size + 2 :]
        return data

    def body(self) -> bytes:
        """The whole rest of the body (a response that ends)."""
        length = self.headers.get("content-length")
        if length is not None and not self.chunked:
            while len(self._buffer) < int(length):
                data = self.sock.recv(65536)
                if not data:
                    break
                self._buffer += data
            body, self._buffer = self._buffer[: int(length)], b""
            self.raw += body
            return body
        parts: list[bytes] = []
        while data := self._body_bytes():
            parts.append(data)
        self.raw += b"".join(parts)
        return b"".join(parts)

    def next_event(self) -> ServerSentEvent | None:
        """The next event the browser would dispatch; None at the end of the body."""
        while not self._events:
            data = self._body_bytes()
            if not data:
                return None
            self.raw += data
            self._events.extend(self._decoder.feed(data))
        return self._events.pop(0)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
