"""Relay a message stream to a browser as Server-Sent Events, resumable across reconnects.

    body = phoson.web.to_sse(stream, secret=SECRET, last_event_id=request_header)

`to_sse` turns a `MessageStream` into a plain iterator of bytes and an `AsyncMessageStream`
into an async iterator: each event as `event:` (its type), `data:` (its JSON) and `id:` (a
relay id), a comment heartbeat every 15 s while the stream is silent, and a `retry:` hint.

A relay id is the run's resume token signed with HMAC-SHA256 under your secret. When the
browser's `EventSource` reconnects it sends the last one as `Last-Event-ID`; pass that header
as `last_event_id=` and the relay continues the same run right after that event (no event is
repeated, no second run starts). An id that was altered or signed under another secret raises
`InvalidRelayIdError` at once (answer 400); a relay id never contains the API key.

`phoson.web.django.sse_response` and `phoson.web.starlette.sse_response` do all of it for
their framework: headers, opening the stream before the response starts (so an error becomes
a JSON answer with a fitting status: `error_status`, `error_json`), and closing the API stream
as soon as the browser goes away. Neither framework is imported by this module.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, cast, overload

from .._relay import (
    DEFAULT_HEARTBEAT,
    DEFAULT_RETRY,
    InvalidRelayIdError,
    RelaySigner,
    error_json,
    error_status,
)

if TYPE_CHECKING:
    from .._async._relay import AsyncSSEBody
    from .._async._streaming import AsyncMessageStream
    from .._sync._relay import SSEBody
    from .._sync._streaming import MessageStream

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_HEARTBEAT",
    "DEFAULT_RETRY",
    "HEADERS",
    "AsyncSSEBody",
    "InvalidRelayIdError",
    "SSEBody",
    "error_json",
    "error_status",
    "to_sse",
]

#: The response's content type.
CONTENT_TYPE = "text/event-stream"
#: The other headers a relay's response needs: no caching, and no buffering by nginx.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def is_async_stream(stream: object) -> bool:
    """Whether `stream` is an `AsyncMessageStream` (without loading the async client: its
    module is loaded if `stream` is one)."""
    async_streams = sys.modules.get("phoson._async._streaming")
    return async_streams is not None and isinstance(stream, async_streams.AsyncMessageStream)


@overload
def to_sse(
    stream: MessageStream,
    *,
    secret: str | bytes,
    last_event_id: str | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> SSEBody: ...
@overload
def to_sse(
    stream: AsyncMessageStream,
    *,
    secret: str | bytes,
    last_event_id: str | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> AsyncSSEBody: ...
def to_sse(
    stream: MessageStream | AsyncMessageStream,
    *,
    secret: str | bytes,
    last_event_id: str | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    retry: float = DEFAULT_RETRY,
) -> SSEBody | AsyncSSEBody:
    """`stream` as browser-ready Server-Sent Events (bytes): an iterator for a `MessageStream`,
    an async iterator for an `AsyncMessageStream`.

    - `secret`: signs the relay ids (your application's secret; Django's `SECRET_KEY` in the
      Django helper). Every process that may serve the reconnect needs the same one.
    - `last_event_id`: the request's `Last-Event-ID` header, if any. Then the body continues
      the run right after that event instead of opening `stream` (which must be the same
      request: the view's own `messages.stream(...)`, made again as on the first request;
      it is never opened). An id not signed under `secret` raises `InvalidRelayIdError` here,
      before anything is sent.
    - `heartbeat`: seconds of silence after which a comment line is sent (default 15).
    - `retry`: seconds the browser waits before reconnecting (the `retry:` hint; default 1).

    The body owns the stream: it closes it at its end, on `close()` / `aclose()`, and when the
    server stops reading it (the browser went away). The stream opens when the body is first
    read; call `body.open()` (`await body.open()`) before the response starts to get the
    opening's `PhosonError` (404 for a missing conversation, ...) while you can still answer
    with a status: `error_status(error)` and `error_json(error)`. After the response started,
    a failure is sent as an `error` event (`{"type": "error", "message": ...}`) without an id.
    """
    signer = RelaySigner(secret)
    if is_async_stream(stream):
        from .._async._relay import AsyncSSEBody
        from .._async._relay import resume_relay as aresume

        resumed = aresume(cast("AsyncMessageStream", stream), last_event_id, signer)
        return AsyncSSEBody(resumed, signer, heartbeat=heartbeat, retry=retry)
    from .._sync._relay import SSEBody, resume_relay
    from .._sync._streaming import MessageStream

    if not isinstance(stream, MessageStream):
        raise TypeError(
            f"to_sse() takes a MessageStream or AsyncMessageStream, not {type(stream).__name__}"
        )
    return SSEBody(
        resume_relay(stream, last_event_id, signer), signer, heartbeat=heartbeat, retry=retry
    )


def __getattr__(name: str) -> object:
    # The body classes load their client on first use, as `phoson` itself does.
    if name == "AsyncSSEBody":
        from .._async._relay import AsyncSSEBody

        return AsyncSSEBody
    if name == "SSEBody":
        from .._sync._relay import SSEBody

        return SSEBody
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
