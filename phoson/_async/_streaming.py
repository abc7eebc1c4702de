"""`messages.stream()`'s result: an iterator of typed events over one HTTP response.

The request is sent lazily, when the stream is entered (`with`) or first iterated. Leaving the
loop early, an exception, or the end of the `with` block closes the response at once. If the
connection drops mid-run after events with ids arrived, the stream resumes the run with
`Last-Event-ID`; if it cannot, it raises `IncompleteStreamError` rather than end quietly.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType
from typing import Self, cast

import httpx

from .. import _sleep
from .._config import new_idempotency_key
from .._exceptions import (
    PhosonError,
    PhosonResponseValidationError,
    RunFailedError,
)
from .._logging import logger
from .._models import RunDoneEvent, StreamEvent
from .._sse import ServerSentEvent
from .._streaming import StreamState
from .._tracing import NO_SPAN, CallSpan
from .._types import WriteRequestOptions
from .._wire import Call
from ._requester import AsyncRequester

__all__ = ["AsyncMessageStream"]

#: How many chunks after the final event are read (and ignored) before the response is closed.
DRAIN_CHUNKS = 4


class AsyncMessageStream:
    """The events of one run, as they arrive.

    Iterate it for typed `StreamEvent`s, iterate `text_stream` for the reply text only, or call
    `until_done()` for the final `RunDoneEvent`. `iter_sse()` gives the raw server-sent events,
    including types this SDK does not know yet.
    """

    def __init__(self, requester: AsyncRequester, call: Call, options: WriteRequestOptions) -> None:
        self._requester = requester
        self._call = call
        self._options = options
        # One key for the whole run: retries and resumes must reach the same run.
        self._idempotency_key = options.get("idempotency_key") or new_idempotency_key()
        self._state = StreamState(requester.config.max_event_size)
        self._response: httpx.Response | None = None
        self._chunks: AsyncGenerator[bytes, None] | None = None
        self._request_id: str | None = None
        self._reconnects = 0
        self._closed = False
        # The call's span, started when the request first goes out (NO_SPAN: not traced).
        self._span: CallSpan = NO_SPAN

    def __repr__(self) -> str:
        status = "closed" if self._closed else "open" if self._response is not None else "unopened"
        return (
            f"<{type(self).__name__} {self._call.method} {self._call.path} {status}, "
            f"{self._state.events_received} events>"
        )

    # -- What a caller can look at ---------------------------------------------------------

    @property
    def request_id(self) -> str | None:
        """The `x-request-id` of the (latest) response, once the stream has been opened."""
        return self._request_id

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response, once the stream has been opened."""
        return self._response

    @property
    def last_event_id(self) -> str:
        """The `id:` of the last event received ("" if none)."""
        return self._state.last_event_id

    @property
    def events_received(self) -> int:
        """How many server-sent events have arrived, over every connection."""
        return self._state.events_received

    # -- Opening and closing ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._chunks is None and not self._closed:
            try:
                await self._open()
            except BaseException as error:
                self._span_failed(error)
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP response now; safe to call more than once."""
        self._closed = True
        self._span.end_stream(self._state)
        await self._close_response()

    async def _close_response(self) -> None:
        response, chunks = self._response, self._chunks
        self._response = self._chunks = None
        try:
            if chunks is not None:
                # Close the body iterator too, not only the response: an iterator left
                # suspended is finalized later by the garbage collector, which some event loops
                # warn about.
                await chunks.aclose()
            if response is not None:
                await response.aclose()
        except httpx.HTTPError:
            pass  # the connection broke while closing: it is gone either way

    async def _open(self) -> AsyncGenerator[bytes, None]:
        """Send the request (again, with `Last-Event-ID`, when resuming) and check the answer."""
        if self._span is NO_SPAN:
            # One span for the whole stream, every reconnect included; ended when it ends.
            self._span = self._requester.tracer.start(self._call)
            self._span.watch(self, self._state)
        with self._span.current():
            response = await self._requester.send(
                self._call,
                self._options,
                stream=True,
                idempotency_key=self._idempotency_key,
                last_event_id=self._state.last_event_id or None,
                span=self._span,
            )
        self._response = response
        self._request_id = response.headers.get("x-request-id", self._request_id)
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            # A 2xx that is not an event stream (a proxy's page, a JSON body): say so.
            try:
                body = await response.aread()
            except httpx.HTTPError:
                body = b""  # the body is only quoted in the message; the status says enough
            finally:
                await self.close()
            raise PhosonResponseValidationError(
                f"expected an event stream but got {content_type or 'no content type'!r}",
                status_code=response.status_code,
                body=body.decode("utf-8", "replace"),
                request_id=self._request_id,
            )
        # httpx declares the byte iterator as an iterator; it is a generator, which can be closed.
        self._chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
        return self._chunks

    def _span_failed(self, error: BaseException) -> None:
        """End the span with the error that ends the stream (not when a loop is left early)."""
        if not isinstance(error, GeneratorExit):
            self._span.end_stream(self._state, error=error)

    # -- Reading ---------------------------------------------------------------------------

    async def _next_batch(self) -> list[ServerSentEvent] | None:
        """The events decoded from the next chunk, or None once the run has finished."""
        state = self._state
        while not state.finished:
            chunks = self._chunks
            if chunks is None:
                if self._closed:
                    raise PhosonError(
                        f"this stream was closed before its run finished "
                        f"({state.events_received} events received); start a new stream"
                    )
                chunks = await self._open()
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                await self._resume_or_raise("the connection closed", None)
                continue
            except httpx.HTTPError as exc:
                await self._resume_or_raise(f"{type(exc).__name__}: {exc}", exc)
                continue
            batch = state.feed(chunk)
            if self._state.finished:
                self._span.end_stream(state, batch)  # the stream's span ends at the final event
            if batch:
                self._reconnects = 0
                return batch
        await self._finish_response()
        return None

    async def _finish_response(self) -> None:
        """After the final event: read the (empty) rest of the body, so the connection goes
        back to the pool, then close. A server that keeps talking is cut off after a few
        chunks."""
        chunks = self._chunks
        try:
            if chunks is not None:
                for _ in range(DRAIN_CHUNKS):
                    await chunks.__anext__()
        except (StopAsyncIteration, httpx.HTTPError):
            pass
        finally:
            await self._close_response()

    async def _resume_or_raise(self, reason: str, exc: httpx.HTTPError | None) -> None:
        """After a break: reconnect with `Last-Event-ID` if the run can resume, else raise."""
        await self._close_response()
        state = self._state
        max_retries = self._options.get("max_retries", self._requester.config.max_retries)
        timed_out = isinstance(exc, httpx.TimeoutException)
        if not state.can_resume() or self._reconnects >= max_retries:
            if state.can_resume():
                reason += f"; gave up after {self._reconnects} reconnects"
            self._closed = True
            raise state.incomplete(reason, timed_out=timed_out) from exc
        delay = state.reconnect_delay(self._reconnects)
        self._reconnects += 1
        self._span.reconnect(self._reconnects, delay, reason, state.last_event_id)
        logger.info(
            "stream %s broke after %d events (%s); resuming after id %r in %.2f s (%d of %d)",
            self._call.path,
            state.events_received,
            reason,
            state.last_event_id,
            delay,
            self._reconnects,
            max_retries,
        )
        await _sleep.asleep(delay)
        state.reconnected()
        try:
            await self._open()
        except PhosonError as error:
            self._closed = True
            raise state.incomplete(f"{reason}; resuming failed: {error}") from error

    async def _iter_events(self) -> AsyncGenerator[StreamEvent, None]:
        state = self._state
        try:
            while (batch := await self._next_batch()) is not None:
                for sse in batch:
                    event = state.typed(sse)
                    if event is not None:
                        yield event
        except BaseException as error:
            self._span_failed(error)
            raise
        finally:
            await self.close()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iter_events()

    def iter_sse(self) -> AsyncIterator[ServerSentEvent]:
        """The raw server-sent events, every type included, with their `id` and `retry`."""
        return self._iter_sse()

    async def _iter_sse(self) -> AsyncGenerator[ServerSentEvent, None]:
        try:
            while (batch := await self._next_batch()) is not None:
                for sse in batch:
                    yield sse
        except BaseException as error:
            self._span_failed(error)
            raise
        finally:
            await self.close()

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """Only the reply text, token by token. Raises `RunFailedError` if the run fails."""
        return self._iter_text()

    async def _iter_text(self) -> AsyncGenerator[str, None]:
        events = self._iter_events()
        try:
            async for event in events:
                if event.type == "token":
                    yield event.content
                elif event.type == "error":
                    raise RunFailedError(event.message, request_id=self._request_id)
        finally:
            await events.aclose()

    async def until_done(self) -> RunDoneEvent:
        """Read the rest of the stream and return its `RunDoneEvent`.

        Raises `RunFailedError` if the run ended with an `error` event, and
        `IncompleteStreamError` if the stream ended before either.
        """
        if self._state.final is None:
            async for _ in self:
                pass
        final = self._state.final
        if final is None:
            raise self._state.incomplete("the stream ended without a typed final event")
        if final.type == "error":
            raise RunFailedError(final.message, request_id=self._request_id)
        return final
