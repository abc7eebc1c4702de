"""Relay a message stream from a Django view to the browser as Server-Sent Events.

One helper serves both ways Django runs:

    # WSGI (gunicorn, uWSGI, runserver): a plain view and the blocking client
    def reply(request, conversation_id):
        stream = client.messages.stream(conversation_id, request.GET["message"])
        return sse_response(request, stream)

    # ASGI (uvicorn, daphne): an async view and the async client
    async def reply(request, conversation_id):
        stream = async_client.messages.stream(conversation_id, request.GET["message"])
        return await sse_response(request, stream)

The response is a `StreamingHttpResponse` (`text/event-stream`, `Cache-Control: no-cache`,
`X-Accel-Buffering: no`) of `phoson.web.to_sse(stream)`, its relay ids signed with
`settings.SECRET_KEY` unless `secret=` is given. The stream is opened before the response
starts, so a `PhosonError` there becomes a JSON answer with a fitting status (404 for a missing
conversation, 502 for a failure behind the relay, 400 for a forged `Last-Event-ID`) instead of
Django's 500 page (WSGI) or an empty 200 (ASGI). When the browser goes away the API stream is
closed within a second: under ASGI Django cancels the body; under WSGI the body watches the
browser's socket while it waits (where the server exposes it: gunicorn, `runserver`, wsgiref)
and otherwise notices at its next write.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, overload

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from .._exceptions import PhosonError
from .._relay import DEFAULT_HEARTBEAT, DEFAULT_RETRY, error_json, error_status
from . import CONTENT_TYPE, HEADERS, is_async_stream, to_sse

if TYPE_CHECKING:
    from .._async._relay import AsyncSSEBody
    from .._async._streaming import AsyncMessageStream
    from .._sync._relay import SSEBody
    from .._sync._streaming import MessageStream

__all__ = ["error_response", "sse_response"]


def error_response(error: PhosonError) -> HttpResponse:
    """The JSON answer for a stream that could not be opened (`phoson.web.error_status`)."""
    return HttpResponse(
        error_json(error), status=error_status(error), content_type="application/json"
    )


def _streaming(body: SSEBody | AsyncSSEBody) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPE)
    for name, value in HEADERS.items():
        response[name] = value
    return response


@overload
def sse_response(
    request: HttpRequest,
    stream: MessageStream,
    *,
    secret: str | bytes | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> HttpResponseBase: ...
@overload
def sse_response(
    request: HttpRequest,
    stream: AsyncMessageStream,
    *,
    secret: str | bytes | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> Coroutine[Any, Any, HttpResponseBase]: ...
def sse_response(
    request: HttpRequest,
    stream: MessageStream | AsyncMessageStream,
    *,
    secret: str | bytes | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> HttpResponseBase | Coroutine[Any, Any, HttpResponseBase]:
    """The relay's response for `stream` (see the module's docstring). With an
    `AsyncMessageStream` it returns a coroutine: `return await sse_response(request, stream)`.

    `stream` is made by the view for this request and not yet opened; on a reconnect (the
    request carries `Last-Event-ID`) it is replaced by the same run, resumed, and never opened.
    """
    key = settings.SECRET_KEY if secret is None else secret
    last_event_id = request.headers.get("Last-Event-ID")
    try:
        body = to_sse(
            stream, secret=key, last_event_id=last_event_id, heartbeat=heartbeat, retry=retry
        )
    except PhosonError as error:
        refused = error_response(error)
        if is_async_stream(stream):

            async def answer() -> HttpResponseBase:
                return refused

            return answer()
        return refused
    from .._async._relay import AsyncSSEBody

    if isinstance(body, AsyncSSEBody):
        return _open_async(body)
    try:
        body.open()
    except PhosonError as error:
        return error_response(error)
    body._disconnected = _peer_gone(request)
    return _streaming(body)


async def _open_async(body: AsyncSSEBody) -> HttpResponseBase:
    try:
        await body.open()
    except PhosonError as error:
        return error_response(error)
    return _streaming(body)


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The browser's socket under WSGI, where the server lets it be found: gunicorn names it;
    wsgiref and `runserver` read the request from a file over it."""
    meta = request.META
    found = meta.get("gunicorn.socket")
    if isinstance(found, socket.socket):
        return found
    stream: Any = meta.get("wsgi.input")
    # Django's LimitedStream (its bound `_read`) > BufferedReader (`raw`) > SocketIO (`_sock`).
    for _ in range(4):
        if stream is None or isinstance(stream, socket.socket):
            break
        stream = (
            getattr(getattr(stream, "_read", None), "__self__", None)
            or getattr(stream, "raw", None)
            or getattr(stream, "_sock", None)
        )
    return stream if isinstance(stream, socket.socket) else None


def _peer_gone(request: HttpRequest) -> Callable[[], bool] | None:
    """A check that the browser closed its connection (an end of file waiting on the socket),
    or None when the server does not expose the socket."""
    sock = _client_socket(request)
    if sock is None:
        return None

    def gone() -> bool:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):  # closed already: gone
            return True

    return gone
