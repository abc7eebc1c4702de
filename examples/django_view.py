"""A Django view that streams an agent's reply to the browser as it is generated.

One `PhosonClient` is shared by every request and thread of the process (it is thread-safe and
pools its connections); the view hands Django a generator, and `StreamingHttpResponse` sends
each piece of text as soon as the agent produces it.

Wire it into a project:

    # urls.py
    from examples.django_view import urlpatterns as phoson_urls
    urlpatterns = [path("phoson/", include(phoson_urls))]

    GET /phoson/conversations/<conversation_id>/reply?message=Hello

Set PHOSON_API_KEY (and PHOSON_BASE_URL for a local server) in the process environment.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path

from phoson import PhosonClient, PhosonError


@functools.cache
def phoson_client() -> PhosonClient:
    """The process-wide client, made on first use (so importing this module needs no key)."""
    return PhosonClient()


def stream_reply(request: HttpRequest, conversation_id: str) -> HttpResponseBase:
    """Send `?message=` to the conversation and stream the reply as plain text."""
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

    response = StreamingHttpResponse(body(), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tell nginx not to buffer the stream
    return response


urlpatterns = [
    path("conversations/<str:conversation_id>/reply", stream_reply, name="phoson-stream-reply"),
]
