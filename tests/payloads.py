"""Response bodies of the wire contract, and byte streams that record being closed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import respx
from respx.models import Call

API_KEY = "pk_test_0123456789abcdef"
BASE_URL = "https://api.phoson.test"

AGENT: dict[str, Any] = {
    "id": "agt_1",
    "name": "My Agent",
    "description": "What this agent does",
    "memory_type": "persistent",
    "mcp_ids": [],
    "created_at": "2026-11-27T10:00:00Z",
    "updated_at": "2026-11-27T10:00:00Z",
}
CONVERSATION: dict[str, Any] = {
    "id": "conv_1",
    "agent_id": "agt_1",
    "title": "My conversation",
    "thread_id": "custom-id",
    "created_at": "2026-11-27T10:00:00Z",
    "updated_at": "2026-11-27T10:00:00Z",
}
MESSAGE: dict[str, Any] = {
    "id": "msg_2",
    "conversation_id": "conv_1",
    "role": "assistant",
    "content": "Hello there",
    "run_id": "run_1",
    "created_at": "2026-11-27T10:00:01Z",
}

ALL_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("reasoning", {"content": "Thinking about it"}),
    ("tool_start", {"tool": "search", "input": {"q": "weather"}, "tool_call_id": "call_1"}),
    ("tool_end", {"tool": "search", "result": "sunny", "tool_call_id": "call_1"}),
    ("token", {"content": "Hello "}),
    ("token", {"content": "world"}),
    ("run_done", {"content": "Hello world", "run_id": "run_1"}),
]


def sse(events: list[tuple[str, dict[str, Any]]], *, ids: bool = True) -> bytes:
    """Encode events as the server does: `event:`, `data:`, optional `id:`, blank line."""
    out: list[str] = []
    for number, (name, fields) in enumerate(events, start=1):
        out.append(f"event: {name}\ndata: {json.dumps(fields)}\n")
        if ids:
            out.append(f"id: run_1:{number}\n")
        out.append("\n")
    return "".join(out).encode()


def json_response(status: int, body: Any, request_id: str = "req_123") -> httpx.Response:
    return httpx.Response(status, json=body, headers={"x-request-id": request_id})


class RecordingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body served chunk by chunk that remembers whether it was closed, and how far
    it was read, so tests can prove the SDK releases responses and reads incrementally."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.served = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.served += 1
            yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An iterator object, not an async generator: one left unfinished when the SDK closes
        # the response is simply dropped (trio warns about unfinished async generators).
        return _ChunkIterator(self, None)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def event_stream_response(
    stream: RecordingStream | bytes, request_id: str = "req_stream"
) -> httpx.Response:
    headers = {"content-type": "text/event-stream", "x-request-id": request_id}
    if isinstance(stream, bytes):
        return httpx.Response(200, headers=headers, content=stream)
    return httpx.Response(200, headers=headers, stream=stream)


def requests_of(mocked: respx.Route | respx.MockRouter) -> list[httpx.Request]:
    """Every request a respx route (or router) answered, in order.

    respx's call list is an untyped `list` subclass, so a strict checker sees its items as
    unknown; this reads them once, typed (`calls.last` is already typed and needs no helper).
    """
    calls: list[Call] = list(mocked.calls)
    return [call.request for call in calls]


def assert_sent(
    request: httpx.Request,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    query: dict[str, str] | None = None,
    accept: str = "application/json",
) -> None:
    """Assert one request is exactly what the wire contract says for a call."""
    from phoson import __version__

    assert request.method == method
    assert request.url.raw_path.split(b"?")[0].decode() == path
    assert dict(request.url.params) == (query or {})
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["accept"] == accept
    assert request.headers["user-agent"] == f"phoson-python/{__version__}"
    if method == "GET":
        assert "idempotency-key" not in request.headers
    else:
        key = request.headers["idempotency-key"]
        assert len(key) == 36 and key.count("-") == 4, key
    if body is None:
        assert request.content == b""
        assert "content-type" not in request.headers
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == body


class BreakingStream(RecordingStream):
    """A body that serves its chunks and then fails as a dropped connection would."""

    def __init__(self, chunks: list[bytes], error: Exception) -> None:
        super().__init__(chunks)
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from super().__iter__()
        raise self.error

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _ChunkIterator(self, self.error)


class _ChunkIterator:
    """Serves a RecordingStream's chunks, counting them, then raises `error` if one is set."""

    def __init__(self, stream: RecordingStream, error: Exception | None) -> None:
        self._stream = stream
        self._error = error
        self._next = 0

    def __aiter__(self) -> _ChunkIterator:
        return self

    async def __anext__(self) -> bytes:
        stream = self._stream
        if self._next < len(stream.chunks):
            chunk = stream.chunks[self._next]
            self._next += 1
            stream.served += 1
            return chunk
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration
