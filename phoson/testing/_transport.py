"""Socket-less httpx transports onto a local server's API: `LocalPhosonServer.transport()` and
`.async_transport()`.

They hand each request to the same I/O-free steps the HTTP layer uses (`_exchange`), so the
answers, the recorded requests and the injected faults are the same, without a socket or a
thread. A stream's body is produced piece by piece as the client reads it (events arrive before
the run ends, `event_delay` pauses between them); faults become what httpx would raise over a
real connection: a drop is `RemoteProtocolError` before any response, a cut stream is
`RemoteProtocolError` in the middle of the body, and a wait longer than the request's read
timeout is `ReadTimeout`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email.utils import formatdate

import anyio
import httpx

from .._stream_closer import WAIT_WATCHER, WAKE_READER, Wake
from ._app import App, Response
from ._exchange import (
    STREAM_HEADERS,
    Admission,
    StreamWriter,
    admit,
    answer,
    body_headers,
    new_request_id,
    too_large,
)

__all__ = ["LocalAsyncTransport", "LocalTransport"]

_DROPPED = "Server disconnected without sending a response."
_CUT = "peer closed connection without sending complete message body (incomplete chunked read)"


def _headers(request: httpx.Request) -> dict[str, str]:
    """The request's headers as the server sees them: names lower-cased, the last one wins."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in request.headers.raw
    }


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if value is not None else None


def _admit(app: App, request: httpx.Request, body: bytes) -> Admission:
    return admit(app, request.method, request.url.raw_path.decode("ascii"), _headers(request), body)


def _whole(request: httpx.Request, response: Response, request_id: str) -> httpx.Response:
    """An httpx response for a whole (non-stream) answer, with the HTTP layer's headers."""
    headers = [("date", formatdate(usegmt=True)), ("server", "phoson-local")]
    headers += body_headers(response)
    headers.append(("x-request-id", request_id))
    content = b"" if response.body is None or request.method == "HEAD" else response.body
    return httpx.Response(response.status, headers=headers, content=content, request=request)


def _stream_headers(request_id: str) -> list[tuple[str, str]]:
    return [
        ("date", formatdate(usegmt=True)),
        ("server", "phoson-local"),
        *STREAM_HEADERS,
        ("x-request-id", request_id),
    ]


class LocalTransport(httpx.BaseTransport):
    """Sends each request of an `httpx.Client` straight to a local server's API (no socket)."""

    def __init__(self, app: App, max_body_size: int) -> None:
        self._app = app
        self._max_body_size = max_body_size

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # 1. The body, refused past the size limit (413), as the HTTP layer does.
        body = request.read()
        request_id = new_request_id()
        if len(body) > self._max_body_size:
            return _whole(request, too_large(), request_id)
        # 2. Record it, take its faults, wait out a delay_headers fault. A socket's reader is
        #    woken by shutting the socket down; here, by `wake`: a stream being opened may end
        #    the wait for the headers (`WAIT_WATCHER`), its close() the wait for the next event
        #    (`WAKE_READER`).
        admission = _admit(self._app, request, body)
        read_timeout = _read_timeout(request)
        wake = Wake()
        watcher = WAIT_WATCHER.get()
        if watcher is not None:
            watcher.watch(wake.set)
        _wait(admission.delay, read_timeout, request, wake)
        # 3. The answer: nothing (dropped), a whole response, or a stream read piece by piece.
        result = answer(self._app, admission)
        if result is None:
            raise httpx.RemoteProtocolError(_DROPPED, request=request)
        if isinstance(result, Response):
            return _whole(request, result, request_id)
        writer = StreamWriter(self._app, result, admission.path)
        pieces = self._stream(writer, read_timeout, request, wake)
        return httpx.Response(
            200,
            headers=_stream_headers(request_id),
            stream=_EventBody(writer, pieces),
            request=request,
            extensions={WAKE_READER: wake.set},
        )

    def _stream(
        self,
        writer: StreamWriter,
        read_timeout: float | None,
        request: httpx.Request,
        wake: Wake,
    ) -> Iterator[bytes]:
        outcome = "disconnected"  # what it stays if the client closes the response early
        try:
            for piece, last in _marking_last(writer):
                if last and not writer.cut:
                    # Handed over in full, as bytes written to a socket are: a client that
                    # closes right after reading the end (run_done) completed the stream.
                    outcome = "completed"
                if isinstance(piece, bytes):
                    if piece:
                        yield piece
                else:
                    _wait(piece, read_timeout, request, wake)
            if writer.cut:
                outcome = "cut"
                raise httpx.RemoteProtocolError(_CUT, request=request)
            outcome = "completed"
        finally:
            writer.finish(outcome)


