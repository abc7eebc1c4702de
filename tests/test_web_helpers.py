"""phoson.web.django and phoson.web.starlette behind real servers: Django under WSGI (its
threaded server, `PhosonClient`), Django under ASGI (uvicorn, `AsyncPhosonClient`) and Starlette
(uvicorn). The API is the local server; a raw socket plays the browser's EventSource.

Each helper answers with an event stream and the headers a proxy needs, maps an error while
opening to JSON with a fitting status, resumes from the browser's Last-Event-ID without
repeating an event, refuses a forged one, and closes the API stream within a second of the
browser hanging up."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Generator, Iterator
from typing import Any
from urllib.parse import urlencode

import anyio
import django
import pytest
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import path
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phoson import AsyncPhosonClient, PhosonClient
from phoson._sse import ServerSentEvent
from phoson.testing import LocalPhosonServer, reply_text
from phoson.web.django import sse_response as django_sse
from phoson.web.starlette import sse_response as starlette_sse
from tests.web_servers import SSEClient, serve_asgi, serve_wsgi

SECRET = "web helper tests"

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=SECRET,
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "testserver"],
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        LOGGING_CONFIG=None,
    )
    django.setup()


class Clients:
    """The clients the views use, made by the `api` fixture for the test's local server."""

    sync: PhosonClient | None = None
    asynchronous: AsyncPhosonClient | None = None
    heartbeat = 15.0


def stream_args(query: Any) -> tuple[str, str]:
    return query.get("conversation_id", ""), query.get("message", "Hi")


def reply(request: HttpRequest) -> HttpResponseBase:
    assert Clients.sync is not None
    conversation_id, message = stream_args(request.GET)
    stream = Clients.sync.messages.stream(conversation_id, message)
    return django_sse(request, stream, heartbeat=Clients.heartbeat)


async def reply_async(request: HttpRequest) -> HttpResponseBase:
    assert Clients.asynchronous is not None
    conversation_id, message = stream_args(request.GET)
    stream = Clients.asynchronous.messages.stream(conversation_id, message)
    return await django_sse(request, stream, heartbeat=Clients.heartbeat)


async def starlette_reply(request: Request) -> Response:
    assert Clients.asynchronous is not None
    conversation_id, message = stream_args(request.query_params)
    stream = Clients.asynchronous.messages.stream(conversation_id, message)
    return await starlette_sse(request, stream, secret=SECRET, heartbeat=Clients.heartbeat)


urlpatterns = [path("reply", reply), path("reply-async", reply_async)]
STARLETTE = Starlette(routes=[Route("/reply", starlette_reply)])
SERVERS = ["django-wsgi", "django-asgi", "starlette"]


@pytest.fixture
def api(server: LocalPhosonServer) -> Iterator[LocalPhosonServer]:
    """The local server, and the views' clients for it (no retries: one failure shows)."""
    Clients.sync = PhosonClient(api_key=server.api_key, base_url=server.url, max_retries=0)
    Clients.asynchronous = AsyncPhosonClient(
        api_key=server.api_key, base_url=server.url, max_retries=0
    )
    Clients.heartbeat = 15.0
    try:
        yield server
    finally:
        Clients.sync.close()
        anyio.run(Clients.asynchronous.close)
        Clients.sync = Clients.asynchronous = None
        server.event_delay = 0.0


@pytest.fixture(params=SERVERS)
def relay(request: pytest.FixtureRequest, api: LocalPhosonServer) -> Iterator[tuple[int, str]]:
    """(port, path) of the relay view, served as in production by one of the three servers."""
    kind: str = request.param
    if kind == "django-wsgi":
        with serve_wsgi(get_wsgi_application()) as port:
            yield port, "/reply"
    elif kind == "django-asgi":
        with serve_asgi(get_asgi_application()) as port:
            yield port, "/reply-async"
    else:
        with serve_asgi(STARLETTE) as port:
            yield port, "/reply"


def conversation(api: LocalPhosonServer) -> str:
    with PhosonClient(api_key=api.api_key, base_url=api.url) as client:
        agent = client.agents.create(name="web", description="tests")
        return client.conversations.create(agent.id).id


@contextlib.contextmanager
def browser(
    relay: tuple[int, str], conversation_id: str, last_event_id: str | None = None
) -> Generator[SSEClient, None, None]:
    port, route = relay
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    client = SSEClient(port, f"{route}?{urlencode({'conversation_id': conversation_id})}", headers)
    try:
        yield client
    finally:
        client.close()


def events_of(client: SSEClient) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    while (event := client.next_event()) is not None:
        events.append(event)
    return events


