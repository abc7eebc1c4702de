"""The connection pool's lifetime across event loops and processes (issue 9, items 5 and 6).

These tests start their own event loops (`asyncio.run`, `trio.run`) or fork, so they are plain
functions rather than tests under tests/_async (which run inside a loop).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import trio

from phoson import AsyncPhosonClient, PhosonClient, PhosonError
from phoson.testing import LocalPhosonServer, reply_text
from tests.budget import scale

#: Calls per process in the fork tests: the issue saw one crossed response in 3,000, so the
#: full-size run (.ci/run step 5: PHOSON_TEST_SCALE=full) makes 5,000; the everyday run 1,000.
FORK_CALLS = scale(1000, 5000)
#: The same for the async client's fork test (each call costs more: a loop hop per call).
ASYNC_FORK_CALLS = scale(500, 2000)

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork()")


def test_one_async_client_across_event_loops(server: LocalPhosonServer) -> None:
    """One module-level AsyncPhosonClient serves two successive asyncio.run() calls and then a
    trio run: each loop gets a fresh pool, and every call returns its own answer."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)

    async def create_and_get(name: str) -> tuple[str, str]:
        agent = await client.agents.create(name=name, description="d")
        return name, (await client.agents.get(agent.id)).name

    assert asyncio.run(create_and_get("first")) == ("first", "first")
    first_pool = client.http_client
    assert asyncio.run(create_and_get("second")) == ("second", "second")
    assert client.http_client is not first_pool
    assert trio.run(create_and_get, "third") == ("third", "third")
    assert asyncio.run(create_and_get("fourth")) == ("fourth", "fourth")
    asyncio.run(client.close())
    assert client.http_client.is_closed


def test_a_loop_that_ends_closes_its_connections(server: LocalPhosonServer) -> None:
    """When the event loop that opened the pool's connections ends, they are closed in that
    loop (the server sees them go), not left to the garbage collector."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)

    async def streams() -> None:
        conversation = (
            await client.conversations.create(
                (await client.agents.create(name="a", description="b")).id
            )
        ).id
        for _ in range(3):
            await client.messages.stream(conversation, "hi").until_done()

    asyncio.run(streams())
    assert client.http_client.is_closed
    assert _poll(lambda: server.stats.open_connections == 0)
    trio.run(streams)
    assert _poll(lambda: server.stats.open_connections == 0)


def _poll(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _fork(child: Callable[[], Any]) -> Callable[[], Any]:
    """Run `child()` in a forked process now; returns a function that waits for its result
    (JSON through a pipe) or raises what it raised."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (the local server's) may
        # deadlock the child; the child here only uses the client, whose locks are renewed.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report and leave without running any of pytest's clean-up
        try:
            os.close(read_end)
            try:
                outcome = {"result": child()}
            except BaseException as exc:
                outcome = {"error": f"{type(exc).__name__}: {exc}"}
            os.write(write_end, json.dumps(outcome).encode())
        finally:
            os._exit(0)
    os.close(write_end)

    def wait() -> Any:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        outcome = json.loads(data or b'{"error": "the child died without reporting"}')
        if "error" in outcome:
            raise AssertionError(f"in the child: {outcome['error']}")
        return outcome["result"]

    return wait


def _answers(client: PhosonClient, agent_id: str, calls: int) -> dict[str, int]:
    """Fetch one agent `calls` times; count the answers that were someone else's agent."""
    crossed = 0
    for _ in range(calls):
        if client.agents.get(agent_id).id != agent_id:
            crossed += 1
    return {"calls": calls, "crossed": crossed}


@needs_fork
def test_fork_child_never_shares_a_connection(server: LocalPhosonServer) -> None:
    """After os.fork(), parent and child each make 5,000 calls (1,000 in the everyday run:
    tests/budget.py) at once on one PhosonClient created (and connected, keep-alive) before the fork: no response crosses, no call fails."""
    client = PhosonClient(api_key=server.api_key, base_url=server.url, max_retries=0)
    mine, theirs = (
        client.agents.create(name="parent", description="p").id,
        client.agents.create(name="child", description="c").id,
    )
    assert server.stats.open_connections == 1  # the keep-alive connection both would share
    child = _fork(lambda: _answers(client, theirs, FORK_CALLS))
    assert _answers(client, mine, FORK_CALLS) == {"calls": FORK_CALLS, "crossed": 0}
    assert child() == {"calls": FORK_CALLS, "crossed": 0}
    client.close()


