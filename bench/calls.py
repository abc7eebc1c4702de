"""Call overhead: `agents.get` over an in-process `httpx.MockTransport`, sync and async.

With tracing off (the default) this is the figure to keep; with `open_telemetry=True` the
extra cost is reported against it, in the same rounds.

The baseline is what a user would write by hand on the same transport: `httpx` `get` with the
same Authorization header, then `Agent.model_validate_json` (the same model class, so the
validation cost is identical). openai-python's `models.retrieve` on its own MockTransport is an
anchor, compared with the same raw baseline.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench._util import Row, interleave, median, paired_note, row

__all__ = ["run"]

BASE_URL = "http://phoson.localhost"
API_KEY = "pk_bench"
AGENT_ID = "ag_6f1c2d9e4b7a4e0f"
AGENT_JSON = (
    b'{"id":"ag_6f1c2d9e4b7a4e0f","name":"Support bot","description":"Answers questions '
    b'about orders and returns.","memory_type":"persistent","mcp_ids":["mcp_orders",'
    b'"mcp_returns"],"created_at":"2025-03-01T12:00:00Z","updated_at":"2025-03-02T08:30:00Z"}'
)
MODEL_JSON = b'{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}'
HEADERS = {"content-type": "application/json", "x-request-id": "req_0123456789abcdef"}


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=AGENT_JSON, headers=HEADERS)


def _timed(calls: int, call: Callable[[], Any]) -> float:
    """Microseconds per call over `calls` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


async def _atimed(calls: int, call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - started) / calls * 1e6


def _openai_sync() -> tuple[Callable[[], Any], Callable[[], None]] | None:
    try:
        import httpx2
        import openai
    except ImportError:
        return None
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(200, content=MODEL_JSON, headers=HEADERS)
    )
    http = httpx2.Client(transport=transport)
    client = openai.OpenAI(api_key="sk-bench", base_url="http://openai.test/v1", http_client=http)
    return (lambda: client.models.retrieve("gpt-4o")), http.close


def _openai_async() -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]] | None:
    try:
        import httpx2
        import openai
    except ImportError:
        return None
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(200, content=MODEL_JSON, headers=HEADERS)
    )
    http = httpx2.AsyncClient(transport=transport)
    client = openai.AsyncOpenAI(
        api_key="sk-bench", base_url="http://openai.test/v1", http_client=http
    )
    return (lambda: client.models.retrieve("gpt-4o")), http.aclose


def _tracer_provider() -> object | None:
    """An OpenTelemetry SDK tracer provider with no exporter (spans are made, then dropped),
    or None when opentelemetry-sdk is not installed."""
    try:
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        return None
    return TracerProvider()


def _off_seams_us(calls: int) -> float:
    """Microseconds per call spent in the tracing seams when tracing is off: what the
    requester does for every call (start a span, enter its context, inject, note the
    response, end), on the do-nothing tracer every untraced client has."""
    from phoson import _wire as wire
    from phoson._tracing import NO_TRACER

    call = wire.agents_get(AGENT_ID)
    response = httpx.Response(200, content=AGENT_JSON, headers=HEADERS)
    headers = httpx.Headers()
    started = time.perf_counter()
    for _ in range(calls):
        span = NO_TRACER.start(call)
        parse = lambda response: response  # noqa: E731 - the requester builds one per call
        with span.current():
            span.inject(headers)
            span.response(response)
            result = parse(response)
        span.end(result)
    return (time.perf_counter() - started) / calls * 1e6