def test_the_reply_streams_as_server_sent_events(
    relay: tuple[int, str], api: LocalPhosonServer
) -> None:
    """200 with `text/event-stream`, `Cache-Control: no-cache` and `X-Accel-Buffering: no`;
    the body is the run's events, each under its type, all but the last with a relay id."""
    with browser(relay, conversation(api)) as client:
        assert client.status == 200
        assert client.headers["content-type"].startswith("text/event-stream")
        assert client.headers["cache-control"] == "no-cache"
        assert client.headers["x-accel-buffering"] == "no"
        events = events_of(client)
    assert client.raw.startswith(b"retry: 1000\n\n")
    assert events[-1].event == "run_done"
    assert json.loads(events[-1].data)["content"] == reply_text("Hi")
    assert "".join(json.loads(e.data)["content"] for e in events[:-1]) == reply_text("Hi")
    assert all(e.id for e in events[:-1])
    assert api.api_key.encode() not in client.raw


def test_a_missing_conversation_is_a_json_404(
    relay: tuple[int, str], api: LocalPhosonServer
) -> None:
    """A stream that cannot open because the conversation does not exist is a JSON 404 (not
    Django's 500 page under WSGI, not an empty 200 under ASGI)."""
    with browser(relay, "conv_missing") as client:
        assert client.status == 404
        assert client.headers["content-type"] == "application/json"
        error = json.loads(client.body())["error"]
    assert error["type"] == "NotFoundError" and "Conversation not found" in error["message"]


def test_an_upstream_failure_is_a_json_502(relay: tuple[int, str], api: LocalPhosonServer) -> None:
    """The API failing behind the relay (a 503) is a JSON 502 naming the upstream status."""
    conv_id = conversation(api)
    api.fail_next(status=503)
    with browser(relay, conv_id) as client:
        assert client.status == 502
        error = json.loads(client.body())["error"]
    assert error["type"] == "InternalServerError" and error["status"] == 503


def test_a_reconnect_resumes_after_the_last_event_seen(
    relay: tuple[int, str], api: LocalPhosonServer
) -> None:
    """The browser hangs up after 3 events and reconnects with the last relay id: the second
    response sends exactly the rest of the run, and no second run starts."""
    conv_id = conversation(api)
    api.event_delay = 0.02
    with browser(relay, conv_id) as first:
        seen = [first.next_event() for _ in range(3)]
    assert all(event is not None for event in seen)
    last_id = seen[-1].id  # type: ignore[union-attr]
    with browser(relay, conv_id, last_event_id=last_id) as second:
        rest = events_of(second)
    texts = [json.loads(e.data)["content"] for e in [*seen, *rest] if e and e.event == "token"]
    assert "".join(texts) == reply_text("Hi")
    assert api.stats.runs_created == 1


def test_a_forged_last_event_id_is_a_400(relay: tuple[int, str], api: LocalPhosonServer) -> None:
    """A Last-Event-ID that was altered is refused with a JSON 400, and nothing reaches the
    API."""
    conv_id = conversation(api)
    with browser(relay, conv_id) as first:
        relay_id = first.next_event().id  # type: ignore[union-attr]
        events_of(first)
    requests = len(api.stats.requests)
    with browser(relay, conv_id, last_event_id=relay_id[:-2] + "xx") as client:
        assert client.status == 400
        assert json.loads(client.body())["error"]["type"] == "InvalidRelayIdError"
    assert len(api.stats.requests) == requests


def test_the_browser_going_away_closes_the_api_stream_within_a_second(
    relay: tuple[int, str], api: LocalPhosonServer
) -> None:
    """The browser hangs up mid-reply while the API is between two events (1.2 s apart: the
    relay writes nothing meanwhile, so no failed write tells it): the relay closes its API
    stream within 1 s (the local server sees its client go away)."""
    conv_id = conversation(api)
    api.event_delay = 1.2
    with browser(relay, conv_id) as client:
        assert client.next_event() is not None
        disconnects = api.stats.disconnects
    hung_up = time.monotonic()
    while api.stats.disconnects == disconnects:
        assert time.monotonic() - hung_up < 1.0, "the API stream outlived the browser by 1 s"
        time.sleep(0.01)


def test_a_silent_api_gets_heartbeats_through(
    relay: tuple[int, str], api: LocalPhosonServer
) -> None:
    """While the API says nothing, the relay sends its comment heartbeat (here every 0.1 s)."""
    conv_id = conversation(api)
    Clients.heartbeat = 0.1
    api.event_delay = 0.35
    with browser(relay, conv_id) as client:
        for _ in range(3):
            assert client.next_event() is not None
    assert client.raw.count(b": keep-alive") >= 2
