"""`phoson.web`'s relay: a message stream as Server-Sent Events for a browser.

The body class is the response body. Its first item is the `retry:` hint; then every event of
the stream, each with the signed relay id that resumes right after it; a comment heartbeat
whenever the stream has been silent for `heartbeat` seconds; an `error` event if the stream
fails after the response started. The stream is read by a producer in the background
(`phoson._pump`), so that waiting for the next event can end in a heartbeat without abandoning
a read half-way, which would break the connection.

The body owns the stream: it closes it when the stream ends, when the body is closed, and
when the task reading the body is cancelled (the ASGI server's way of saying the browser went
away) or the body raises, so the API connection never outlives the browser's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Self, cast

from .._exceptions import PhosonError
from .._pump import ENDED, AsyncPump
from .._relay import HEARTBEAT, InvalidRelayIdError, RelayFrames, RelaySigner, error_frame
from .._stream_closer import Shielded
from .._types import RequestOptions
from ._resources import AsyncMessages
from ._streaming import AsyncMessageStream

__all__ = ["AsyncSSEBody", "resume_relay"]

#: How often the blocking body asks `disconnected()` while it waits (the event-loop servers
#: cancel the body instead).
_POLL = 0.25


def resume_relay(
    stream: AsyncMessageStream, last_event_id: str | None, signer: RelaySigner
) -> AsyncMessageStream:
    """The stream a relay should send: `stream` itself when the browser sent no
    `Last-Event-ID`; else the same run resumed right after the event that id was sent with.

    `stream` is the one the view made for this request (not yet opened): a resumed run must be
    of its conversation, so a relay id from another conversation is refused. Raises
    `InvalidRelayIdError` (a `PhosonError`) for an id this application did not sign or signed
    for another conversation; nothing is sent then.
    """
    if not last_event_id:
        return stream
    token = signer.verify(last_event_id)
    # The view's per-call options (timeout, headers, ...) apply; the token brings the request's
    # body and idempotency key.
    options = {
        name: value
        for name, value in stream._options.items()
        if name not in ("idempotency_key", "extra_body")
    }
    resumed = AsyncMessages(stream._requester).resume(token, **cast(RequestOptions, options))
    call, original = resumed._call, stream._call
    if (call.method, call.path) != (original.method, original.path):
        raise InvalidRelayIdError("Last-Event-ID belongs to another conversation: not resumed")
    return resumed


class AsyncSSEBody:
    """The stream as browser-ready SSE bytes (see the module's docstring)."""

    __slots__ = ("_disconnected", "_done", "_frames", "_heartbeat", "_pump", "_stream")

    def __init__(
        self,
        stream: AsyncMessageStream,
        signer: RelaySigner,
        *,
        heartbeat: float,
        retry: float,
        disconnected: Callable[[], bool] | None = None,
    ) -> None:
        if not heartbeat > 0:
            raise ValueError("heartbeat must be > 0 seconds")
        if not retry >= 0:
            raise ValueError("retry must be >= 0 seconds")
        self._stream = stream
        self._frames = RelayFrames(signer, retry)
        self._heartbeat = heartbeat
        self._disconnected = disconnected
        self._pump: AsyncPump[bytes] | None = None
        self._done = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._stream!r}>"

    @property
    def stream(self) -> AsyncMessageStream:
        """The stream being relayed (the resumed one, after a reconnect)."""
        return self._stream

    async def open(self) -> None:
        """Open the stream now, before the response starts, so that an error opening it (a
        `PhosonError`: 404 for a missing conversation, ...) can still become the response's
        status. The stream is closed when this raises."""
        try:
            await self._stream.__aenter__()
        except BaseException:
            await self.aclose()
            raise

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        pump = self._pump
        if pump is None:
            # The first item goes out at once: the browser sees the response start.
            self._pump = pump = AsyncPump()
            pump.start(functools.partial(_produce, pump, self._stream, self._frames))
            return self._frames.opening()
        try:
            return await self._next_frame(pump)
        except BaseException:
            # Cancelled (the browser went away), or the body failed: close the stream now.
            await self.aclose()
            raise

    async def _next_frame(self, pump: AsyncPump[bytes]) -> bytes:
        disconnected = self._disconnected
        waited = 0.0
        while True:
            wait = self._heartbeat - waited
            if disconnected is not None:
                wait = min(wait, _POLL)
            frame = await pump.get(wait)
            if isinstance(frame, bytes):
                return frame
            if frame is ENDED:
                await self.aclose()
                raise StopAsyncIteration
            waited += wait
            if disconnected is not None and disconnected():
                await self.aclose()
                raise StopAsyncIteration
            if waited >= self._heartbeat:
                return HEARTBEAT

    def __del__(self) -> None:
        # Dropped unclosed (no server does: they close or cancel): the producer stops at its
        # next event, and closes the stream as it leaves.
        pump = self._pump
        if pump is not None and not self._done:
            pump.close()

    async def aclose(self) -> None:
        """Stop: close the stream (and its API connection) now. Safe to call more than once."""
        self._done = True
        pump = self._pump
        if pump is not None:
            pump.close()
        async with Shielded():  # also in a cancelled task: the connection must be closed
            await self._stream.close()


async def _produce(pump: AsyncPump[bytes], stream: AsyncMessageStream, frames: RelayFrames) -> None:
    """The producer, in the background: reads the stream and hands each frame over. It holds
    the pump, the stream and the frames but not the body, which can so be dropped."""
    try:
        async with stream:
            frames.set_token(getattr(stream, "resume_token", None))
            async for sse in stream.iter_sse():
                if not await pump.put(frames.event(sse)):
                    return  # the body was closed
    except PhosonError as error:
        await pump.put(error_frame(error))
