"""examples/django_view.py: Django views stream an agent's reply, under WSGI and ASGI."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import anyio
import django
import pytest
import respx
from django.conf import settings

from tests.payloads import (
    ALL_EVENTS,
    API_KEY,
    BASE_URL,
    RecordingStream,
    event_stream_response,
    sse,
)

if not settings.configured:
    settings.configure(
        ROOT_URLCONF="examples.django_view",
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        SECRET_KEY="tests-only",
    )
    django.setup()

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import resolve

from examples import django_view


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    monkeypatch.setenv("PHOSON_API_KEY", API_KEY)
    monkeypatch.setenv("PHOSON_BASE_URL", BASE_URL)
    django_view.phoson_client.cache_clear()
    django_view.async_phoson_client.cache_clear()
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True) as router:
        yield router
    django_view.phoson_client().close()
    django_view.phoson_client.cache_clear()
    django_view.async_phoson_client.cache_clear()  # closed by the test that made it


def test_view_streams_reply_text(api: respx.MockRouter) -> None:
    """GET .../reply?message= posts the message and streams only the reply text, unbuffered."""
    route = api.post("/conversations/conv_1/messages").mock(
        return_value=event_stream_response(sse(ALL_EVENTS))
    )
    match = resolve("/conversations/conv_1/reply")
    assert match.func is django_view.stream_reply and match.kwargs == {"conversation_id": "conv_1"}
    request = RequestFactory().get("/conversations/conv_1/reply", {"message": "Hello"})
    response = django_view.stream_reply(request, "conv_1")
    assert isinstance(response, StreamingHttpResponse)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Accel-Buffering"] == "no"
    assert not route.called  # nothing is sent until Django starts sending the body
    chunks = [bytes(chunk) for chunk in response.streaming_content]  # type: ignore[union-attr]
    assert chunks == [b"Hello ", b"world"]
    assert route.calls.last.request.headers["accept"] == "text/event-stream"


def test_view_reports_a_failed_run_in_the_body(api: respx.MockRouter) -> None:
    """A run that fails mid-way ends the body with a readable error line."""
    body = sse([("token", {"content": "par"}), ("error", {"message": "model overloaded"})])
    api.post("/conversations/conv_1/messages").mock(return_value=event_stream_response(body))
    request = RequestFactory().get("/conversations/conv_1/reply", {"message": "Hello"})
    response = django_view.stream_reply(request, "conv_1")
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    assert text == "par\n[error: run failed: model overloaded]\n"


def test_view_needs_a_message(api: respx.MockRouter) -> None:
    """Without ?message= the view answers 400 and calls nothing."""
    response = django_view.stream_reply(RequestFactory().get("/x"), "conv_1")
    assert response.status_code == 400
    assert not api.calls


class HeldStream(RecordingStream):
    """An API body that sends the first token, then holds the rest of the run until the test
    says the browser got something (or 5 s pass), noting when the run ended."""

    def __init__(self) -> None:
        super().__init__([])
        self.first = sse([("token", {"content": "Hello "})])
        self.rest = sse([("token", {"content": "world"}), ALL_EVENTS[-1]])
        self.release = threading.Event()
        self.async_release: anyio.Event | None = None
        self.log: list[str] = []

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        self.release.wait(5)
        self.log.append("run ended")
        yield self.rest

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        assert self.async_release is not None
        with anyio.move_on_after(5):
            await self.async_release.wait()
        self.log.append("run ended")
        yield self.rest


def test_wsgi_view_streams_before_the_run_ends(api: respx.MockRouter) -> None:
    """Under WSGI, stream_reply's first body chunk reaches the server before the run ends."""
    held = HeldStream()
    api.post("/conversations/conv_1/messages").mock(return_value=event_stream_response(held))
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/conversations/conv_1/reply",
        "QUERY_STRING": "message=Hello",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda data: None

    body = iter(WSGIHandler()(environ, start_response))
    assert next(body) == b"Hello "
    held.log.append("browser got a chunk")
    held.release.set()
    assert list(body) == [b"world"]
    assert statuses == ["200 OK"]
    assert held.log == ["browser got a chunk", "run ended"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # Django's ASGI handler runs on asyncio
async def test_asgi_view_streams_before_the_run_ends(
    api: respx.MockRouter, anyio_backend: str
) -> None:
    """Under ASGI, stream_reply_async's first body chunk is sent before the run ends, and the
    whole reply follows."""
    held = HeldStream()
    held.async_release = anyio.Event()
    route = api.post("/conversations/conv_1/messages").mock(
        return_value=event_stream_response(held)
    )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/conversations/conv_1/reply-async",
        "raw_path": b"/conversations/conv_1/reply-async",
        "query_string": b"message=Hello",
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    requested = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, object]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()  # the browser stays until the response ends
        raise AssertionError

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message.get("body"):
            chunks.append(message["body"])
            if len(chunks) == 1:
                held.log.append("browser got a chunk")
                assert held.async_release is not None
                held.async_release.set()

    try:
        await ASGIHandler()(scope, receive, send)
    finally:
        await django_view.async_phoson_client().close()
    assert held.log == ["browser got a chunk", "run ended"]
    assert chunks == [b"Hello ", b"world"]
    assert route.calls.last.request.headers["accept"] == "text/event-stream"
