"""Django views that stream an agent's reply to the browser as it is generated.

Which view to use depends on how Django is served:

- **WSGI** (gunicorn's default workers, uWSGI, `manage.py runserver`): `stream_reply`, a plain
  view with the blocking `PhosonClient`. Django sends each piece the generator yields.
- **ASGI** (uvicorn, daphne, hypercorn, gunicorn with uvicorn workers): `stream_reply_async`,
  an async view with `AsyncPhosonClient`. Under ASGI Django must read a plain generator to the
  end before it sends anything (it warns "StreamingHttpResponse must consume synchronous
  iterators in order to serve them asynchronously"), so the browser would get the reply only
  when the run ends; an async generator streams.

One client per process is shared by every request (each pools its connections;
`PhosonClient` is thread-safe, `AsyncPhosonClient` serves the server's one event loop), made
on first use so importing this module needs no key.

Wire it into a project:

    # urls.py
    from examples.django_view import urlpatterns as phoson_urls
    urlpatterns = [path("phoson/", include(phoson_urls))]

    GET /phoson/conversations/<conversation_id>/reply?message=Hello        (WSGI)
    GET /phoson/conversations/<conversation_id>/reply-async?message=Hello  (ASGI)

Set PHOSON_API_KEY (and PHOSON_BASE_URL for a local server) in the process environment.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

from django.http import HttpRequest, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path

from phoson import AsyncPhosonClient, PhosonClient, PhosonError


@functools.cache
def phoson_client() -> PhosonClient:
    """The process-wide blocking client (WSGI), made on first use."""
    return PhosonClient()


@functools.cache
def async_phoson_client() -> AsyncPhosonClient:
    """The process-wide async client (ASGI), made on first use."""
    return AsyncPhosonClient()


def _streaming(body: Iterator[str] | AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tell nginx not to buffer the stream
    return response


def stream_reply(request: HttpRequest, conversation_id: str) -> HttpResponseBase:
    """WSGI: send `?message=` to the conversation and stream the reply as plain text."""
    message = request.GET.get("message", "").strip()
    if not message:
        return HttpResponseBadRequest("add ?message=... to the URL\n")
    stream = phoson_client().messages.stream(conversation_id, message)

    def body() -> Iterator[str]:
        # The `with` block closes the API stream even if the browser goes away mid-reply
        # (Django then closes this generator).
        with stream:
            try:
                yield from stream.text_stream
            except PhosonError as error:
                yield f"\n[error: {error}]\n"

    return _streaming(body())


async def stream_reply_async(request: HttpRequest, conversation_id: str) -> HttpResponseBase:
    """ASGI: the same, with an async generator, which Django streams under ASGI."""
    message = request.GET.get("message", "").strip()
    if not message:
        return HttpResponseBadRequest("add ?message=... to the URL\n")
    stream = async_phoson_client().messages.stream(conversation_id, message)

    async def body() -> AsyncIterator[str]:
        # A browser that goes away cancels the response; the `with` block closes the stream.
        async with stream:
            try:
                async for text in stream.text_stream:
                    yield text
            except PhosonError as error:
                yield f"\n[error: {error}]\n"

    return _streaming(body())


urlpatterns = [
    path("conversations/<str:conversation_id>/reply", stream_reply, name="phoson-stream-reply"),
    path(
        "conversations/<str:conversation_id>/reply-async",
        stream_reply_async,
        name="phoson-stream-reply-async",
    ),
]
