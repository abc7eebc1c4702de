"""The Client machine (issue 21): one blocking PhosonClient and one AsyncPhosonClient, used
the way applications do, in any order: calls and streams, streams left open, close() from
another thread while the main thread reads, Ctrl-C while a call waits for a connection (a test
seam raises KeyboardInterrupt there), cancellation, os.fork(), successive and concurrent
event loops on the one async client, and closing either client.

After every step: every slot of the pool is either free or held by a stream the machine holds
open, nobody waits; no event loop that ended kept connections; a closed client sent nothing
more. At the end every connection is closed. Plain tests (not under tests/_async): the
machine starts its own event loops and threads.
"""

# White-box test: reads the pool's internals and hooks its test seams (_wait_for_turn, _fork).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import trio
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from phoson import AsyncPhosonClient, MessageStream, PhosonClient, PhosonError, _slots
from phoson.testing import LocalPhosonServer, reply_text
from tests.budget import PROFILE, examples
from tests.test_pool_lifetime import _fork, needs_fork

#: The blocking client's connections: the machine holds at most one stream open, so that its
#: calls always find a free one (a call that waits is the Ctrl-C rule's, which fills the pool).
SLOTS = 2
#: A run that lasts (40 tokens, 0.1 s apart): what the machine's open streams read.
SLOW_RUN = [("token", {"content": f"t{n} "}) for n in range(40)] + [
    ("run_done", {"content": "slow", "run_id": "run_slow"})
]