@needs_fork
def test_fork_with_a_stream_open(server: LocalPhosonServer) -> None:
    """A stream open in the parent across os.fork() ends in the parent with its whole reply
    while the child calls the API (and tries to read the same stream) on its own
    connections; reading the inherited stream in the child never reads the parent's socket."""
    server.event_delay = 0.002
    try:
        client = PhosonClient(api_key=server.api_key, base_url=server.url, max_retries=0)
        agent = client.agents.create(name="a", description="b")
        conversation = client.conversations.create(agent.id).id
        content = " ".join(f"word{n}" for n in range(40))
        with client.messages.stream(conversation, content) as stream:
            events = iter(stream)
            tokens = [next(e.content for e in events if e.type == "token")]

            def in_child() -> dict[str, Any]:
                answers = _answers(client, agent.id, 500)
                try:
                    rest = [e.content for e in events if e.type == "token"]
                    outcome = "resumed" if "".join(tokens + rest) == reply_text(content) else "?"
                except Exception as exc:
                    outcome = type(exc).__name__
                return {**answers, "stream": outcome}

            child = _fork(in_child)
            for event in events:
                if event.type == "token":
                    tokens.append(event.content)
                elif event.type == "run_done":
                    assert event.content == reply_text(content)
        assert "".join(tokens) == reply_text(content)
        result = child()
        assert result["calls"] == 500 and result["crossed"] == 0
        assert result["stream"] in ("resumed", "IncompleteStreamError")
        client.close()
    finally:
        server.event_delay = 0.0


@needs_fork
def test_fork_async_client_with_a_running_loop(server: LocalPhosonServer) -> None:
    """An AsyncPhosonClient in use on a long-lived loop thread survives os.fork(): the child
    runs its own loop with a fresh pool while the parent keeps calling (2,000 calls each; 500
    in the everyday run: tests/budget.py), and no response crosses."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url, max_retries=0)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def on_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def answers(agent_id: str, calls: int) -> dict[str, int]:
        crossed = 0
        for _ in range(calls):
            if (await client.agents.get(agent_id)).id != agent_id:
                crossed += 1
        return {"calls": calls, "crossed": crossed}

    try:
        mine = on_loop(client.agents.create(name="parent", description="p")).id
        theirs = on_loop(client.agents.create(name="child", description="c")).id
        child = _fork(lambda: asyncio.run(answers(theirs, ASYNC_FORK_CALLS)))
        expected = {"calls": ASYNC_FORK_CALLS, "crossed": 0}
        assert on_loop(answers(mine, ASYNC_FORK_CALLS)) == expected
        assert child() == expected
        on_loop(client.close())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_concurrent_event_loops_never_close_each_others_connections(
    server: LocalPhosonServer,
) -> None:
    """Two threads each run an event loop (asyncio in one, trio in the other) over one
    AsyncPhosonClient at the same time: while one loop reads a slow stream, the other loop
    starts, calls, streams and ends. The first stream reads to its end with no resume (the
    server sees no second request for it: its connection was never closed by the other
    loop), and each loop's connections are closed as that loop ends (issue 21, case 8)."""
    server.event_delay = 0.02
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)
    try:

        async def setup() -> tuple[str, str]:
            agent = await client.agents.create(name="a", description="b")
            one = await client.conversations.create(agent.id)
            two = await client.conversations.create(agent.id)
            return one.id, two.id

        first, second = asyncio.run(setup())
        content = " ".join(f"word{n}" for n in range(30))
        streaming = threading.Event()
        other_done = threading.Event()
        outcome: dict[str, Any] = {}

        async def slow_stream() -> None:
            async with client.messages.stream(first, content) as stream:
                tokens: list[str] = []
                async for event in stream:
                    if event.type == "token":
                        tokens.append(event.content)
                        streaming.set()
                        if len(tokens) == 3:  # the other loop comes and goes meanwhile
                            await trio.to_thread.run_sync(other_done.wait, 20)
                outcome["text"] = "".join(tokens)

        async def other_loop() -> None:
            for _ in range(5):
                await client.agents.list()
            await client.messages.stream(second, "hi").until_done()
            gc.collect()  # whatever the other loop dropped is finalized now

        def run_other() -> None:
            assert streaming.wait(10)
            try:
                asyncio.run(other_loop())
                gc.collect()
            finally:
                other_done.set()

        before = len(server.stats.requests)
        thread = threading.Thread(target=run_other)
        thread.start()
        trio.run(slow_stream)
        thread.join(10)
        assert outcome["text"] == reply_text(content)
        stream_requests = [
            r
            for r in server.stats.requests[before:]
            if r.method == "POST" and r.path.endswith("/messages")
        ]
        assert len(stream_requests) == 2, "a stream was resumed: its connection was closed"
        assert _poll(lambda: server.stats.open_connections == 0)
    finally:
        server.event_delay = 0.0
        asyncio.run(client.close())


