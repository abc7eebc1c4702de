"""The local server's in-process transport against its loopback HTTP server: `agents.get` calls
per second through `server.transport()` (no socket) and through `server.url` (127.0.0.1), the
same PhosonClient code on both, sync and async, measured in the same run."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench._util import Row, interleave, median, paired_note, row

__all__ = ["run"]


def _per_second(calls: int, call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - started)


async def _aper_second(calls: int, call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return calls / (time.perf_counter() - started)


def _sync(calls: int, rounds: int) -> dict[str, list[float]]:
    from phoson import PhosonClient
    from phoson.testing import LocalPhosonServer

    with LocalPhosonServer() as server:
        http = httpx.Client(transport=server.transport())
        direct = PhosonClient(api_key=server.api_key, base_url=server.url, http_client=http)
        loopback = PhosonClient(api_key=server.api_key, base_url=server.url)
        agent_id = direct.agents.create(name="Bench", description="agents.get target").id
        measures = {
            "transport": lambda: _per_second(calls, lambda: direct.agents.get(agent_id)),
            "loopback": lambda: _per_second(calls, lambda: loopback.agents.get(agent_id)),
        }
        for measure in measures.values():
            measure()  # warm-up
        times = interleave(measures, rounds)
        direct.close()
        http.close()
        loopback.close()
    return times


def _async(calls: int, rounds: int) -> dict[str, list[float]]:
    from phoson import AsyncPhosonClient
    from phoson.testing import LocalPhosonServer

    async def main(server: LocalPhosonServer) -> dict[str, list[float]]:
        http = httpx.AsyncClient(transport=server.async_transport())
        direct = AsyncPhosonClient(api_key=server.api_key, base_url=server.url, http_client=http)
        loopback = AsyncPhosonClient(api_key=server.api_key, base_url=server.url)
        agent_id = (await direct.agents.create(name="Bench", description="agents.get target")).id
        measures: dict[str, Callable[[], Awaitable[float]]] = {
            "transport": lambda: _aper_second(calls, lambda: direct.agents.get(agent_id)),
            "loopback": lambda: _aper_second(calls, lambda: loopback.agents.get(agent_id)),
        }
        for measure in measures.values():
            await measure()  # warm-up
        times: dict[str, list[float]] = {name: [] for name in measures}
        names = list(measures)
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(await measures[name]())
        await direct.close()
        await http.aclose()
        await loopback.close()
        return times

    with LocalPhosonServer() as server:
        return asyncio.run(main(server))


def _row(mode: str, times: dict[str, list[float]], calls: int) -> Row:
    ratio = median(times["transport"]) / median(times["loopback"])
    return row(
        "local",
        f"local server, {mode}: `agents.get` calls/s over `server.transport()` vs over loopback",
        median(times["transport"]),
        median(times["loopback"]),
        "calls/s",
        ratio=ratio,
        target="ratio >= 1.5",
        passed=ratio >= 1.5,
        notes=f"{len(times['transport'])} rounds x {calls} calls; "
        + paired_note(times["transport"], times["loopback"]),
    )


def run(quick: bool = False) -> list[Row]:
    calls, rounds = (200, 3) if quick else (1000, 7)
    return [_row("sync", _sync(calls, rounds), calls), _row("async", _async(calls, rounds), calls)]


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["local", *sys.argv[1:]]))
