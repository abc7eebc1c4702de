"""examples/django_view.py: a Django view streams an agent's reply through StreamingHttpResponse."""

from __future__ import annotations

from collections.abc import Iterator

import django
import pytest
import respx
from django.conf import settings

from tests.payloads import ALL_EVENTS, API_KEY, BASE_URL, event_stream_response, sse

if not settings.configured:
    settings.configure(
        ROOT_URLCONF="examples.django_view",
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        SECRET_KEY="tests-only",
    )
    django.setup()

from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import resolve

from examples import django_view


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    monkeypatch.setenv("PHOSON_API_KEY", API_KEY)
    monkeypatch.setenv("PHOSON_BASE_URL", BASE_URL)
    django_view.phoson_client.cache_clear()
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True) as router:
        yield router
    django_view.phoson_client().close()
    django_view.phoson_client.cache_clear()


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