def test_no_warning_names_a_phoson_internal_under_trio(server: LocalPhosonServer) -> None:
    """Under trio, with every warning shown: a stream dropped unclosed gives its connection
    back, and one client used by successive and concurrent trio runs closes its connections
    at each run's end, without a ResourceWarning naming phoson's private code (issue 21,
    case 11)."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)

    async def drop_a_stream(conversation: str) -> None:
        stream = client.messages.stream(conversation, "one two three")
        assert (await stream.__anext__()).type == "token"
        del stream  # dropped unclosed, mid-run
        gc.collect()
        for _ in range(10):
            await trio.sleep(0.01)
        await client.agents.list()  # the dropped stream's connection came back
        gc.collect()

    async def setup() -> str:
        agent = await client.agents.create(name="a", description="b")
        return (await client.conversations.create(agent.id)).id

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conversation = trio.run(setup)
        trio.run(drop_a_stream, conversation)
        threads = [
            threading.Thread(target=trio.run, args=(drop_a_stream, conversation)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        trio.run(client.close)
        gc.collect()
    named = [str(w.message) for w in caught if "phoson" in str(w.message)]
    assert named == []
    assert _poll(lambda: server.stats.open_connections == 0)


@needs_fork
def test_a_forked_child_drops_the_parents_connections_without_a_warning(
    server: LocalPhosonServer,
) -> None:
    """A PhosonClient with keep-alive connections open is used in a child after os.fork()
    with every warning shown: the child's calls work on connections of its own, and dropping
    the parent's prints no `ResourceWarning: unclosed <socket ...>` (issue 27, item 12); the
    parent's connection still serves the parent."""
    client = PhosonClient(api_key=server.api_key, base_url=server.url, max_retries=0)
    agent = client.agents.create(name="parent", description="p").id
    assert server.stats.open_connections == 1

    def in_child() -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert client.agents.get(agent).id == agent
            gc.collect()
            client.close()
            gc.collect()
        return [f"{w.category.__name__}: {w.message}" for w in caught]

    assert _fork(in_child)() == []
    assert client.agents.get(agent).id == agent
    client.close()


def test_closing_the_client_in_one_loop_closes_another_live_loops_connections(
    server: LocalPhosonServer,
) -> None:
    """close() awaited in one event loop while a trio run on another thread reads a slow
    stream: that run's connections are closed in that run, soon after; its reader gets
    PhosonError (the client is closed) and sends nothing more; no connection stays open."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)

    async def setup() -> str:
        agent = await client.agents.create(name="a", description="b")
        return (await client.conversations.create(agent.id)).id

    conversation = asyncio.run(setup())
    server.script_next_run(
        conversation, events=[("token", {"content": f"t{n} "}) for n in range(50)], delay=0.1
    )
    reading = threading.Event()
    outcome: list[str] = []

    async def read() -> None:
        try:
            async for _ in client.messages.stream(conversation, "slow"):
                reading.set()
            outcome.append("ended")
        except PhosonError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=trio.run, args=(read,))
    thread.start()
    assert reading.wait(10)
    sent = len(server.stats.requests)
    started = time.monotonic()
    asyncio.run(client.close())
    thread.join(10)
    assert time.monotonic() - started < 3
    assert len(outcome) == 1 and "client is closed" in outcome[0]
    assert len(server.stats.requests) == sent
    assert _poll(lambda: server.stats.open_connections == 0)


# The connections of a loop closed without its clean-up are dropped unclosed (the program's
# doing): the garbage collector's warnings about their sockets are expected here.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_loop_closed_without_its_clean_up_is_forgotten(server: LocalPhosonServer) -> None:
    """An asyncio loop driven with run_until_complete() and closed without
    shutdown_asyncgens() never runs the pool's loop-end clean-up: the next loop's first
    request drops that loop's record, and once that loop ends the pool keeps no connections."""
    client = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(client.agents.list())
    loop.close()
    pool = client._requester.pool  # pyright: ignore[reportPrivateUsage]
    assert list(pool._by_owner) == [loop]  # pyright: ignore[reportPrivateUsage]
    asyncio.run(client.agents.list())
    assert pool._by_owner == {}  # pyright: ignore[reportPrivateUsage]
    asyncio.run(client.close())
    del loop, pool, client
    gc.collect()  # the dropped connections' warnings come here, not in a later test