def _marking_last(writer: StreamWriter) -> Iterator[tuple[bytes | float, bool]]:
    """The writer's pieces, each with whether it is the last (looking one piece ahead costs
    nothing: the writer does no I/O and waits for nothing itself)."""
    pieces = iter(writer)
    current = next(pieces, None)
    while current is not None:
        following = next(pieces, None)
        yield current, following is None
        current = following


def _wait(seconds: float, read_timeout: float | None, request: httpx.Request, wake: Wake) -> None:
    """Sleep `seconds`, or raise ReadTimeout after `read_timeout` if that comes first; woken
    (the client closed the stream), raise ReadError, as a socket shut down would."""
    timed_out = read_timeout is not None and seconds > read_timeout
    if timed_out:
        seconds = read_timeout or 0.0
    if wake.wait(seconds):
        raise httpx.ReadError("the client closed the connection", request=request)
    if timed_out:
        raise httpx.ReadTimeout("timed out", request=request)


class _EventBody(httpx.SyncByteStream):
    """A stream's body; closing it before the end counts the client as gone."""

    def __init__(self, writer: StreamWriter, pieces: Iterator[bytes]) -> None:
        self._writer = writer
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()  # runs the generator's `finally` if it started
        self._writer.finish("disconnected")  # does nothing if it already finished


class LocalAsyncTransport(httpx.AsyncBaseTransport):
    """Sends each request of an `httpx.AsyncClient` straight to a local server's API (no
    socket); it pauses with anyio, so it runs under asyncio and trio alike."""

    def __init__(self, app: App, max_body_size: int) -> None:
        self._app = app
        self._max_body_size = max_body_size

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The same steps as LocalTransport.handle_request, pausing without blocking the loop.
        body = await request.aread()
        request_id = new_request_id()
        if len(body) > self._max_body_size:
            return _whole(request, too_large(), request_id)
        admission = _admit(self._app, request, body)
        read_timeout = _read_timeout(request)
        await _await(admission.delay, read_timeout, request)
        result = answer(self._app, admission)
        if result is None:
            raise httpx.RemoteProtocolError(_DROPPED, request=request)
        if isinstance(result, Response):
            return _whole(request, result, request_id)
        writer = StreamWriter(self._app, result, admission.path)
        pieces = self._stream(writer, read_timeout, request)
        return httpx.Response(
            200,
            headers=_stream_headers(request_id),
            stream=_AsyncEventBody(writer, pieces),
            request=request,
        )

    async def _stream(
        self, writer: StreamWriter, read_timeout: float | None, request: httpx.Request
    ) -> AsyncIterator[bytes]:
        outcome = "disconnected"  # what it stays if the client closes the response early
        try:
            for piece, last in _marking_last(writer):
                if last and not writer.cut:
                    # Handed over in full, as bytes written to a socket are: a client that
                    # closes right after reading the end (run_done) completed the stream.
                    outcome = "completed"
                if isinstance(piece, bytes):
                    if piece:
                        yield piece
                else:
                    await _await(piece, read_timeout, request)
            if writer.cut:
                outcome = "cut"
                raise httpx.RemoteProtocolError(_CUT, request=request)
            outcome = "completed"
        finally:
            writer.finish(outcome)


async def _await(seconds: float, read_timeout: float | None, request: httpx.Request) -> None:
    if read_timeout is not None and seconds > read_timeout:
        await anyio.sleep(read_timeout)
        raise httpx.ReadTimeout("timed out", request=request)
    await anyio.sleep(seconds)  # also for 0: a point where the task can be cancelled


class _AsyncEventBody(httpx.AsyncByteStream):
    def __init__(self, writer: StreamWriter, pieces: AsyncIterator[bytes]) -> None:
        self._writer = writer
        self._pieces = pieces

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pieces  # no wrapper generator: aclose() closes the one that runs

    async def aclose(self) -> None:
        aclose = getattr(self._pieces, "aclose", None)
        if aclose is not None:
            await aclose()
        self._writer.finish("disconnected")
