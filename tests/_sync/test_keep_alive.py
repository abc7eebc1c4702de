# DO NOT EDIT: generated from tests/_async/test_keep_alive.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The keep-alive limit is the pool's, not a shard's: after a burst of concurrent streams, a
client keeps `max_keepalive_connections` of their connections open (or all of them, when fewer),
and the next burst takes those up and opens only the rest, however many `httpx` clients
(shards) the pool spreads its connections over. The README's promise: "1,000 connections, 100
kept alive when idle"."""

# White-box in two places: waits for the streams' drains (the pool's `finishing`) before counting
# the connections kept, and sets the pool's shard size for the property.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import PhosonClient
from phoson._sync import _pool
from tests.budget import examples
from tests.concurrency import checkpoint, gather, poll_until
from tests.payloads import API_KEY, sse
from tests.scripted_server import Script, ScriptedServer

RUN = sse(
    [
        ("token", {"content": "Hello "}),
        ("token", {"content": "world"}),
        ("run_done", {"content": "Hello world", "run_id": "run_1"}),
    ]
)


def burst(client: PhosonClient, server: ScriptedServer, streams: int) -> int:
    """`streams` streams open at once (each has its answer's headers before any is read), then
    each read to its final event; returns how many connections the server accepted for them."""
    server.add(*[Script(parts=[RUN], end="end")] * streams)
    accepted = server.accepted
    with ExitStack() as stack:
        opened = [
            stack.enter_context(client.messages.stream("conv_1", "hi")) for _ in range(streams)
        ]
        for stream in opened:
            assert [text for text in stream.text_stream] == ["Hello ", "world"]
    return server.accepted - accepted


def other_work(seconds: float) -> None:
    """Work of the event loop's thread that holds it for `seconds` (a loop busy with streams)."""
    time.sleep(seconds)


def kept_open(client: PhosonClient, server: ScriptedServer, kept: int) -> int:
    """The connections the server still has open once the client settled after a burst: the
    streams' bodies drained (`finishing`) and the connections it closed noticed (polled down
    to `kept`; fewer is a failure the caller sees)."""
    pool = client._requester.pool
    assert poll_until(lambda: pool._current.finishing.count == 0, 10)
    poll_until(lambda: server.open_connections <= kept, 10)
    return server.open_connections


def test_after_a_burst_the_default_client_keeps_a_hundred_connections() -> None:
    """With the default limits (1,000 connections, 100 kept alive), 150 concurrent streams
    open 150 connections; once they end, 100 stay open, and the next 150 concurrent streams
    take those 100 up and open 50."""
    with ScriptedServer() as server:
        with PhosonClient(api_key=API_KEY, base_url=server.url, timeout=30) as client:
            assert burst(client, server, 150) == 150
            assert kept_open(client, server, 100) == 100
            assert burst(client, server, 150) == 50


@settings(
    max_examples=examples(12),
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    streams=st.integers(1, 12),
    keep_alive=st.one_of(st.none(), st.integers(0, 12)),
)
def test_any_burst_keeps_the_limit_and_the_next_one_takes_them_up(
    data: st.DataObject,
    streams: int,
    keep_alive: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """For any burst size, connection limit and keep-alive limit (None: no limit), over shards
    of 4 connections: after a burst of concurrent streams, min(streams, keep-alive limit)
    connections stay open, and the same burst again opens only the others."""
    monkeypatch.setattr(_pool, "SHARD_SIZE", 4)
    connections = data.draw(st.integers(streams, 12), label="max_connections")
    kept = streams if keep_alive is None else min(streams, keep_alive, connections)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=keep_alive)
    with ScriptedServer() as server:
        with PhosonClient(
            api_key=API_KEY, base_url=server.url, timeout=30, limits=limits
        ) as client:
            assert burst(client, server, streams) == streams
            assert kept_open(client, server, kept) == kept
            assert burst(client, server, streams) == streams - kept


def test_a_burst_onto_idle_connections_takes_each_up_at_once() -> None:
    """20 streams started at once, on a client holding 20 idle connections, go out on those
    20 and open none, even on an event loop slow to come round (10 ms a turn, as when it is
    busy reading other streams) with a keep-alive expiry of 0.3 s: each request has its own
    idle connection at once, not after the others of its turn have tried and missed it one by
    one (which took about two turns a stream, long enough for the idle connections not yet
    reached to expire)."""
    streams = 20
    limits = httpx.Limits(
        max_connections=streams, max_keepalive_connections=streams, keepalive_expiry=0.3
    )
    with ScriptedServer() as server:
        with PhosonClient(
            api_key=API_KEY, base_url=server.url, timeout=30, limits=limits
        ) as client:
            assert burst(client, server, streams) == streams
            assert kept_open(client, server, streams) == streams
            server.add(*[Script(parts=[RUN], end="end")] * streams)
            accepted = server.accepted
            done = False

            def busy() -> None:
                while not done:
                    other_work(0.03)  # a round of 3 turns (`acheckpoint`): 10 ms a turn
                    checkpoint()

            def one() -> str:
                return "".join([t for t in client.messages.stream("c", "hi").text_stream])

            def burst_at_once() -> list[str]:
                nonlocal done
                try:
                    return gather([one] * streams)
                finally:
                    done = True

            replies, _ = gather([burst_at_once, busy])
            assert replies == ["Hello world"] * streams
            assert server.accepted - accepted == 0
