"""Final event → loop end: how long after the run's last event arrives the user's loop ends,
against a server that does not end the body (it stays silent after `run_done`).

A scripted HTTP server on loopback (`tests/scripted_server.py`, in a thread of this process,
so `time.perf_counter_ns()` is one clock for both sides) sends a few tokens, waits 2 ms, writes
`run_done` (noting the time just before the write) and then holds the connection open. The
figure is the time from that write to the end of the user's `for`/`async for` over
`messages.stream` (the loop ends at the final event; the SDK closes the connection there).
The baseline, in the same run and against the same server, is a hand-written `httpx` +
`httpx-sse` loop that `break`s at `run_done` (leaving the `with` block closes the response):
the least a client can do. Runs alternate between the two.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from bench._util import Row, percentile_rows

__all__ = ["run"]

TARGET_P99_MS = 1.0
TOKENS = b"".join(
    b'event: token\ndata: {"content": "w%d "}\nid: r:%d\n\n' % (n, n) for n in range(1, 6)
)
FINAL = b'event: run_done\ndata: {"content": "w1 w2 w3 w4 w5 ", "run_id": "run_b"}\nid: r:6\n\n'


def run(quick: bool = False) -> list[Row]:
    import httpx

    from phoson import AsyncPhosonClient, PhosonClient
    from tests.scripted_server import Pause, Script, ScriptedServer

    runs = 30 if quick else 200
    samples: dict[str, list[float]] = {}
    with ScriptedServer() as server:
        url = f"{server.url}/conversations/conv_b/messages"
        body = {"content": "go", "stream": True}
        auth = {"Authorization": "Bearer pk_bench"}

        def phoson_sync(client: PhosonClient) -> int:
            for _ in client.messages.stream("conv_b", "go"):
                pass
            return time.perf_counter_ns()

        async def phoson_async(client: AsyncPhosonClient) -> int:
            async for _ in client.messages.stream("conv_b", "go"):
                pass
            return time.perf_counter_ns()

        def raw_sync(http: httpx.Client) -> int:
            import httpx_sse

            with httpx_sse.connect_sse(http, "POST", url, json=body, headers=auth) as source:
                for sse in source.iter_sse():
                    json.loads(sse.data)
                    if sse.event == "run_done":
                        break
            return time.perf_counter_ns()

        async def raw_async(http: httpx.AsyncClient) -> int:
            import httpx_sse

            async with httpx_sse.aconnect_sse(http, "POST", url, json=body, headers=auth) as source:
                async for sse in source.aiter_sse():
                    json.loads(sse.data)
                    if sse.event == "run_done":
                        break
            return time.perf_counter_ns()

        sync_client = PhosonClient(api_key="pk_bench", base_url=server.url, timeout=60)
        sync_http = httpx.Client(timeout=60)
        runner = asyncio.Runner()
        async_client = runner.run(
            _make(lambda: AsyncPhosonClient(api_key="pk_bench", base_url=server.url, timeout=60))
        )
        async_http = runner.run(_make(lambda: httpx.AsyncClient(timeout=60)))
        measures: dict[str, Callable[[], int]] = {
            "phoson_sync": lambda: phoson_sync(sync_client),
            "phoson_async": lambda: runner.run(phoson_async(async_client)),
        }
        try:
            import httpx_sse  # noqa: F401

            measures["raw_sync"] = lambda: raw_sync(sync_http)
            measures["raw_async"] = lambda: runner.run(raw_async(async_http))
        except ImportError:
            pass

        def once(name: str) -> float:
            server.add(Script(parts=[TOKENS, Pause(0.002), FINAL], end="hold"))
            ended = measures[name]()
            connection = server.connections[-1]
            return (ended - connection.written_ns[-1]) / 1e6

        for name in measures:  # warm up: connections, imports, model builds
            once(name)
        for index in range(runs):
            names = list(measures)
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                samples.setdefault(name, []).append(once(name))
        sync_client.close()
        sync_http.close()
        runner.run(async_client.close())
        runner.run(async_http.aclose())
        runner.close()

    return percentile_rows(
        "stream_end",
        samples,
        lambda mode, q: (
            f"final event → loop end, {mode}, p{q:.0f}: `messages.stream` loop vs "
            "`httpx-sse` loop that breaks at `run_done` (server holds the body open)"
        ),
        target="p99 < 1 ms",
        meets_target=lambda value: value < TARGET_P99_MS,
        notes=lambda mine: f"{len(mine)} runs, loopback; max {max(mine):.2f} ms",
    )


async def _make(factory: Callable[[], Any]) -> Any:
    return factory()


if __name__ == "__main__":
    import sys

    from bench.run import main

    sys.exit(main(["stream_end", *sys.argv[1:]]))
