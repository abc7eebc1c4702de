"""The blocking client's objects claim no async protocol they do not support, and the blocking
client warns, naming the caller's line, when it is used on a thread that runs an event loop
(asyncio or trio), never under IPython/Jupyter (issue 21, case 12)."""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Any

import pytest
import respx
import trio

from phoson import AsyncPhosonClient, PhosonClient
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
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/agents/agt_1").mock(return_value=json_response(200, AGENT))
        router.post(PATH).mock(return_value=event_stream_response(sse(ALL_EVENTS)))
        yield router


def test_results_and_blocking_streams_claim_no_async_protocol(api: respx.MockRouter) -> None:
    """A result is not awaitable, a blocking stream and its text_stream/iter_sse() are not async
    iterables nor async context managers; the async client's streams are."""
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        agent = client.agents.get("agt_1")
        assert not inspect.isawaitable(agent)
        stream = client.messages.stream("conv_1", "hi")
        for thing in (stream, stream.text_stream, stream.iter_sse()):
            assert not isinstance(thing, AsyncIterable)
            assert not hasattr(thing, "__aenter__")
        done = stream.until_done()
        assert not inspect.isawaitable(done)
    aclient = AsyncPhosonClient(api_key=API_KEY, base_url=BASE_URL)
    astream = aclient.messages.stream("conv_1", "hi")
    assert isinstance(astream, AsyncIterable) and hasattr(astream, "__aenter__")
    assert isinstance(astream.text_stream, AsyncIterable)


def test_blocking_calls_in_an_asyncio_loop_warn_at_the_callers_line(api: respx.MockRouter) -> None:
    """Inside `asyncio.run`, a blocking call, a blocking stream's creation and its loop each
    warn (RuntimeWarning) naming this file, the line of the call, and what to use instead; the
    calls still work."""

    async def main() -> tuple[str, list[str]]:
        with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
            agent = client.agents.get("agt_1")
            stream = client.messages.stream("conv_1", "hi")
            return agent.id, [event.type for event in stream]

    with pytest.warns(
        RuntimeWarning, match=r"PhosonClient.*asyncio event loop.*AsyncPhosonClient"
    ) as caught:
        agent_id, types_seen = asyncio.run(main())
    assert agent_id == "agt_1" and types_seen[-1] == "run_done"
    assert {warning.filename for warning in caught} == {__file__}
    source = inspect.getsource(main).splitlines()
    lines = {caught_warning.lineno for caught_warning in caught}
    first = inspect.getsourcelines(main)[1]
    called = {
        first + number
        for number, line in enumerate(source)
        if "client." in line or "in stream" in line
    }
    assert lines <= called, (lines, called)


def test_blocking_calls_under_trio_warn(api: respx.MockRouter) -> None:
    """Inside `trio.run`, a blocking call warns as well."""

    async def main() -> str:
        with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
            return client.agents.get("agt_1").id

    with pytest.warns(RuntimeWarning, match="trio event loop"):
        assert trio.run(main) == "agt_1"


def test_no_warning_from_a_worker_thread_outside_a_loop_or_under_ipython(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No warning for the blocking client called from a worker thread of an event loop
    (`asyncio.to_thread`), outside any loop, or under IPython (Jupyter runs cells in a loop)."""
    client = PhosonClient(api_key=API_KEY, base_url=BASE_URL)

    async def in_a_thread() -> str:
        return await asyncio.to_thread(lambda: client.agents.get("agt_1").id)

    async def in_the_loop() -> str:
        return client.agents.get("agt_1").id

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(in_a_thread()) == "agt_1"
        assert client.agents.get("agt_1").id == "agt_1"
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        assert asyncio.run(in_the_loop()) == "agt_1"
    client.close()


def test_the_async_client_never_warns(api: respx.MockRouter) -> None:
    """The async client, in its loop, warns about nothing."""

    async def main() -> list[str]:
        async with AsyncPhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
            await client.agents.get("agt_1")
            stream = client.messages.stream("conv_1", "hi")
            events: AsyncIterator[Any] = stream.__aiter__()
            return [event.type async for event in events]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(main())[-1] == "run_done"
