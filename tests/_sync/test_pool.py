# DO NOT EDIT: generated from tests/_async/test_pool.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The connection pool under load: more streams than connections all complete, in FIFO turns,
a request that cannot get a connection in time fails with a clear error, and a closed client
refuses calls (issues 15 and 9)."""

# White-box test: reaches the pool's shards and the pacing of its connects.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterable
from functools import partial
from typing import Any

import httpx
import pytest

from phoson import PhosonClient, PhosonError, PhosonTimeoutError
from phoson._sync import _pool
from phoson.testing import LocalPhosonServer
from tests._sync.live import close_while_reading, new_conversation
from tests.budget import scale
from tests.concurrency import Job, gather, poll_until

#: Streams over a pool of CONNECTIONS: 40 waiting for each connection (the issue's example) in
#: the full-size run (.ci/run step 5: PHOSON_TEST_SCALE=full), 8 in the everyday run.
STREAMS = scale(400, 2000)
CONNECTIONS = 50
#: Threads for the blocking client's run: far more than the pool's connections.
THREADS = 256
RUN_DONE = {"content": "hi", "run_id": "run_1"}


class SlowConnects:
    """httpcore's network backend with connects that take `delay` seconds longer; it records
    how many are under way at once and the timeout each was given."""

    def __init__(self, backend: Any, delay: float) -> None:
        self.backend = backend
        self.delay = delay
        self.lock = threading.Lock()  # the blocking client's threads share it
        self.under_way = 0
        self.peak = 0
        self.timeouts: list[float | None] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        with self.lock:
            self.under_way += 1
            self.peak = max(self.peak, self.under_way)
            self.timeouts.append(timeout)
        try:
            self.backend.sleep(self.delay)
            return self.backend.connect_tcp(
                host, port, timeout=timeout, local_address=local_address
            )
        finally:
            with self.lock:
                self.under_way -= 1

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def slow_connects(client: PhosonClient, delay: float) -> SlowConnects:
    """Slow down the connects of the client's (only) httpx client, under phoson's pacing."""
    (shard,) = client._requester.pool._current.shards
    paced = shard.http._transport._pool._network_backend  # type: ignore[attr-defined]
    # The pacing is in place with the httpx and httpcore installed (it reaches into both).
    assert isinstance(paced, _pool._PacedConnects)
    slow = SlowConnects(paced._backend, delay)
    paced._backend = slow  # type: ignore[assignment]
    return slow


def small_pool(server: LocalPhosonServer, connections: int, **options: object) -> PhosonClient:
    return PhosonClient(
        api_key=server.api_key,
        base_url=server.url,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        **options,  # type: ignore[arg-type]
    )


def test_more_streams_than_connections_all_complete(
    server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 concurrent streams (400 in the everyday run: tests/budget.py; on 256 threads for
    the blocking client) over a pool of 50 connections, split into httpx clients of 16, all
    end with their reply, and the server never sees more than the pool's connections (give or
    take the ones closing)."""
    monkeypatch.setattr(_pool, "SHARD_SIZE", 16)
    with small_pool(server, CONNECTIONS) as client:
        conversation = new_conversation(client)
        for _ in range(STREAMS):  # short runs keep the test quick: one token, then run_done
            server.script_next_run(
                conversation, events=[("token", {"content": "hi"}), ("run_done", RUN_DONE)]
            )
        peak = 0

        def one(index: int) -> str:
            nonlocal peak
            with client.messages.stream(conversation, "hello") as stream:
                if index % 25 == 0:  # (a stats snapshot copies every recorded request)
                    peak = max(peak, server.stats.open_connections)
                return "".join([e.content for e in stream if e.type == "token"])

        jobs: list[Job[str]] = [partial(one, index) for index in range(STREAMS)]
        replies = gather(jobs, limit=THREADS)
        assert replies == ["hi"] * STREAMS
        # A stream closes its connection at its final event; the server counts a closed
        # connection until it notices, so its count may lag the pool's by a few (without the
        # pool's limit it would reach the number of threads).
        assert 0 < peak <= 2 * CONNECTIONS
        assert [shard.capacity for shard in client._requester.pool._current.shards] == [
            16,
            16,
            16,
            2,
        ]


