"""Streams give their connection back: a stream's loop ends at the final event, and its
connection goes back to the pool when the server ends the body then or a moment later, so a
chat's sequential streams share a connection (one TCP and one TLS handshake, not one per
message). A body that ends late or never costs its connection, never the loop's time, a task,
or a place in the pool. Against the local server and over TLS (`tests.tls`)."""

# White-box test: reads the pool's internals (its current shards, the connections still finishing).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import AsyncPhosonClient, RunDoneEvent, _background
from phoson._background import DRAIN_WITHIN
from phoson.testing import LocalPhosonServer
from tests._async.live import new_conversation
from tests.budget import examples
from tests.concurrency import apoll_until
from tests.payloads import API_KEY, sse
from tests.scripted_server import Pause, Script, ScriptedServer

EVENTS = [
    ("token", {"content": "Hello "}),
    ("token", {"content": "world"}),
    ("run_done", {"content": "Hello world", "run_id": "run_1"}),
]
RUN = sse(EVENTS)
TURNS = 20


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
async def tls_client(tls_server: ScriptedServer) -> AsyncIterator[AsyncPhosonClient]:
    async with AsyncPhosonClient(api_key=API_KEY, base_url=tls_server.url, timeout=30) as client:
        yield client


async def test_twenty_sequential_streams_share_connections_on_the_local_server(
    server: LocalPhosonServer,
) -> None:
    """20 streams one after the other on one client, each read to its final event, use at most
    2 connections of the local server (each stream's connection is taken up again)."""
    async with AsyncPhosonClient(api_key=server.api_key, base_url=server.url) as client:
        conv = await new_conversation(client)
        sockets: list[object] = []  # kept, so that no two connections share an id
        for _ in range(TURNS):
            async with client.messages.stream(conv, "hi") as stream:
                events = [event async for event in stream]
            assert isinstance(events[-1], RunDoneEvent)
            assert stream.response is not None
            network = stream.response.extensions["network_stream"]
            if not any(network is known for known in sockets):
                sockets.append(network)
        assert len(sockets) <= 2, f"{len(sockets)} connections for {TURNS} sequential streams"


async def test_twenty_sequential_streams_over_tls_do_at_most_two_handshakes(
    tls_client: AsyncPhosonClient, tls_server: ScriptedServer
) -> None:
    """Over TLS, 20 sequential streams whose server ends each body right after run_done open
    at most 2 connections (2 TLS handshakes), and each reply arrives whole."""
    tls_server.add(*[Script(parts=[RUN], end="end")] * TURNS)
    for _ in range(TURNS):
        stream = tls_client.messages.stream("conv_1", "hi")
        assert [text async for text in stream.text_stream] == ["Hello ", "world"]
    assert tls_server.requests == TURNS
    assert tls_server.accepted <= 2, f"{tls_server.accepted} TLS handshakes for {TURNS} streams"


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
async def test_a_body_that_ends_a_moment_after_the_final_event_keeps_its_connection(
    request: pytest.FixtureRequest, tls: bool
) -> None:
    """The server ends the body 50 ms after run_done: the loop has ended at run_done already,
    and the next stream (sent after the end arrived) goes over the same connection."""
    server: ScriptedServer = request.getfixturevalue("tls_server" if tls else "scripted")
    server.add(Script(parts=[RUN, Pause(0.05)], end="end"), Script(parts=[RUN], end="end"))
    async with AsyncPhosonClient(api_key=API_KEY, base_url=server.url, timeout=30) as client:
        first = [event async for event in client.messages.stream("conv_1", "hi")]
        assert isinstance(first[-1], RunDoneEvent)
        assert not server.connections[0].completed  # the loop did not wait for the end
        assert await apoll_until(lambda: server.connections[0].completed, 5)
        second = [event async for event in client.messages.stream("conv_1", "hi")]
        assert isinstance(second[-1], RunDoneEvent)
    assert server.requests == 2 and server.accepted == 1


