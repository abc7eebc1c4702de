"""The caller's moves on a stream, for the stream machine (tests/test_stream_machine.py).

Written once here and generated for the blocking client (tests/_sync/stream_moves.py). Each
move that reads puts what it got into `out` as it goes, so that what was delivered before an
exception is still seen by the machine.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from phoson import AsyncMessageStream, AsyncPhosonClient, RunDoneEvent, StreamEvent
from phoson._sse import ServerSentEvent
from tests.concurrency import acheckpoint, agather
from tests.payloads import API_KEY, BASE_URL


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], max_retries: int
) -> AsyncPhosonClient:
    """A client whose requests `handler` answers (no network), with this reconnect budget."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncPhosonClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=max_retries
    )


async def close_all(stream: AsyncMessageStream, client: AsyncPhosonClient) -> None:
    await stream.close()
    await client.close()


async def take_events(stream: AsyncMessageStream, k: int, out: list[StreamEvent]) -> None:
    """A `for` loop over the stream that breaks after k typed events."""
    async for event in stream:
        out.append(event)
        if len(out) >= k:
            break


async def take_text(stream: AsyncMessageStream, k: int, out: list[str]) -> None:
    """A `for` loop over `text_stream` that breaks after k pieces."""
    async for piece in stream.text_stream:
        out.append(piece)
        if len(out) >= k:
            break


async def take_raw(stream: AsyncMessageStream, k: int, out: list[ServerSentEvent]) -> None:
    """A `for` loop over `iter_sse()` that breaks after k raw events."""
    async for sse in stream.iter_sse():
        out.append(sse)
        if len(out) >= k:
            break


async def until_done(stream: AsyncMessageStream) -> RunDoneEvent:
    return await stream.until_done()


async def close(stream: AsyncMessageStream) -> None:
    """close() from the code that reads the stream."""
    await stream.close()


async def take_events_while_closed(
    stream: AsyncMessageStream, k: int, out: list[StreamEvent]
) -> None:
    """A loop reading up to k typed events while close() is called elsewhere: another task of
    the event loop, or (generated for the blocking client) another thread."""

    async def read() -> None:
        async for event in stream:
            out.append(event)
            await acheckpoint()
            if len(out) >= k:
                break

    async def stop() -> None:
        await acheckpoint()
        await stream.close()

    await agather([read, stop])
