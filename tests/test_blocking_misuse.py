"""Async syntax pasted from the product docs into blocking code gets an error that says what to
do, raised before any request for a stream (the blocking client only; runtime only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import respx

from phoson import MessageStream, PhosonClient
from tests.payloads import (
    AGENT,
    ALL_EVENTS,
    API_KEY,
    BASE_URL,
    event_stream_response,
    json_response,
    sse,
)

PATH = "/conversations/conv_1/messages"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True) as router:
        yield router


async def test_async_for_over_a_blocking_stream_says_to_use_for(api: respx.MockRouter) -> None:
    """`async for` / `async with` on PhosonClient's stream raise TypeError naming the fix (a
    plain `for`/`with`, or AsyncPhosonClient) and send nothing."""
    route = api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        stream: Any = client.messages.stream("conv_1", "hi")
        with pytest.raises(
            TypeError, match=r"'async for'.*blocking client.*plain 'for' loop.*AsyncPhosonClient"
        ):
            async for _ in stream:
                pass
        with pytest.raises(TypeError, match=r"'async with'.*plain 'with' block"):
            async with stream:
                pass
        text: Any = stream.text_stream
        with pytest.raises(TypeError, match="'async for'"):
            async for _ in text:
                pass
        assert not route.called
        # The stream itself is untouched: a plain loop still works.
        assert [event.type for event in stream][-1] == "run_done"


async def test_await_on_a_result_says_to_drop_the_await(api: respx.MockRouter) -> None:
    """`await client.agents.get(...)` and `await stream.until_done()` with PhosonClient raise a
    TypeError that says to drop the `await` or use AsyncPhosonClient."""
    api.get("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    api.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        agent: Any = client.agents.get("agt_1")
        with pytest.raises(
            TypeError, match=r"Agent is a result.*drop the 'await'.*AsyncPhosonClient"
        ):
            await agent
        done: Any = client.messages.stream("conv_1", "hi").until_done()
        with pytest.raises(TypeError, match="RunDoneEvent is a result"):
            await done


def test_only_the_blocking_stream_has_the_helpers() -> None:
    """The async stream keeps its real `__aiter__`; the blocking one gets the helper only at
    runtime (defined under `if not TYPE_CHECKING`, so mypy still reports the misuse)."""
    import inspect

    from phoson import AsyncMessageStream
    from phoson._misuse import BlockingStreamUsage

    assert issubclass(MessageStream, BlockingStreamUsage)
    assert not issubclass(AsyncMessageStream, BlockingStreamUsage)
    assert "__aiter__" in AsyncMessageStream.__dict__
    source = inspect.getsource(BlockingStreamUsage)
    assert "if not TYPE_CHECKING:" in source