def test_new_connections_are_opened_a_few_at_a_time(
    server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of streams on a cold pool opens its connections at most CONNECTS_AT_ONCE at a
    time (3 here, 256 by default), and every stream still gets its reply."""
    monkeypatch.setattr(_pool, "CONNECTS_AT_ONCE", 3)
    with small_pool(server, 1) as other:
        conversation = new_conversation(other)
    with small_pool(server, CONNECTIONS) as client:
        slow = slow_connects(client, 0.05)
        for _ in range(20):
            server.script_next_run(
                conversation, events=[("token", {"content": "hi"}), ("run_done", RUN_DONE)]
            )

        def one() -> str:
            with client.messages.stream(conversation, "hello") as stream:
                return "".join([e.content for e in stream if e.type == "token"])

        replies = gather([one] * 20, limit=20)
        assert replies == ["hi"] * 20
        assert slow.peak == 3  # paced, and as many at once as allowed
        # A cold pool: a new connection per stream, but for any a finished stream gave back
        # before a later one was sent (under load, the first streams may end that early).
        assert 3 <= len(slow.timeouts) <= 20
        stats = server.stats
        posts = [
            (request, body)
            for request, body in zip(stats.requests, stats.request_bodies, strict=True)
            if request.path.endswith("/messages")
        ]
        assert len(posts) == 20
        assert all(r.method == "POST" and b'"content":"hello"' in body for r, body in posts)


def test_a_connect_waiting_past_its_timeout_says_why(
    server: LocalPhosonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait for a turn to connect counts in the connect timeout: a request that cannot
    start connecting in time raises PhosonTimeoutError saying so and what to raise, and sends
    nothing; the connect under way gets what is left of its timeout, and succeeds."""
    monkeypatch.setattr(_pool, "CONNECTS_AT_ONCE", 1)
    options: dict[str, Any] = {"timeout": httpx.Timeout(10, connect=0.3), "max_retries": 0}
    with small_pool(server, 1) as other:
        conversation = new_conversation(other)
    with small_pool(server, CONNECTIONS, **options) as client:
        slow = slow_connects(client, 0.6)
        held = client.messages.stream(conversation, "hello")
        server.script_next_run(conversation, events=[("run_done", RUN_DONE)])

        def first() -> str:
            with held as stream:
                return (stream.until_done()).content

        def second() -> str:
            assert poll_until(lambda: bool(slow.timeouts))  # the first has its turn
            with pytest.raises(PhosonTimeoutError) as caught:
                client.agents.list()
            return str(caught.value)

        lists_before = len([r for r in server.stats.requests if r.path == "/agents"])
        done, message = gather([first, second])
        assert done == "hi"
        assert "GET" in message and "/agents" in message
        assert "could be started within the connect timeout" in message
        assert "1 others of this client were being opened" in message
        assert "connect=" in message
        (given,) = slow.timeouts
        assert given is not None and 0 < given <= 0.3
        assert len([r for r in server.stats.requests if r.path == "/agents"]) == lists_before


def test_exhausted_pool_says_so(server: LocalPhosonServer) -> None:
    """A call that finds every connection taken for longer than the pool timeout raises
    PhosonTimeoutError naming the exhausted pool and the limit to raise; once the stream
    holding the connection is closed, calls go through again."""
    server.event_delay = 0.01
    try:
        with small_pool(server, 1, timeout=httpx.Timeout(10, pool=0.2)) as client:
            conversation = new_conversation(client)
            with client.messages.stream(conversation, "a long reply, word by word"):
                with pytest.raises(PhosonTimeoutError) as caught:
                    client.agents.list()
            message = str(caught.value)
            assert "GET" in message and "/agents" in message
            assert "connection pool is exhausted" in message
            assert "all 1 connections are in use" in message
            assert "max_connections" in message and "pool=" in message
            assert len(client.agents.list()) == 1
    finally:
        server.event_delay = 0.0


def test_calls_after_close_say_the_client_is_closed(server: LocalPhosonServer) -> None:
    """After close(), calls and streams raise PhosonError saying the client is closed, before
    any request goes out; a with_options copy closes alone, the original closes every copy."""
    client = PhosonClient(api_key=server.api_key, base_url=server.url)
    conversation = new_conversation(client)
    copy = client.with_options(timeout=5)
    copy.close()
    assert (copy.closed, client.closed) == (True, False)
    assert client.agents.list()  # the shared pool is still open
    other = client.with_options(max_retries=0)
    client.close()
    assert (client.closed, other.closed) == (True, True)
    requests = len(server.stats.requests)
    for closed in (client, copy, other):
        with pytest.raises(PhosonError, match="client is closed"):
            closed.agents.list()
        with pytest.raises(PhosonError, match="client is closed"):
            with closed.messages.stream(conversation, "hi"):
                pass
    assert len(server.stats.requests) == requests
    client.close()  # still safe to repeat


def test_a_finished_stream_is_freed_without_the_garbage_collector(
    server: LocalPhosonServer,
) -> None:
    """A stream that ended (read to its final event, or left early and closed) holds no
    reference cycle: once dropped, its response and connection are freed at once, with the
    cyclic garbage collector off, so memory stays flat over many sequential streams."""
    with small_pool(server, 4) as client:
        conversation = new_conversation(client)
        for leave_early in (False, True):
            gc.collect()
            gc.disable()
            try:
                with client.messages.stream(conversation, "one two three") as stream:
                    types: list[str] = []
                    for event in stream:
                        types.append(event.type)
                        if leave_early:
                            break
                    assert types[-1] == ("token" if leave_early else "run_done")
                    response = stream.response
                    assert response is not None
                    dropped = weakref.ref(response)
                # A stream read to its final event leaves its body's end to the pool, which
                # reads it in the background (phoson._background): let it finish.
                assert poll_until(lambda: client._requester.pool._current.finishing.count == 0)
                del stream, response
                assert dropped() is None, "the response outlived its stream"
            finally:
                gc.enable()


def test_a_stream_waiting_for_a_connection_can_be_closed(server: LocalPhosonServer) -> None:
    """With every connection taken, a stream waiting for one ends quietly when close() is
    called elsewhere (another task; another thread for the blocking client): no request is
    sent for it, it gives up its place in the queue, and once the connection is free the next
    call gets it."""
    server.event_delay = 0.02
    try:
        with small_pool(server, 1, timeout=httpx.Timeout(30, pool=20)) as client:
            conversation = new_conversation(client)
            slots = client._requester.pool.slots
            assert slots is not None
            words = " ".join(["word"] * 200)
            with client.messages.stream(conversation, words) as holder:
                assert (holder.__next__()).type == "token"  # holds the only connection
                sent = len(server.stats.requests)
                waiting = client.messages.stream(conversation, "hi")
                received = close_while_reading(waiting, lambda _: slots.waiting == 1)
                assert received == [] and slots.waiting == 0 and slots.in_use == 1
                assert len(server.stats.requests) == sent  # nothing was sent for it
            agents = client.agents.list()  # the freed connection serves the next call
            assert len(agents) == 1
            assert slots.in_use == 0
    finally:
        server.event_delay = 0.0