def _sync_rows(calls: int, rounds: int) -> list[Row]:
    from phoson import Agent, PhosonClient

    http = httpx.Client(transport=httpx.MockTransport(_handler))
    client = PhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=http)
    url = f"{BASE_URL}/agents/{AGENT_ID}"
    auth = {"Authorization": f"Bearer {API_KEY}"}

    def raw() -> Agent:
        response = http.get(url, headers=auth)
        response.raise_for_status()
        return Agent.model_validate_json(response.content)

    assert client.agents.get(AGENT_ID) == raw()
    measures: dict[str, Callable[[], float]] = {
        "phoson": lambda: _timed(calls, lambda: client.agents.get(AGENT_ID)),
        "raw": lambda: _timed(calls, raw),
    }
    provider = _tracer_provider()
    if provider is not None:
        traced = client.with_options(tracer_provider=provider)
        measures["traced"] = lambda: _timed(calls, lambda: traced.agents.get(AGENT_ID))
    anchor = _openai_sync()
    if anchor is not None:
        retrieve = anchor[0]
        retrieve()
        measures["openai"] = lambda: _timed(max(calls // 4, 50), retrieve)
    for measure in measures.values():
        measure()  # warm-up
    times = interleave(measures, rounds)
    client.close()
    http.close()
    if anchor is not None:
        anchor[1]()
    return _rows("sync", times, calls)


def _async_rows(calls: int, rounds: int) -> list[Row]:
    from phoson import Agent, AsyncPhosonClient

    async def main() -> dict[str, list[float]]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(_handler))
        client = AsyncPhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=http)
        url = f"{BASE_URL}/agents/{AGENT_ID}"
        auth = {"Authorization": f"Bearer {API_KEY}"}

        async def raw() -> Agent:
            response = await http.get(url, headers=auth)
            response.raise_for_status()
            return Agent.model_validate_json(response.content)

        assert await client.agents.get(AGENT_ID) == await raw()
        measures: dict[str, Callable[[], Awaitable[float]]] = {
            "phoson": lambda: _atimed(calls, lambda: client.agents.get(AGENT_ID)),
            "raw": lambda: _atimed(calls, raw),
        }
        provider = _tracer_provider()
        if provider is not None:
            traced = client.with_options(tracer_provider=provider)
            measures["traced"] = lambda: _atimed(calls, lambda: traced.agents.get(AGENT_ID))
        anchor = _openai_async()
        if anchor is not None:
            retrieve = anchor[0]
            await retrieve()
            measures["openai"] = lambda: _atimed(max(calls // 4, 50), retrieve)
        for measure in measures.values():
            await measure()  # warm-up
        # interleave() is synchronous; drive each round's coroutines by hand.
        times: dict[str, list[float]] = {name: [] for name in measures}
        names = list(measures)
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(await measures[name]())
        await client.close()
        await http.aclose()
        if anchor is not None:
            await anchor[1]()
        return times

    return _rows("async", asyncio.run(main()), calls)


def _rows(mode: str, times: dict[str, list[float]], calls: int) -> list[Row]:
    raw = "raw `httpx` get + `Agent.model_validate_json`"
    ratio = median(times["phoson"]) / median(times["raw"])
    rows = [
        row(
            "calls",
            f"call overhead, {mode}: `agents.get` vs {raw}",
            median(times["phoson"]),
            median(times["raw"]),
            "µs",
            ratio=ratio,
            target="ratio <= 1.1",
            passed=ratio <= 1.1,
            notes=f"µs per call, MockTransport; {len(times['raw'])} rounds x {calls} calls; "
            + paired_note(times["phoson"], times["raw"]),
        )
    ]
    seams = median([_off_seams_us(calls * 10) for _ in range(5)])
    off_ratio = seams / median(times["phoson"])
    rows.append(
        row(
            "calls",
            f"tracing off, {mode}: the tracing seams' own time vs a whole `agents.get`",
            seams,
            median(times["phoson"]),
            "µs",
            ratio=off_ratio,
            target="ratio <= 0.01",
            passed=off_ratio <= 0.01,
            notes="what tracing adds to an untraced call (no-op span calls), measured alone; "
            "nothing of OpenTelemetry is imported (tests/test_tracing.py)",
        )
    )
    if "traced" in times:
        traced_ratio = median(times["traced"]) / median(times["phoson"])
        rows.append(
            row(
                "calls",
                f"tracing on, {mode}: `agents.get` with `open_telemetry=True` vs tracing off",
                median(times["traced"]),
                median(times["phoson"]),
                "µs",
                ratio=traced_ratio,
                notes="reported, no target: opentelemetry-sdk TracerProvider without an "
                "exporter (span made, attributes set, traceparent injected); "
                + paired_note(times["traced"], times["phoson"]),
            )
        )
    if "openai" in times:
        rows.append(
            row(
                "calls",
                f"call overhead, {mode} (openai anchor): `models.retrieve` vs {raw}",
                median(times["openai"]),
                median(times["raw"]),
                "µs",
                notes="openai-python on its own httpx2 MockTransport",
            )
        )
    return rows


def run(quick: bool = False) -> list[Row]:
    calls, rounds = (300, 5) if quick else (2000, 9)
    return _sync_rows(calls, rounds) + _async_rows(calls, rounds)


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["calls", *sys.argv[1:]]))
