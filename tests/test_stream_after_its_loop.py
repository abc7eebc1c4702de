"""An `AsyncMessageStream` read again after the event loop that opened it has ended (issue 21,
case 9): a `PhosonError` that says so, never httpx's raw `StreamClosed`. (Async client only:
the blocking client has no event loop to end.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import trio

from phoson import AsyncMessageStream, AsyncPhosonClient, IncompleteStreamError, PhosonError
from tests.payloads import API_KEY, sse
from tests.scripted_server import Script, ScriptedServer

EVENTS = [("token", {"content": "a"}), ("token", {"content": "b"})]


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
    """A stream opened and read once in one `asyncio.run`/`trio.run`, then read in another:
    IncompleteStreamError (a PhosonError) naming the ended loop, with the text so far; a read
    after that says the stream failed; the server saw one request."""
    scripted.add(Script(parts=[sse(EVENTS[:1])], end="hold"))
    client = AsyncPhosonClient(api_key=API_KEY, base_url=scripted.url)
    stream: AsyncMessageStream = client.messages.stream("conv_1", "hi")

    async def read_one() -> Any:
        return await stream.__anext__()

    assert first(read_one).content == "a"
    with pytest.raises(IncompleteStreamError, match="event loop it was opened in ended") as caught:
        then(read_one)
    assert caught.value.partial_text == "a"
    with pytest.raises(PhosonError, match="failed earlier"):
        then(read_one)
    assert scripted.requests == 1
