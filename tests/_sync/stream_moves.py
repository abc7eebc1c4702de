# DO NOT EDIT: generated from tests/_async/stream_moves.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The caller's moves on a stream, for the stream machine (tests/test_stream_machine.py).

Written once here and generated for the blocking client (tests/_sync/stream_moves.py). Each
move that reads puts what it got into `out` as it goes, so that what was delivered before an
exception is still seen by the machine.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from phoson import MessageStream, PhosonClient, RunDoneEvent, StreamEvent
from phoson._sse import ServerSentEvent
from tests.concurrency import checkpoint, gather
from tests.payloads import API_KEY, BASE_URL


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], max_retries: int
) -> PhosonClient:
    """A client whose requests `handler` answers (no network), with this reconnect budget."""
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return PhosonClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=max_retries
    )


def close_all(stream: MessageStream, client: PhosonClient) -> None:
    stream.close()
    client.close()


def take_events(stream: MessageStream, k: int, out: list[StreamEvent]) -> None:
    """A `for` loop over the stream that breaks after k typed events."""
    for event in stream:
        out.append(event)
        if len(out) >= k:
            break


def take_text(stream: MessageStream, k: int, out: list[str]) -> None:
    """A `for` loop over `text_stream` that breaks after k pieces."""
    for piece in stream.text_stream:
        out.append(piece)
        if len(out) >= k:
            break


def take_raw(stream: MessageStream, k: int, out: list[ServerSentEvent]) -> None:
    """A `for` loop over `iter_sse()` that breaks after k raw events."""
    for sse in stream.iter_sse():
        out.append(sse)
        if len(out) >= k:
            break


def until_done(stream: MessageStream) -> RunDoneEvent:
    return stream.until_done()


def close(stream: MessageStream) -> None:
    """close() from the code that reads the stream."""
    stream.close()


def take_events_while_closed(stream: MessageStream, k: int, out: list[StreamEvent]) -> None:
    """A loop reading up to k typed events while close() is called elsewhere: another task of
    the event loop, or (generated for the blocking client) another thread."""

    def read() -> None:
        for event in stream:
            out.append(event)
            checkpoint()
            if len(out) >= k:
                break

    def stop() -> None:
        checkpoint()
        stream.close()

    gather([read, stop])
