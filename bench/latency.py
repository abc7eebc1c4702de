"""Latency: from the server writing an event to user code receiving it, over loopback.

`LocalPhosonServer` runs in a thread of this process, so `time.perf_counter_ns()` is one clock
for both sides. The server has no public hook for the moment it writes an event, so the
benchmark wraps its handler's `_emit` (the method that writes each frame to the socket) and
notes the time just before the write, keyed by the sequence number that the scripted run
carries in each token's content (`"w<n> "`). User code notes the time each typed event comes
out of the iterator. A scripted run sends `EVENTS` tokens `DELAY` apart, so every event travels
alone, as in a real run. The baseline is a hand-written `httpx` + `httpx-sse` loop (with
`json.loads`) against the same server.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench._util import Row, percentile_rows

__all__ = ["run"]

DELAY = 0.003
TARGET_P99_MS = 2.0
_SEQ = re.compile(rb'"content":"w(\d+) "')


@contextlib.contextmanager
def _record_writes() -> Iterator[dict[int, int]]:
    """Note `perf_counter_ns()` just before the server writes each scripted token."""
    from phoson.testing import _http

    handler: Any = _http.Handler
    original = handler._emit
    writes: dict[int, int] = {}

    def emit(self: Any, data: bytes) -> None:
        started = time.perf_counter_ns()
        original(self, data)
        match = _SEQ.search(data)
        if match is not None:
            writes[int(match.group(1))] = started

    handler._emit = emit
    try:
        yield writes
    finally:
        handler._emit = original


def _script(server: Any, conversation_id: str, events: int) -> None:
    tokens = [("token", {"content": f"w{n} "}) for n in range(events)]
    done = ("run_done", {"content": "".join(f"w{n} " for n in range(events)), "run_id": "lat"})
    server.script_next_run(conversation_id, events=[*tokens, done], delay=DELAY)


def _latencies(writes: dict[int, int], received: dict[int, int], events: int) -> list[float]:
    missing = [n for n in range(events) if n not in writes or n not in received]
    if missing:
        raise AssertionError(f"{len(missing)} events have no write or receive time")
    return [(received[n] - writes[n]) / 1e6 for n in range(events)]


def run(quick: bool = False) -> list[Row]:
    import httpx

    from phoson import AsyncPhosonClient, PhosonClient
    from phoson.testing import LocalPhosonServer

    events, runs = (100, 1) if quick else (400, 3)
    samples: dict[str, list[float]] = {}

    with LocalPhosonServer() as server, _record_writes() as writes:
        setup = PhosonClient(api_key=server.api_key, base_url=server.url)
        agent = setup.agents.create(name="latency", description="benchmark agent")
        conversation = setup.conversations.create(agent.id).id
        setup.close()
        url = f"{server.url}/conversations/{conversation}/messages"
        auth = {"Authorization": f"Bearer {server.api_key}"}
        body = {"content": "go", "stream": True}

        def phoson_sync(client: PhosonClient) -> dict[int, int]:
            received: dict[int, int] = {}
            with client.messages.stream(conversation, "go") as stream:
                for event in stream:
                    now = time.perf_counter_ns()
                    if event.type == "token":
                        received[int(event.content[1:-1])] = now
            return received

        async def phoson_async(client: AsyncPhosonClient) -> dict[int, int]:
            received: dict[int, int] = {}
            async with client.messages.stream(conversation, "go") as stream:
                async for event in stream:
                    now = time.perf_counter_ns()
                    if event.type == "token":
                        received[int(event.content[1:-1])] = now
            return received

        def raw_sync(http: httpx.Client) -> dict[int, int]:
            import json

            import httpx_sse

            received: dict[int, int] = {}
            with httpx_sse.connect_sse(http, "POST", url, json=body, headers=auth) as source:
                for sse in source.iter_sse():
                    now = time.perf_counter_ns()
                    if sse.event == "token":
                        received[int(json.loads(sse.data)["content"][1:-1])] = now
            return received

        async def raw_async(http: httpx.AsyncClient) -> dict[int, int]:
            import json

            import httpx_sse

            received: dict[int, int] = {}
            async with httpx_sse.aconnect_sse(http, "POST", url, json=body, headers=auth) as source:
                async for sse in source.aiter_sse():
                    now = time.perf_counter_ns()
                    if sse.event == "token":
                        received[int(json.loads(sse.data)["content"][1:-1])] = now
            return received

        sync_client = PhosonClient(api_key=server.api_key, base_url=server.url)
        sync_http = httpx.Client()
        runner = asyncio.Runner()
        async_client = runner.run(_make_async_client(AsyncPhosonClient, server))
        async_http = runner.run(_make_async_http())
        measures: dict[str, Callable[[], dict[int, int]]] = {
            "phoson_sync": lambda: phoson_sync(sync_client),
            "phoson_async": lambda: runner.run(phoson_async(async_client)),
        }
        try:
            import httpx_sse  # noqa: F401

            measures["raw_sync"] = lambda: raw_sync(sync_http)
            measures["raw_async"] = lambda: runner.run(raw_async(async_http))
        except ImportError:
            pass
        # Warm up every path (connections, lazy imports, model builds) on a short run.
        for measure in measures.values():
            writes.clear()
            _script(server, conversation, 5)
            measure()
        for index in range(runs):
            names = list(measures)
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                writes.clear()
                _script(server, conversation, events)
                received = measures[name]()
                samples.setdefault(name, []).extend(_latencies(writes, received, events))
        sync_client.close()
        sync_http.close()
        runner.run(async_client.close())
        runner.run(async_http.aclose())
        runner.close()

    return percentile_rows(
        "latency",
        samples,
        lambda mode, q: (
            f"latency, {mode}: server write → typed event in user code, p{q:.0f}, "
            "vs `httpx-sse` + `json.loads`"
        ),
        target="p99 <= 2 ms",
        meets_target=lambda value: value <= TARGET_P99_MS,
        notes=lambda mine: (
            f"{len(mine)} events, {DELAY * 1000:.0f} ms apart, loopback; max {max(mine):.2f} ms"
        ),
    )


async def _make_async_client(cls: Any, server: Any) -> Any:
    return cls(api_key=server.api_key, base_url=server.url)


async def _make_async_http() -> Any:
    import httpx

    return httpx.AsyncClient()


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["latency", *sys.argv[1:]]))
