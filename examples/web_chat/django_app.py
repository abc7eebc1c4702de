"""The chat page served by Django: plain views with `PhosonClient` under WSGI, async views with
`AsyncPhosonClient` under ASGI (where Django would buffer a plain generator to its end).

`configure(asgi=...)` sets Django up in code (a real project has these in settings.py and
urls.py); `app.py` runs it. The views:

    GET  /                   the page (index.html)
    POST /api/conversations  a new conversation: {"conversation_id": ...}
    GET  /api/reply?conversation_id=&message=&key=
                             the reply as Server-Sent Events (phoson.web.django.sse_response)

One client per process, made on first use, serves every request (`PhosonClient` is
thread-safe; `AsyncPhosonClient` serves the server's event loop). They read PHOSON_API_KEY and
PHOSON_BASE_URL.
"""

from __future__ import annotations

import functools
import os
import secrets

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from examples.web_chat import shared
from phoson import AsyncPhosonClient, PhosonClient, PhosonError
from phoson.web.django import error_response, sse_response


@functools.cache
def client() -> PhosonClient:
    return PhosonClient()


@functools.cache
def async_client() -> AsyncPhosonClient:
    return AsyncPhosonClient()


def bad_request(message: str) -> HttpResponse:
    return JsonResponse({"error": {"type": "BadRequest", "message": message}}, status=400)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(shared.PAGE, content_type="text/html; charset=utf-8")


# -- WSGI: the blocking client ------------------------------------------------------------


@csrf_exempt  # a demo without sessions; a real app keeps CSRF protection on
@require_POST
def new_conversation(request: HttpRequest) -> HttpResponse:
    phoson = client()
    try:
        agent_id = shared.agent_id(phoson.agents.list())
        if agent_id is None:
            agent_id = phoson.agents.create(
                name=shared.AGENT_NAME, description=shared.AGENT_DESCRIPTION
            ).id
        conversation = phoson.conversations.create(agent_id, title="web chat")
    except PhosonError as error:
        return error_response(error)
    return JsonResponse({"conversation_id": conversation.id})


@require_GET
def reply(request: HttpRequest) -> HttpResponseBase:
    asked = shared.reply_request(request.GET)
    if isinstance(asked, str):
        return bad_request(asked)
    conversation_id, message, key = asked
    # Made again, the same, when the browser reconnects: sse_response then resumes the run
    # named by Last-Event-ID instead of sending this one.
    stream = client().messages.stream(conversation_id, message, idempotency_key=key)
    return sse_response(request, stream)


# -- ASGI: the async client ---------------------------------------------------------------


@csrf_exempt
@require_POST
async def new_conversation_async(request: HttpRequest) -> HttpResponse:
    phoson = async_client()
    try:
        agent_id = shared.agent_id(await phoson.agents.list())
        if agent_id is None:
            agent_id = (
                await phoson.agents.create(
                    name=shared.AGENT_NAME, description=shared.AGENT_DESCRIPTION
                )
            ).id
        conversation = await phoson.conversations.create(agent_id, title="web chat")
    except PhosonError as error:
        return error_response(error)
    return JsonResponse({"conversation_id": conversation.id})


@require_GET
async def reply_async(request: HttpRequest) -> HttpResponseBase:
    asked = shared.reply_request(request.GET)
    if isinstance(asked, str):
        return bad_request(asked)
    conversation_id, message, key = asked
    stream = async_client().messages.stream(conversation_id, message, idempotency_key=key)
    return await sse_response(request, stream)


def urls(asgi: bool) -> list[URLPattern]:
    return [
        path("", page),
        path("api/conversations", new_conversation_async if asgi else new_conversation),
        path("api/reply", reply_async if asgi else reply),
    ]


#: Set by `configure`: this module is the URLconf.
urlpatterns: list[URLPattern] = []


def configure(*, asgi: bool) -> None:
    """Django's settings for this one-module app (settings.py and urls.py in a project)."""
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        # Signs the relay ids: every process serving the app needs the same one.
        SECRET_KEY=os.environ.get("WEB_CHAT_SECRET_KEY") or secrets.token_urlsafe(32),
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        INSTALLED_APPS=[],
        LOGGING_CONFIG=None,
    )
    import django

    django.setup()
    urlpatterns[:] = urls(asgi)
