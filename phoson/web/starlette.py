"""Relay a message stream from a Starlette or FastAPI endpoint to the browser as Server-Sent
Events.

    @app.get("/conversations/{conversation_id}/reply")
    async def reply(request: Request, conversation_id: str, message: str) -> Response:
        stream = client.messages.stream(conversation_id, message)
        return await sse_response(request, stream, secret=SECRET)

The response is a `StreamingResponse` (`text/event-stream`, `Cache-Control: no-cache`,
`X-Accel-Buffering: no`) of `phoson.web.to_sse(stream)`, its relay ids signed with `secret`.
The stream is opened before the response starts, so a `PhosonError` there becomes a JSON answer
with a fitting status (404 for a missing conversation, 502 for a failure behind the relay, 400
for a forged `Last-Event-ID`). The response listens for the browser's disconnect whatever the
server's ASGI version, and closes the API stream at once when it comes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .._exceptions import PhosonError
from .._relay import DEFAULT_HEARTBEAT, DEFAULT_RETRY, error_json, error_status
from . import CONTENT_TYPE, HEADERS, to_sse

if TYPE_CHECKING:
    from .._async._relay import AsyncSSEBody
    from .._async._streaming import AsyncMessageStream

__all__ = ["SSEResponse", "error_response", "sse_response"]


def error_response(error: PhosonError) -> Response:
    """The JSON answer for a stream that could not be opened (`phoson.web.error_status`)."""
    return Response(
        error_json(error), status_code=error_status(error), media_type="application/json"
    )


class SSEResponse(StreamingResponse):
    """A `StreamingResponse` of a relay's body that always listens for the disconnect (Starlette
    does so only for servers of ASGI spec < 2.4) and closes the body, so the API stream, when
    the response ends in any way."""

    def __init__(self, body: AsyncSSEBody) -> None:
        super().__init__(body, media_type=CONTENT_TYPE, headers=HEADERS)
        self._relay_body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._relay_body
        try:
            async with anyio.create_task_group() as group:

                async def respond() -> None:
                    try:
                        await self.stream_response(send)
                    except OSError:
                        pass  # the browser went away while we wrote
                    group.cancel_scope.cancel()

                group.start_soon(respond)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await body.aclose()
        if self.background is not None:
            await self.background()


async def sse_response(
    request: Request,
    stream: AsyncMessageStream,
    *,
    secret: str | bytes,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> Response:
    """The relay's response for `stream` (see the module's docstring): an `SSEResponse`, or
    the JSON error response if the stream cannot be opened.

    `stream` is made by the endpoint for this request and not yet opened; on a reconnect (the
    request carries `Last-Event-ID`) it is replaced by the same run, resumed, and never opened.
    """
    try:
        body = to_sse(
            stream,
            secret=secret,
            last_event_id=request.headers.get("last-event-id"),
            heartbeat=heartbeat,
            retry=retry,
        )
        await body.open()
    except PhosonError as error:
        return error_response(error)
    return SSEResponse(body)