@pytest.mark.parametrize("tail", ["late", "never"])
async def test_a_body_that_ends_late_or_never_costs_its_connection_not_the_loop(
    scripted: ScriptedServer, tail: str
) -> None:
    """A server that ends the body 20 s after run_done, or never: the loop ends at run_done
    at once; the connection is closed within DRAIN_WITHIN (nothing leaks), its place in the
    pool is given back (a 1-connection client's next stream goes through), and no drain is
    left behind."""
    late = Script(parts=[RUN, Pause(20.0)], end="end")
    never = Script(parts=[RUN], end="hold")
    scripted.add(late if tail == "late" else never, Script(parts=[RUN], end="end"))
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(30, pool=10)
    async with AsyncPhosonClient(
        api_key=API_KEY, base_url=scripted.url, timeout=timeout, limits=limits
    ) as client:
        pool = client._requester.pool
        gate = pool.slots
        assert gate is not None
        stream = client.messages.stream("conv_1", "hi")
        final_at = ended_at = 0.0
        async for event in stream:
            if isinstance(event, RunDoneEvent):
                final_at = time.monotonic()
        ended_at = time.monotonic()
        assert ended_at - final_at < DRAIN_WITHIN / 2, "the loop waited for the body's end"
        first = scripted.connections[0]
        assert not first.completed
        assert await apoll_until(first.gone.is_set, 5), "the connection was kept open"
        assert await apoll_until(lambda: gate.in_use == 0, 5)
        second = [event async for event in client.messages.stream("conv_1", "hi")]
        assert isinstance(second[-1], RunDoneEvent)
        assert await apoll_until(lambda: pool._current.finishing.count == 0 and gate.in_use == 0, 5)
    assert scripted.requests == 2 and scripted.accepted == 2


#: What a server does after run_done, in the property below (with DRAIN_WITHIN cut to 0.1 s).
TAIL_SCRIPTS = {
    "ends": Script(parts=[RUN], end="end"),
    "ends 20 ms later": Script(parts=[RUN, Pause(0.02)], end="end"),
    "pings, then ends": Script(parts=[RUN, b": ping\n\n"], end="end"),
    "ends 20 s later": Script(parts=[RUN, Pause(20.0)], end="end"),
    "never ends": Script(parts=[RUN], end="hold"),
}
#: The tails after which the connection is taken up again.
KEPT = {"ends", "ends 20 ms later", "pings, then ends"}


@settings(
    max_examples=examples(6),
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tails=st.lists(st.sampled_from(sorted(TAIL_SCRIPTS)), min_size=1, max_size=4))
async def test_any_sequence_of_tails_keeps_the_slot_count_exact(
    tails: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever each server does after run_done, on a 1-connection client: every loop ends at
    its run_done with the whole reply, a connection is taken up again exactly when its body
    ended soon after, and once the drains are done no place in the pool is held and every
    connection left open is idle in the pool (none leaks)."""
    monkeypatch.setattr(_background, "DRAIN_WITHIN", 0.1)
    with ScriptedServer() as server:
        server.add(*[TAIL_SCRIPTS[tail] for tail in tails])
        limits = httpx.Limits(max_connections=1)
        async with AsyncPhosonClient(
            api_key=API_KEY, base_url=server.url, timeout=httpx.Timeout(30, pool=10), limits=limits
        ) as client:
            pool = client._requester.pool
            for _ in tails:
                texts = [text async for text in client.messages.stream("conv_1", "hi").text_stream]
                assert texts == ["Hello ", "world"]
            assert await apoll_until(lambda: pool._current.finishing.count == 0, 5)
            assert pool.slots is not None and pool.slots.in_use == 0
            # The connections not taken up again were closed: all but the last are gone.
            assert await apoll_until(
                lambda: all(c.gone.is_set() for c in server.connections[:-1] if not c.completed),
                5,
            )
        assert server.accepted == 1 + sum(tail not in KEPT for tail in tails[:-1])


async def test_closing_the_client_ends_a_drain_under_way(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client closed while a finished stream's body is still being read (the server holds
    it open) closes that connection at once, not at the drain's deadline, and no drain (task
    or thread) is left reading."""
    monkeypatch.setattr(_background, "DRAIN_WITHIN", 60.0)  # only close() can end it in time
    scripted.add(Script(parts=[RUN], end="hold"))
    client = AsyncPhosonClient(api_key=API_KEY, base_url=scripted.url, timeout=120)
    events = [event async for event in client.messages.stream("conv_1", "hi")]
    assert isinstance(events[-1], RunDoneEvent)
    pool = client._requester.pool
    assert pool._current.finishing.count == 1
    started = time.monotonic()
    await client.close()
    assert await apoll_until(scripted.connections[0].gone.is_set, 10)
    assert await apoll_until(lambda: pool._current.finishing.count == 0, 10)
    assert time.monotonic() - started < 10
