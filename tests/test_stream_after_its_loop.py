"""An `AsyncMessageStream` read again after the event loop that opened it has ended (issue 21,
case 9): never httpx's raw `StreamClosed`. The ended loop closed the stream's connection, so
the stream resumes in the new loop with `Last-Event-ID` (or, if it cannot, raises a
`PhosonError`). (Async client only: the blocking client has no event loop to end.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import trio

from phoson import AsyncMessageStream, AsyncPhosonClient, PhosonError
from tests.payloads import API_KEY, sse
from tests.scripted_server import Script, ScriptedServer

EVENTS = [("token", {"content": "a"})]


def asyncio_run(job: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(job())


def trio_run(job: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return trio.run(job)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.mark.parametrize("first", [asyncio_run, trio_run], ids=["asyncio", "trio"])
@pytest.mark.parametrize("then", [asyncio_run, trio_run], ids=["asyncio", "trio"])
@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_a_stream_read_after_its_loop_ended_raises_a_phoson_error(
    scripted: ScriptedServer,
    first: Callable[[Callable[[], Coroutine[Any, Any, Any]]], Any],
    then: Callable[[Callable[[], Coroutine[Any, Any, Any]]], Any],
) -> None:
    """A stream opened and read once in one `asyncio.run`/`trio.run`, then read in another: it
    resumes there after the last event (Last-Event-ID), delivering the rest of the run once; if
    the server cannot resume it, the error is a PhosonError."""
    rest = (
        b'event: token\ndata: {"content": "b"}\nid: run_1:2\n\n'
        b'event: run_done\ndata: {"content": "ab", "run_id": "run_1"}\nid: run_1:3\n\n'
    )
    scripted.add(Script(parts=[sse(EVENTS[:1])], end="hold"), Script(parts=[rest], end="hold"))
    client = AsyncPhosonClient(api_key=API_KEY, base_url=scripted.url)
    stream: AsyncMessageStream = client.messages.stream("conv_1", "hi")

    async def read_one() -> Any:
        return await stream.__anext__()

    async def read_rest() -> Any:
        return [event async for event in stream]

    assert first(read_one).content == "a"
    try:
        events = then(read_rest)
    except PhosonError as error:  # a PhosonError is all the contract asks for
        pytest.fail(f"resuming in the new loop failed: {error}")
    assert [event.type for event in events] == ["token", "run_done"]
    assert stream.text == "ab"
    assert scripted.requests == 2
    assert scripted.connections[1].headers.get("last-event-id") == "run_1:1"
