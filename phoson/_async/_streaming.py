"""`messages.stream()`'s result: an iterator of typed events over one HTTP response.

The request is sent lazily, when the stream is entered (`with`) or first iterated. The stream
ends at the run's final event (`run_done` or `error`), without waiting for the server to end
the body: the stream hands the response to its pool, which reads the end of the body in the
background and keeps the connection if it ends within a moment, else closes it
(`phoson._background`). If the connection drops mid-run after events
with ids arrived, the stream resumes the run with `Last-Event-ID` (skipping any event the server
sends again); if it cannot, it raises `IncompleteStreamError` rather than end quietly.

`close()` may be called from anywhere: the reading code, another task, another thread (for
the blocking client), during a read or a reconnect wait. It closes the response, and the
reader then ends quietly; no event is delivered and no request is sent after it returns. A
stream dropped without being closed gives its connection back when it is garbage-collected.

The iterators are classes, not generators, so that `close()` never meets a generator that is
"already running" in another task or thread; `phoson._stream_closer` coordinates the two sides.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import NoReturn, Self, cast

import httpx

from .. import _ownership, _sleep
from .._config import call_deadline, new_idempotency_key
from .._deadline import Deadline
from .._exceptions import (
    IncompleteStreamError,
    PhosonError,
    PhosonResponseValidationError,
    RunFailedError,
    reason_of,
)
from .._logging import logger
from .._misuse import aloop_check
from .._models import RunDoneEvent, StreamEvent
from .._options import check_call_options
from .._redact import clean_cause, redact_value
from .._resume_token import ResumePoint, encode_resume_token
from .._snapshot import ToolCall
from .._sse import ServerSentEvent
from .._stream_closer import StreamCloser, WakeOnClose
from .._streaming import StreamState, is_event_stream
from .._tracing import NO_SPAN, CallSpan
from .._types import WriteRequestOptions
from .._wire import Call
from ._requester import AsyncRequester

__all__ = ["AsyncMessageStream"]

#: How much of a 2xx answer that is not an event stream is read, to quote it in the error.
QUOTE_BYTES = 2048


class _CloseWhenDropped:
    """Closes `response` when closed, or, left unclosed by a stream that was garbage-collected,
    soon after in the response's own event loop: so an abandoned stream gives its connection
    back. (Not a generator: some event loops warn, naming it, when the collector finalizes
    one of theirs.)"""

    __slots__ = ("_generation", "_owner", "response")

    def __init__(self, response: httpx.Response) -> None:
        self.response: httpx.Response | None = response
        self._owner = _ownership.acurrent_owner()
        self._generation = _ownership.fork_generation

    async def aclose(self) -> None:
        response, self.response = self.response, None
        if response is not None:
            try:
                await response.aclose()
            except httpx.HTTPError:
                pass  # the connection broke while closing: it is gone either way

    def __del__(self) -> None:
        if self.response is not None and self._generation == _ownership.fork_generation:
            _ownership.acall_soon(self._owner, self.aclose)


class AsyncMessageStream:
    """The events of one run, as they arrive.

    Iterate it for typed `StreamEvent`s, iterate `text_stream` for the reply text only, or call
    `until_done()` for the final `RunDoneEvent`. `iter_sse()` gives the raw server-sent events,
    including types this SDK does not know yet. Leaving a loop early (`break`) keeps the
    response open: another loop, or `until_done()`, continues where it stopped; the end of the
    `with` block or `close()` closes it.
    """

    def __init__(
        self,
        requester: AsyncRequester,
        call: Call,
        options: WriteRequestOptions,
        *,
        resume: ResumePoint | None = None,
    ) -> None:
        aloop_check()  # the blocking client warns on a thread that runs an event loop
        self._requester = requester
        self._call = call
        # Checked now, before anything is sent (the request goes out on first use).
        options = cast(
            WriteRequestOptions,
            check_call_options(call.operation, options, changes_state=call.changes_state),
        )
        self._options = options
        # One key for the whole run: retries and resumes must reach the same run.
        self._idempotency_key = options.get("idempotency_key") or new_idempotency_key()
        self._state = StreamState(requester.config.max_event_size)
        if resume is not None:  # `messages.resume`: continue after the token's last event
            self._state.seed(resume.last_event_id, resume.first_event_id)
        # The latest resume token, and the last event id it was made for.
        self._token: tuple[str, str | None] | None = None
        self._closer = StreamCloser()
        self._response: httpx.Response | None = None
        #: The scope `close()` cancels to end a wait for the response's next bytes; None when
        #: it shuts the response's socket down instead (see `StreamCloser.wake_for_read`).
        self._read_wait: WakeOnClose | None = None
        # The latest response, kept after it is closed: its status and headers stay readable.
        self._last_response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._guard: _CloseWhenDropped | None = None
        self._pending: Iterator[ServerSentEvent] = iter(())
        # The chunk's events `_pending` hands out (kept to tell the last one delivered), and
        # the id a resume goes on after once the stream is closed (None: still open).
        self._batch: list[ServerSentEvent] = []
        self._closed_after: str | None = None
        self._request_id: str | None = None
        self._reconnects = 0
        self._opened = False
        self._failure: PhosonError | None = None
        # The call's span, started when the request first goes out (NO_SPAN: not traced).
        self._span: CallSpan = NO_SPAN
        # `deadline=`: the whole stream's end, set when the request first goes out; the timer
        # that ends the stream then, and what it was waiting for (in the error).
        self._deadline: Deadline | None = None
        self._stop_timer: Callable[[], None] | None = None
        self._deadline_hit = False
        self._waiting_for = ""

    def __repr__(self) -> str:
        if self._closer.closing:
            status = "closed"
        elif self._state.finished:
            status = "finished"
        else:
            status = "open" if self._opened else "unopened"
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
        """The (latest) HTTP response, once the stream has been opened: its status and headers
        stay readable after the stream has ended (its body is closed by then)."""
        return self._last_response

    @property
    def text(self) -> str:
        """The reply so far (the `token` contents), while iterating and after."""
        return self._state.snapshot.text

    @property
    def reasoning(self) -> str:
        """The reasoning so far (the `reasoning` contents)."""
        return self._state.snapshot.reasoning

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls so far, paired by id; `result` is None until its `tool_end`."""
        return self._state.snapshot.tool_calls

    @property
    def run_id(self) -> str | None:
        """The run's id, once its `run_done` has arrived."""
        return self._state.snapshot.run_id

    @property
    def last_event_id(self) -> str | None:
        """The `id:` of the last event received (None if none had one), as `run_id` is None
        before the run's id arrives."""
        return self._state.last_event_id or None

    @property
    def events_received(self) -> int:
        """How many server-sent events have arrived, over every connection."""
        return self._state.events_received

    @property
    def resume_token(self) -> str | None:
        """A string with which any process can continue this run: `messages.resume(token)`.

        It holds the request (path and JSON body), its idempotency key and the id of the
        last event handed to you (an event decoded but not yet delivered is not skipped),
        never the API key; it changes as events arrive. None before the
        request has gone out, once the run's final event has arrived (nothing is left), when
        the server gives its events no ids (the run cannot be resumed), or when the request
        is too large for a token (`phoson._resume_token.MAX_TOKEN_CHARS`).
        """
        state = self._state
        if not self._opened:
            return None
        last_event_id = self._delivered_event_id()
        if state.finished:
            if last_event_id == state.last_event_id:
                return None  # the final event was handed out: nothing is left
        elif not (last_event_id or state.events_received == 0):
            return None  # events without ids: the run cannot be resumed
        token = self._token
        if token is None or token[0] != last_event_id:
            call = self._call
            extra_body = self._options.get("extra_body")
            body = {**(call.body or {}), **extra_body} if extra_body else call.body
            point = ResumePoint(
                call.method,
                call.path,
                body,
                self._idempotency_key,
                last_event_id,
                state.first_event_id,
            )
            try:
                token = (last_event_id, encode_resume_token(point))
            except (TypeError, ValueError):  # an extra_body that is not JSON: no token
                token = (last_event_id, None)
            self._token = token
        return token[1]

    def _delivered_event_id(self) -> str:
        """The id of the last event handed to the caller: a resume goes on after it. (The
        stream's `last_event_id` is the last one decoded: a chunk of several events is handed
        out one by one.)"""
        if self._closed_after is not None:
            return self._closed_after
        batch = self._batch
        if batch:
            rest = list(self._pending)
            self._pending = iter(rest)
            if rest:
                return batch[len(batch) - len(rest) - 1].id  # the first is handed out at once
            self._batch = []
        return self._state.last_event_id

    @property
    def closed(self) -> bool:
        """True once `close()` was called (or the `with` block ended, or the stream failed)."""
        return self._closer.closing

    # -- Opening and closing ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if not self._opened and not self._closer.closing:
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
        """Close the HTTP response now; safe to call more than once, from any task or thread.

        A reader waiting for the next event (or before a reconnect) stops at once and ends
        quietly; after `close()` returns no event is delivered and no request is sent.
        """
        self._cancel_deadline()
        closer = self._closer
        self._span.end_stream(self._state)
        # 1. Stop the reader: it checks `closing` after every wait, and its wait ends now.
        closer.interrupt(self._response)
        if closer.aheld_here():
            # A signal handler that interrupted the reader in this thread (blocking client):
            # waiting for the reader would never end. The reader's wait is over; it closes the
            # response itself as soon as it runs again (it sees `closing`).
            self._drop_undelivered()
            return
        # 2. Once it has let go of the connection: drop the events it decoded but did not hand
        #    out (a chunk it was handing out as `close()` began included), then close the
        #    response (even in a task being cancelled: the connection must go back to the pool).
        async with closer.shielded(), closer:
            self._drop_undelivered()
            await self._close_response()

    def _drop_undelivered(self) -> None:
        """Closing: the resume point is the last event handed out; the rest are dropped."""
        if self._closed_after is None:
            self._closed_after = self._delivered_event_id()
        self._pending = iter(())

    async def _close_response(self) -> None:
        """Close the current response and its byte iterator. Called with the closer held."""
        chunks, guard = self._chunks, self._guard
        self._response = self._chunks = self._guard = None
        try:
            if chunks is not None:
                # Close the byte iterator too: one left suspended is finalized later by the
                # garbage collector, which some event loops warn about.
                await cast(AsyncGenerator[bytes, None], chunks).aclose()
        except httpx.HTTPError:
            pass  # the connection broke while closing: it is gone either way
        finally:
            if guard is not None:
                await guard.aclose()  # closes the response

    def _finish_response(self) -> None:
        """At the run's final event: hand the response to the pool, which reads the rest of
        its body in the background and then closes it (the pool's `finish`). Called with the
        gate held; the stream is done with the response from here on."""
        response, chunks, guard = self._response, self._chunks, self._guard
        self._response = self._chunks = self._guard = None
        if response is not None and chunks is not None and guard is not None:
            self._requester.pool.finish(response, chunks, guard)

    async def _open(self) -> None:
        """Send the request (again, with `Last-Event-ID`, when resuming) and check the answer."""
        closer = self._closer
        self._opened = True
        response: httpx.Response | None = None
        if self._span is NO_SPAN:
            # One span for the whole stream, every reconnect included; ended when it ends.
            self._span = self._requester.tracer.start(self._call)
            self._span.watch(self, self._state)
            # One deadline for the whole stream too: at its end the stream is interrupted as
            # `close()` would, wherever its reader is (or is not) waiting.
            self._deadline = deadline = call_deadline(self._requester.config, self._options)
            if deadline is not None:
                self._stop_timer = _sleep.acall_later(deadline.remaining(), self._deadline_passed)
        # 1. Send; `close()` from elsewhere cancels this (in the event-loop client).
        try:
            with self._span.current():
                async with closer.wake_on_close():
                    response = await self._requester.send(
                        self._call,
                        self._options,
                        stream=True,
                        idempotency_key=self._idempotency_key,
                        last_event_id=self._state.last_event_id or None,
                        span=self._span,
                        closer=closer,
                        deadline=self._deadline,
                    )
        except PhosonError as error:
            if not closer.closing:  # (closed meanwhile: the reader ends quietly)
                self._fail(error)
        if response is None:
            return  # closed while sending
        async with closer:
            # 2. Closed while the request was on its way: give the response straight back.
            self._guard = _CloseWhenDropped(response)
            self._response = self._last_response = response
            self._read_wait = closer.wake_for_read(response)
            if closer.closing:
                await self._close_response()
                return
            self._request_id = redact_value(response.headers.get("x-request-id", self._request_id))
            content_type = response.headers.get("content-type", "")
            if not is_event_stream(content_type):
                # 3. A 2xx that is not an event stream (a proxy's page, a JSON body): say so,
                #    quoting its start (not waiting for the rest).
                body = await self._read_start(response)
                await self._close_response()
                self._fail(
                    PhosonResponseValidationError(
                        f"expected an event stream but got {content_type or 'no content type'!r}",
                        status_code=response.status_code,
                        body=body.decode("utf-8", "replace"),
                        request_id=self._request_id,
                    )
                )
            # The body as it arrives: straight from the response's byte stream when the server
            # sent it unencoded (an event stream almost always), without the generator of
            # httpx's raw-bytes iterator, one layer less for every chunk (the stream is marked
            # consumed, as that iterator would); else decoded (or, read already by a transport
            # that buffers, from memory).
            stream = response.stream
            if (
                response.headers.get("content-encoding", "identity") == "identity"
                and not response.is_stream_consumed
                and isinstance(stream, httpx.AsyncByteStream)
            ):
                response.is_stream_consumed = True
                self._chunks = aiter(stream)
            else:
                self._chunks = response.aiter_bytes()

    @staticmethod
    async def _read_start(response: httpx.Response) -> bytes:
        """Up to `QUOTE_BYTES` of a body that is being rejected, for the error message."""
        parts: list[bytes] = []
        size = 0
        try:
            async for part in response.aiter_bytes():
                parts.append(part)
                size += len(part)
                if size >= QUOTE_BYTES:
                    break
        except httpx.HTTPError:
            pass  # the body is only quoted in the message; the status says enough
        return b"".join(parts)

    def _cancel_deadline(self) -> None:
        stop, self._stop_timer = self._stop_timer, None
        if stop is not None:
            stop()

    def _deadline_passed(self) -> None:
        """The deadline's timer (on the event loop, or a timer thread): interrupt the reader
        as `close()` does; it then raises the deadline's error (`_deadline_error`)."""
        if self._stop_timer is None or self._state.finished or self._closer.closing:
            return  # closed or finished meanwhile
        self._deadline_hit = True
        self._closer.interrupt(self._response)

    def _deadline_error(self) -> PhosonError:
        """The error of a stream that its deadline ended: a `StreamTimeoutError`, with the
        token that continues the run."""
        deadline = self._deadline
        assert deadline is not None
        what = self._waiting_for or "while the stream was being read"
        error = self._incomplete(str(deadline.error(what)), timed_out=True)
        self._failure = error
        return error

    def _span_failed(self, error: BaseException) -> None:
        """End the span with the error that ends the stream."""
        if not isinstance(error, GeneratorExit):
            self._span.end_stream(self._state, error=error)

    def _fail(self, error: PhosonError) -> NoReturn:
        """The stream cannot go on: remember why (later reads say so) and raise `error`."""
        self._failure = error
        self._closer.stop()
        raise error

    # -- Reading ---------------------------------------------------------------------------

    async def _next_sse(self) -> ServerSentEvent | None:
        """The next server-sent event to deliver; None once the run has finished or the stream
        was closed. Raises the stream's failure (`PhosonError`) if it has failed."""
        sse = next(self._pending, None)
        if sse is not None:
            return sse
        try:
            return await self._read_sse()
        except BaseException as error:
            await self._reading_failed(error)
            raise

    async def _reading_failed(self, error: BaseException) -> None:
        """A read raised `error` (re-raised by the caller): a `PhosonError` is the stream's
        failure (later reads say so) and closes it; the span ends with either."""
        if isinstance(error, PhosonError):
            if self._failure is None:
                self._failure = error
            self._span_failed(error)
            await self.close()
        else:
            self._span_failed(error)

    async def _read_sse(self) -> ServerSentEvent | None:
        state = self._state
        closer = self._closer
        while not state.finished and not closer.closing:
            if not self._opened:
                await self._open()
                continue
            failure: httpx.HTTPError | None = None
            reason = ""
            batch: list[ServerSentEvent] = []
            # The closer, held in plain calls rather than a `with` block: cheaper, once a chunk.
            if not closer.atry_hold():
                await closer.ahold()
            try:
                chunks = self._chunks
                if closer.closing or chunks is None:
                    await self._close_response()  # (closed by a signal handler: see close())
                    break
                # 1. Read the next chunk; `close()` from elsewhere ends the wait.
                try:
                    read_wait = self._read_wait
                    if read_wait is None:  # a socket: `close()` shuts it down
                        batch = state.feed(await chunks.__anext__())
                    else:
                        async with read_wait:
                            batch = state.feed(await chunks.__anext__())
                except StopAsyncIteration:
                    reason = "the connection closed"
                except httpx.HTTPError as exc:
                    failure, reason = exc, f"{type(exc).__name__}: {reason_of(exc)}"
                except httpx.StreamError:
                    # The response was closed under the stream (the event loop it was opened
                    # in ended, which closes that loop's connections): a break like any other.
                    reason = "the connection was closed when its event loop ended"
                # Closed during the read? (Spelt `self._closer`: a type checker would take
                # `closer.closing` as still false from the check above, though another task or
                # thread may have set it during the read.)
                if self._closer.closing:
                    await self._close_response()  # (closed by a signal handler: see close())
                    break
                # 2. The run's final event: the loop ends now, and the pool reads the end of
                #    the body in the background (its connection is kept if it ends soon). A
                #    break: close now.
                if reason:
                    await self._close_response()
                elif self._state.finished:  # (`self.`: see `closing` above)
                    self._span.end_stream(state, batch)  # the span ends at the final event
                    self._cancel_deadline()
                    self._finish_response()
                if len(batch) > 1:
                    # 3. Several events: the first is returned now, the rest handed out one by
                    #    one. Set while the closer is held, so that a close() waiting for it
                    #    (from another thread) drops the rest: it empties `_pending` once it
                    #    holds the closer.
                    self._pending = pending = iter(batch)
                    self._batch = batch
                    next(pending)
            finally:
                closer.arelease()
            if batch:
                if self._reconnects and state.made_progress():
                    self._reconnects = 0  # progress: a fresh budget (an id-less event is not)
                return batch[0]
            if reason:
                # 3. The connection broke before the final event: resume or raise.
                await self._resume_or_raise(reason, failure)
        if self._deadline_hit and self._failure is None:
            raise self._deadline_error()
        if self._failure is not None:
            raise PhosonError(f"this stream failed earlier ({self._failure}); start a new stream")
        return None

    async def _resume_or_raise(self, reason: str, exc: httpx.HTTPError | None) -> None:
        """After a break: reconnect with `Last-Event-ID` if the run can resume, else raise."""
        state = self._state
        max_retries = self._options.get("max_retries", self._requester.config.max_retries)
        timed_out = isinstance(exc, httpx.TimeoutException)
        deadline = self._deadline
        if deadline is not None and deadline.passed:
            # The read timeout was cut to the time left: the deadline ended this connection.
            self._waiting_for = "while waiting for the stream's next bytes"
            try:
                self._fail(self._deadline_error())
            except PhosonError as error:
                raise error from exc
        if not state.can_resume() or self._reconnects >= max_retries:
            if state.can_resume():
                reason += f"; gave up after {self._reconnects} reconnects"
            try:
                self._fail(self._incomplete(reason, timed_out=timed_out))
            except PhosonError as error:
                raise error from (None if exc is None else clean_cause(exc))
        delay = state.reconnect_delay(self._reconnects)
        if deadline is not None and delay >= deadline.remaining():
            # A wait that cannot end before the deadline: fail now rather than sleep first.
            cut = deadline.too_short(delay, "the wait before resuming", deadline.remaining())
            try:
                self._fail(self._incomplete(f"{reason}; {cut}", timed_out=True))
            except PhosonError as error:
                raise error from exc
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
        # `close()` during this wait ends it, and no request is sent.
        self._waiting_for = "during the wait before resuming"
        await self._closer.asleep(delay)
        if self._closer.closing:
            return
        state.reconnected()
        self._waiting_for = "while resuming"
        try:
            await self._open()
        except PhosonError as error:
            try:
                self._fail(self._incomplete(f"{reason}; resuming failed: {error}"))
            except PhosonError as incomplete:
                raise incomplete from error
        self._waiting_for = ""

    def _incomplete(self, reason: str, *, timed_out: bool = False) -> IncompleteStreamError:
        """The error for a run this stream gives up on, with the token that continues it."""
        error = self._state.incomplete(reason, timed_out=timed_out)
        error.resume_token = self.resume_token
        return error

    # -- Iterating ---------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        """The next typed event (events of unknown types are skipped)."""
        state = self._state
        while True:
            sse = next(self._pending, None)
            if sse is None:
                # (`_next_sse`, without its coroutine: one less for every event. Kept for bench
                # `stream`: 1.05-1.09x the events/s of calling `_next_sse` for the event-loop
                # client, and 1.03x with an event a chunk (measured 2026-12-05). Pinned to its
                # twin by tests/_async/test_fast_paths.py's differential property.)
                try:
                    sse = await self._read_sse()
                except BaseException as error:
                    await self._reading_failed(error)
                    raise
                if sse is None:
                    raise StopAsyncIteration
            try:
                event = state.typed(sse)
            except PhosonError as error:
                self._failure = error
                self._span_failed(error)
                await self.close()
                raise
            if event is not None:
                return event

    def iter_sse(self) -> AsyncIterator[ServerSentEvent]:
        """The raw server-sent events, every type included, with their `id` and `retry`."""
        return _RawEvents(self)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """Only the reply text, token by token. Raises `RunFailedError` if the run fails.

        A run whose reply arrives only in `run_done.content` (no `token` events) yields that
        reply once (not in a stream from `messages.resume`: it yields only the tokens after
        the resume token's last event).
        """
        return _TextPieces(self)

    async def until_done(self) -> RunDoneEvent:
        """Read the rest of the stream and return its `RunDoneEvent`.

        Raises `RunFailedError` if the run ended with an `error` event, `IncompleteStreamError`
        if the stream ended before either, and `PhosonError` if it was closed before either.
        """
        state = self._state
        if state.final is None:
            # Every event not delivered yet is delivered here (to the snapshots), once.
            async for _ in self:
                pass
        final = state.final
        if final is None:
            if state.finished and not self._closer.closing:
                # The final event was delivered raw but did not validate: say so as the typed
                # loop does.
                raise state.incomplete("the final event could not be read")
            raise PhosonError(
                f"this stream was closed before its run finished "
                f"({state.events_received} events received); start a new stream"
            )
        if final.type == "error":
            raise RunFailedError(final.message, request_id=self._request_id)
        return final


class _RawEvents:
    """`stream.iter_sse()`: every server-sent event, up to the run's final one."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncMessageStream) -> None:
        self._stream = stream

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ServerSentEvent:
        stream = self._stream
        sse = await stream._next_sse()
        if sse is None:
            raise StopAsyncIteration
        stream._state.delivered_raw(sse)
        return sse


class _TextPieces:
    """`stream.text_stream`: the reply text, from `token` events or else from `run_done`."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncMessageStream) -> None:
        self._stream = stream

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        stream = self._stream
        while True:
            event = await stream.__anext__()
            if event.type == "token":
                return event.content
            if event.type == "run_done":
                # No token carried the reply: it is only in run_done.content.
                state = stream._state
                if state.tokens_received == 0 and event.content and not state.mid_run:
                    return event.content
            elif event.type == "error":
                raise RunFailedError(event.message, request_id=stream.request_id)