def _poll(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class ClientMachine(RuleBasedStateMachine):
    def __init__(self, server: LocalPhosonServer) -> None:
        super().__init__()
        self.server = server
        self.client = PhosonClient(
            api_key=server.api_key,
            base_url=server.url,
            limits=httpx.Limits(max_connections=SLOTS),
            timeout=httpx.Timeout(30, pool=2),
            default_headers={"x-machine-client": "blocking"},
        )
        self.aclient = AsyncPhosonClient(
            api_key=server.api_key,
            base_url=server.url,
            default_headers={"x-machine-client": "async"},
        )
        self.open: list[MessageStream] = []
        #: Streams left open when their client was closed (which closed their connections).
        self.orphans: list[MessageStream] = []
        self.closed_at: int | None = None  # its requests when the blocking client was closed
        self.aclosed_at: int | None = None  # ... and the async one's
        self.conversation = ""
        #: Where the cancelled readers' slow runs are scripted: a reader cancelled before its
        #: request went out leaves its script for the next one, never for the other rules.
        self.slow_conversation = ""

    # -- Set-up and helpers --------------------------------------------------------------

    @initialize()
    def make_a_conversation(self) -> None:
        agent = self.client.agents.create(name="machine", description="m")
        self.conversation = self.client.conversations.create(agent.id).id
        self.slow_conversation = self.client.conversations.create(agent.id).id

    def sent(self, by: str = "") -> int:
        """Requests the server received (from one of the two clients, if `by` says which)."""
        requests = self.server.stats.requests
        if not by:
            return len(requests)
        return sum(r.headers.get("x-machine-client") == by for r in requests)

    def resumes_since(self, before: int) -> list[Any]:
        return [r for r in self.server.stats.requests[before:] if "last-event-id" in r.headers]

    def expect_closed(self, call: Callable[[], object], by: str, closed_at: int) -> None:
        """A call on a closed client raises PhosonError and sends nothing."""
        with pytest.raises(PhosonError, match="closed"):
            call()
        assert self.sent(by) == closed_at

    # -- The blocking client -------------------------------------------------------------

    @rule()
    def call(self) -> None:
        if self.closed_at is not None:
            self.expect_closed(self.client.agents.list, "blocking", self.closed_at)
            return
        assert len(self.client.agents.list()) >= 1

    @rule(content=st.sampled_from(["hi", "one two three"]))
    def stream_to_the_end(self, content: str) -> None:
        stream = self.client.messages.stream(self.conversation, content)
        if self.closed_at is not None:
            self.expect_closed(stream.until_done, "blocking", self.closed_at)
            return
        assert stream.until_done().content == reply_text(content)

    def open_slow_stream(self) -> MessageStream:
        self.server.script_next_run(self.conversation, events=SLOW_RUN, delay=0.1)
        stream = self.client.messages.stream(self.conversation, "slow")
        assert next(iter(stream)).type == "token"
        return stream

    @precondition(lambda self: len(self.open) < SLOTS - 1 and self.closed_at is None)
    @rule()
    def open_a_stream_and_keep_it(self) -> None:
        self.open.append(self.open_slow_stream())

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def close_from_another_thread_while_reading(self, data: st.DataObject) -> None:
        stream = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        closer = threading.Timer(0.05, stream.close)
        started = time.monotonic()
        closer.start()
        for _ in stream:  # the main thread reads; close() comes from the timer's thread
            pass
        closer.join()
        assert time.monotonic() - started < 3
        assert stream.closed
        response = stream.response
        assert response is not None and response.is_closed
        before = self.sent()
        assert list(stream) == []
        assert self.sent() == before

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def close_a_stream(self, data: st.DataObject) -> None:
        self.open.pop(data.draw(st.integers(0, len(self.open) - 1))).close()

    @precondition(lambda self: len(self.open) == SLOTS - 1 and self.closed_at is None)
    @rule(after_its_turn=st.booleans())
    def ctrl_c_while_waiting_for_a_connection(self, after_its_turn: bool) -> None:
        """With every connection held by a stream, a call waits; KeyboardInterrupt lands in
        its wait (or just after a closed stream handed it a connection)."""
        filler = self.open_slow_stream()
        real_turn = _slots._wait_for_turn

        def interrupted(wake: threading.Lock, within: float | None) -> bool:
            if after_its_turn:  # a connection comes free and is handed to this call first
                filler.close()
                real_turn(wake, within)
            raise KeyboardInterrupt

        _slots._wait_for_turn = interrupted
        try:
            with pytest.raises(KeyboardInterrupt):
                self.client.agents.list()
        finally:
            _slots._wait_for_turn = real_turn
            filler.close()

    @needs_fork
    @precondition(lambda self: self.closed_at is None)
    @rule()
    def fork(self) -> None:
        """The child calls on connections of its own (with the parent's streams open)."""
        client, agent_count = self.client, len(self.client.agents.list())
        child = _fork(lambda: len(client.agents.list()))
        assert child() == agent_count

    @precondition(lambda self: self.closed_at is None)
    @rule()
    def close_the_client(self) -> None:
        self.client.close()  # the streams it holds open lose their connections
        self.closed_at = self.sent("blocking")
        self.orphans, self.open = self.open, []

    @precondition(lambda self: self.orphans)
    @rule()
    def read_a_stream_of_the_closed_client(self) -> None:
        """Reading on raises PhosonError (the connection went with the client); nothing is
        sent."""
        stream = self.orphans.pop()
        with pytest.raises(PhosonError, match="client is closed"):
            for _ in stream:
                pass
        assert self.closed_at is not None and self.sent("blocking") == self.closed_at

    # -- The async client, in event loops of its own -------------------------------------

    def in_loop(self, kind: str, job: Callable[[], Any]) -> Any:
        if kind == "asyncio":
            return asyncio.run(job())
        return trio.run(job)

    @rule(kind=st.sampled_from(["asyncio", "trio"]))
    def event_loop_calls_and_streams(self, kind: str) -> None:
        client, conversation = self.aclient, self.conversation

        async def job() -> None:
            await client.agents.list()
            done = await client.messages.stream(conversation, "hi").until_done()
            assert done.content == reply_text("hi")

        if self.aclosed_at is not None:
            self.expect_closed(lambda: self.in_loop(kind, job), "async", self.aclosed_at)
            return
        self.in_loop(kind, job)

    @precondition(lambda self: self.aclosed_at is None)
    @rule()
    def concurrent_event_loops(self) -> None:
        """An asyncio loop and a trio run on two threads, each streaming at the same time:
        both read their whole reply with no resume (no loop closed the other's connection)."""
        client, conversation = self.aclient, self.conversation
        together = threading.Barrier(2)
        texts: list[str] = []
        content = " ".join(f"w{n}" for n in range(12))

        async def job() -> None:
            await anyio.to_thread.run_sync(together.wait, 10)
            await client.agents.list()
            stream = client.messages.stream(conversation, content)
            async with stream:
                async for event in stream:
                    if event.type == "token":
                        await anyio.sleep(0.005)
            texts.append(stream.text)

        failures: list[BaseException] = []

        def in_asyncio() -> None:
            try:
                asyncio.run(job())
            except BaseException as exc:
                failures.append(exc)

        before = self.sent()
        thread = threading.Thread(target=in_asyncio)
        thread.start()
        trio.run(job)
        thread.join(20)
        if failures:
            raise failures[0]
        assert texts == [reply_text(content)] * 2
        assert self.resumes_since(before) == []

    @precondition(lambda self: self.aclosed_at is None)
    @rule(kind=st.sampled_from(["asyncio", "trio"]), timeout=st.sampled_from([0.0, 0.01, 0.15]))
    def cancelled_reader(self, kind: str, timeout: float) -> None:
        """A task reading a slow stream is cancelled: its slot and connection come back."""
        client, conversation, server = self.aclient, self.slow_conversation, self.server

        async def job() -> None:
            server.script_next_run(conversation, events=SLOW_RUN, delay=0.1)
            stream = client.messages.stream(conversation, "slow")
            with anyio.move_on_after(timeout):  # (the cancel may land while it opens)
                async with stream:
                    async for _ in stream:
                        pass
            slots = client._requester.pool.slots
            assert slots is not None and slots.in_use == 0 and slots.waiting == 0

        self.in_loop(kind, job)

    @precondition(lambda self: self.aclosed_at is None)
    @rule(kind=st.sampled_from(["asyncio", "trio"]))
    def close_the_async_client(self, kind: str) -> None:
        self.in_loop(kind, self.aclient.close)
        self.aclosed_at = self.sent("async")

    # -- Invariants ------------------------------------------------------------------------

    @invariant()
    def every_slot_is_free_or_held_by_an_open_stream(self) -> None:
        # A stream that ended holds its slot while the end of its body is read, apart from
        # the caller (at most `_background.DRAIN_WITHIN`): wait for those first.
        self.client._requester.pool._current.finishing.settled(2.0)
        slots = self.client._requester.pool.slots
        assert slots is not None
        if self.closed_at is None:
            assert slots.in_use == len(self.open)
        assert slots.waiting == 0

    @invariant()
    def no_ended_event_loop_kept_connections(self) -> None:
        gc.collect()
        assert self.aclient._requester.pool._by_owner == {}

    def teardown(self) -> None:
        for stream in self.open + self.orphans:
            stream.close()
        self.client.close()
        if self.aclosed_at is None:
            asyncio.run(self.aclient.close())
        assert _poll(lambda: self.server.stats.open_connections == 0)


@pytest.fixture
def machine_server() -> Iterator[LocalPhosonServer]:
    with LocalPhosonServer(request_log_size=100_000) as server:
        yield server


def test_client_machine(machine_server: LocalPhosonServer) -> None:
    """Any sequence of the machine's moves keeps the pool's accounting exact, never closes a
    live loop's connection from another loop, sends nothing after a client is closed, and
    leaves no connection open at the end."""

    class OnThisServer(ClientMachine):
        def __init__(self) -> None:
            super().__init__(machine_server)

    # (Untyped in hypothesis 6.100, the lowest version CI checks; typed in later ones.)
    run_state_machine_as_test(  # type: ignore[no-untyped-call, unused-ignore]
        OnThisServer,
        settings=settings(
            max_examples=examples(4, full=8),
            stateful_step_count=12,
            # No shrinking in the everyday run (a failure prints its steps as they are; a
            # shrink takes minutes): the release profile shrinks.
            phases=tuple(Phase) if PROFILE == "release" else (Phase.explicit, Phase.generate),
        ),
    )
