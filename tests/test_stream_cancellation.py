"""A task cancelled while it reads a stream (a timeout, a Stop that cancels the task) still
gives the connection back: closing is shielded from the cancellation (AsyncPhosonClient only;
the blocking client has no cancellation)."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from phoson import AsyncMessageStream, AsyncPhosonClient, StreamEvent, TokenEvent
from tests.payloads import API_KEY, sse
from tests.scripted_server import Script, ScriptedServer

EVENTS = [("token", {"content": "Hello "})]
RUN = sse([*EVENTS, ("run_done", {"content": "Hello ", "run_id": "run_1"})])


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


async def test_a_cancelled_reader_gives_its_connection_back(scripted: ScriptedServer) -> None:
    """The reader's task is cancelled while it waits on a silent server inside `async with`:
    the connection is closed, and with a pool of one the next call gets it."""
    scripted.add(Script(parts=[sse(EVENTS)], end="hold"), Script(parts=[RUN]))
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(30, pool=3)
    )
    async with (
        http,
        AsyncPhosonClient(api_key=API_KEY, base_url=scripted.url, http_client=http) as client,
    ):
        received: list[StreamEvent] = []
        stream: AsyncMessageStream | None = None
        with anyio.move_on_after(0.3) as scope:
            async with client.messages.stream("conv_1", "hi") as stream:
                async for event in stream:
                    received.append(event)
        assert scope.cancelled_caught
        assert received == [TokenEvent(content="Hello ")]
        assert stream is not None
        assert stream.closed
        assert stream.response is not None and stream.response.is_closed
        assert scripted.connections[0].gone.wait(5)
        done = await client.messages.stream("conv_1", "hi").until_done()
    assert done.run_id == "run_1"
