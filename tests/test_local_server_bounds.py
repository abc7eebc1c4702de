"""A local server left running stays bounded: its request log is a ring buffer, idle keep-alive
connections are closed, oversized bodies get a 413, and 20,000 requests leave memory flat."""

# White-box test: drives the test server's I/O-free app directly.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import gc
import os
import socket
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from phoson.testing import LocalPhosonServer
from phoson.testing._app import Response
from phoson.testing._exchange import admit, answer

KEY = "pk_bounds"
AUTH = {"Authorization": f"Bearer {KEY}"}


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_request_log_keeps_the_latest_requests() -> None:
    """stats.requests holds the latest request_log_size requests, oldest first, with their
    bodies at the same index."""
    server = LocalPhosonServer(api_key=KEY, request_log_size=3)
    with httpx.Client(transport=server.transport(), base_url="http://local", headers=AUTH) as http:
        for n in range(5):
            http.post("/agents", json={"name": f"a{n}", "description": "d"})
    stats = server.stats
    assert [r.path for r in stats.requests] == ["/agents"] * 3
    assert [body[:12] for body in stats.request_bodies] == [
        b'{"name":"a2"',
        b'{"name":"a3"',
        b'{"name":"a4"',
    ]


def test_oversized_bodies_get_413_and_the_connection_serves_on() -> None:
    """A body over max_body_size is answered 413 with a JSON detail, over HTTP and over the
    transport, and is neither run nor recorded; the next request is served normally."""
    with LocalPhosonServer(api_key=KEY, max_body_size=1000) as server:
        body = {"name": "n", "description": "x" * 2000}
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
            refused = http.post("/agents", json=body)
            assert (refused.status_code, refused.json()) == (
                413,
                {"detail": "Request body too large"},
            )
            assert refused.headers["x-request-id"].startswith("req_")
            assert http.post("/agents", json={"name": "n", "description": "d"}).status_code == 201
        with httpx.Client(transport=server.transport(), base_url="http://l", headers=AUTH) as http:
            assert http.post("/agents", json=body).status_code == 413
        assert [r.method for r in server.stats.requests] == ["POST"]
        assert len(httpx.get(f"{server.url}/agents", headers=AUTH).json()) == 1


def test_two_hundred_idle_connections_are_reaped() -> None:
    """Keep-alive connections that stay idle past idle_timeout are closed by the server (their
    threads end), while a connection in use is not."""
    with LocalPhosonServer(api_key=KEY, idle_timeout=0.5) as server:
        sockets: list[socket.socket] = []
        try:
            for _ in range(200):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                sock.sendall(
                    b"GET /agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pk_bounds\r\n\r\n"
                )
                sockets.append(sock)
            for sock in sockets:
                head = sock.recv(65536)
                assert head.startswith(b"HTTP/1.1 200 OK") and b"connection: close" not in head
            assert wait_until(lambda: server.stats.open_connections == 0, timeout=15)
            assert all(sock.recv(1) == b"" for sock in sockets)  # closed by the server
            assert server.stats.requests and len(server.stats.requests) == 200
        finally:
            for sock in sockets:
                sock.close()


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_twenty_thousand_requests_leave_memory_flat() -> None:
    """20,000 requests with 2 KB bodies and distinct idempotency keys (conversations created,
    messaged and deleted; an agent rewritten) grow the process by less than 4 MiB after the
    first 2,000 (measured: under 0.1 MiB; with the log and the replay records unbounded, 23 MiB)."""
    server = LocalPhosonServer(api_key=KEY)
    app = server._app  # straight to the I/O-free steps both front ends share: fast enough

    def call(method: str, target: str, body: bytes = b"") -> bytes:
        headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
        headers["idempotency-key"] = str(uuid.uuid4())
        result = answer(app, admit(app, method, target, headers, body))
        assert isinstance(result, Response), result
        assert result.status < 300, result.body
        return result.body or b""

    agent_id = call("POST", "/agents", b'{"name":"a","description":"d"}').split(b'"')[3].decode()
    padding = "x" * 2_000
    patch = f'{{"description":"{padding}"}}'.encode()
    message = f'{{"content":"hi","model":"{padding}"}}'.encode()

    def cycle() -> None:
        conversation = call("POST", "/conversations", f'{{"agent_id":"{agent_id}"}}'.encode())
        conversation_id = conversation.split(b'"')[3].decode()
        call("POST", f"/conversations/{conversation_id}/messages", message)
        call("PATCH", f"/agents/{agent_id}", patch)
        call("DELETE", f"/conversations/{conversation_id}")

    for _ in range(500):  # 2,000 requests: the log and the replay records fill up
        cycle()
    gc.collect()
    before = _resident_bytes()
    for _ in range(4500):  # 18,000 more
        cycle()
    gc.collect()
    grown = _resident_bytes() - before
    assert grown < 4 * 1024 * 1024, f"grew {grown / 2**20:.1f} MiB"
    assert len(server.stats.requests) == 1000
