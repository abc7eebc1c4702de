"""Stream throughput: typed events per second from `messages.stream`, in process.

An `httpx.MockTransport` serves a 200k-event token stream (`event: token`, `data:
{"content":"word "}`, `id: n`) and a final `run_done`, cut into 32 KiB chunks that split
events anywhere, as a socket read would. The time covers the whole call: request, every
chunk, every typed event. The baseline is openai-python's chat stream
(`chat.completions.create(stream=True)`) with the same number of events on its own
MockTransport; a hand-written `httpx` + `httpx-sse` + `model_validate_json` loop is shown too.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from bench._util import Row, interleave, median, paired_note, row

__all__ = ["AsyncChunks", "Chunks", "openai_body", "phoson_body", "run", "split"]

BASE_URL = "http://phoson.localhost"
API_KEY = "pk_bench"
CONVERSATION = "conv_bench"
CHUNK = 32 * 1024
SSE_HEADERS = {"content-type": "text/event-stream", "x-request-id": "req_bench"}
TARGET_RATE = 250_000.0
TARGET_RATIO = 10.0


def phoson_body(events: int) -> bytes:
    """`events` token events, then `run_done` with the whole reply (as the API sends it)."""
    token = b'event: token\ndata: {"content":"word "}\nid: %d\n\n'
    parts = [token % n for n in range(1, events + 1)]
    done = json.dumps({"content": "word " * events, "run_id": "run_bench"}).encode()
    parts.append(b"event: run_done\ndata: %s\nid: %d\n\n" % (done, events + 1))
    return b"".join(parts)


def openai_body(events: int) -> bytes:
    """The same stream as openai's chat completions send it: `events` content chunks, a final
    chunk with `finish_reason` (as phoson's `run_done`), then `[DONE]` (not yielded)."""
    head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1715367049,'
    head += '"model":"gpt-4o","choices":[{"index":0,'
    token = f'data: {head}"delta":{{"content":"word "}},"logprobs":null,"finish_reason":null}}]}}'
    last = f'data: {head}"delta":{{}},"logprobs":null,"finish_reason":"stop"}}]}}'
    return ((token + "\n\n") * events + last + "\n\ndata: [DONE]\n\n").encode()


def split(body: bytes, size: int = CHUNK) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


class Chunks(httpx.SyncByteStream):
    """A response body that yields prepared chunks (a new pass for each response)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def _phoson_transports(chunks: list[bytes]) -> tuple[httpx.MockTransport, httpx.MockTransport]:
    def sync_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE_HEADERS, stream=Chunks(chunks))

    def async_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE_HEADERS, stream=AsyncChunks(chunks))

    return httpx.MockTransport(sync_handler), httpx.MockTransport(async_handler)


def _rate(events: int, seconds: float, expected: int) -> float:
    if events != expected:
        raise AssertionError(f"expected {expected} events, got {events}")
    return events / seconds


def run(quick: bool = False) -> list[Row]:
    from phoson import AsyncPhosonClient, PhosonClient

    events = 20_000 if quick else 200_000
    rounds = 3 if quick else 7
    expected = events + 1
    sync_transport, async_transport = _phoson_transports(split(phoson_body(events)))
    sync_http = httpx.Client(transport=sync_transport)
    client = PhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=sync_http)
    loop = asyncio.Runner()
    async_http = httpx.AsyncClient(transport=async_transport)
    aclient = AsyncPhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=async_http)

    def phoson_sync() -> float:
        count = 0
        started = time.perf_counter()
        with client.messages.stream(CONVERSATION, "Hello") as stream:
            for _ in stream:
                count += 1
        return _rate(count, time.perf_counter() - started, expected)

    async def phoson_async_run() -> float:
        count = 0
        started = time.perf_counter()
        async with aclient.messages.stream(CONVERSATION, "Hello") as stream:
            async for _ in stream:
                count += 1
        return _rate(count, time.perf_counter() - started, expected)

    measures: dict[str, Callable[[], float]] = {
        "phoson_sync": phoson_sync,
        "phoson_async": lambda: loop.run(phoson_async_run()),
    }
    openai_measures, openai_warm_up = _openai_measures(events, expected, loop)
    measures.update(_httpx_sse_measures(sync_http, expected))
    for measure in measures.values():
        measure()  # warm-up (and a check of the event count)
    openai_warm_up()
    measures.update(openai_measures)
    # openai is ~20x slower: it runs in the first rounds only (paired with those of phoson).
    slow = {name: min(rounds, 3) for name in measures if name.startswith("openai")}
    rates = interleave(measures, rounds, limits=slow)
    client.close()
    loop.run(aclient.close())
    loop.close()

    rows: list[Row] = []
    for mode in ("sync", "async"):
        mine = rates[f"phoson_{mode}"]
        theirs = rates.get(f"openai_{mode}")
        rate = median(mine)
        ratio = rate / median(theirs) if theirs else None
        paired = f"; {paired_note(mine, theirs)}" if theirs else ""
        rows.append(
            row(
                "stream",
                f"stream throughput, {mode}: `messages.stream` typed events vs openai "
                "`chat.completions.create(stream=True)`",
                rate,
                median(theirs) if theirs else None,
                "events/s",
                ratio=ratio,
                target=">= 250k events/s and >= 10x openai",
                passed=rate >= TARGET_RATE and ratio is not None and ratio >= TARGET_RATIO,
                notes=f"{events:,} events + run_done in {CHUNK // 1024} KiB chunks; "
                f"{rounds} rounds (openai {min(rounds, 3)}){paired}",
            )
        )
    if "httpx_sse_sync" in rates:
        rows.append(
            row(
                "stream",
                "stream throughput, sync: `messages.stream` vs hand-written `httpx-sse` "
                "`iter_sse` + `TokenEvent.model_validate_json`",
                median(rates["phoson_sync"]),
                median(rates["httpx_sse_sync"]),
                "events/s",
                notes="same transport and body; "
                + paired_note(rates["phoson_sync"], rates["httpx_sse_sync"]),
            )
        )
    return rows


def _openai_measures(
    events: int, expected: int, loop: asyncio.Runner
) -> tuple[dict[str, Callable[[], float]], Callable[[], None]]:
    """openai's sync and async streams, and a warm-up that streams a short body through both
    (a full one takes ~20 s: warming up with it would double the benchmark's time)."""
    try:
        import httpx2
        import openai
    except ImportError:
        return {}, lambda: None
    full, short = split(openai_body(events)), split(openai_body(100))

    def body(request: httpx2.Request) -> list[bytes]:
        return short if b'"model":"warm-up"' in request.content else full

    class Body(httpx2.SyncByteStream):
        def __init__(self, chunks: list[bytes]) -> None:
            self.chunks = chunks

        def __iter__(self) -> Iterator[bytes]:
            yield from self.chunks

    class AsyncBody(httpx2.AsyncByteStream):
        def __init__(self, chunks: list[bytes]) -> None:
            self.chunks = chunks

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                yield chunk

    def sync_handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE_HEADERS, stream=Body(body(request)))

    def async_handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE_HEADERS, stream=AsyncBody(body(request)))

    url = "http://openai.test/v1"
    client = openai.OpenAI(
        api_key="sk-bench",
        base_url=url,
        http_client=httpx2.Client(transport=httpx2.MockTransport(sync_handler)),
    )
    aclient = openai.AsyncOpenAI(
        api_key="sk-bench",
        base_url=url,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(async_handler)),
    )
    messages: Any = [{"role": "user", "content": "Hello"}]

    def openai_sync(model: str = "gpt-4o") -> int:
        count = 0
        for _ in client.chat.completions.create(model=model, messages=messages, stream=True):
            count += 1
        return count

    async def openai_async(model: str = "gpt-4o") -> int:
        count = 0
        stream = await aclient.chat.completions.create(model=model, messages=messages, stream=True)
        async for _ in stream:
            count += 1
        return count

    def timed(run: Callable[[], int]) -> float:
        started = time.perf_counter()
        count = run()
        return _rate(count, time.perf_counter() - started, expected)

    def warm_up() -> None:
        _rate(openai_sync("warm-up"), 1.0, 101)
        _rate(loop.run(openai_async("warm-up")), 1.0, 101)

    measures: dict[str, Callable[[], float]] = {
        "openai_sync": lambda: timed(openai_sync),
        "openai_async": lambda: timed(lambda: loop.run(openai_async())),
    }
    return measures, warm_up


def _httpx_sse_measures(http: httpx.Client, expected: int) -> dict[str, Callable[[], float]]:
    try:
        import httpx_sse
    except ImportError:
        return {}
    from phoson import RunDoneEvent, TokenEvent

    classes: dict[str, Any] = {"token": TokenEvent, "run_done": RunDoneEvent}
    url = f"{BASE_URL}/conversations/{CONVERSATION}/messages"
    headers = {"Authorization": f"Bearer {API_KEY}"}

    def httpx_sse_sync() -> float:
        count = 0
        started = time.perf_counter()
        body = {"content": "Hello", "stream": True}
        with httpx_sse.connect_sse(http, "POST", url, json=body, headers=headers) as source:
            for sse in source.iter_sse():
                classes[sse.event].model_validate_json(sse.data)
                count += 1
        return _rate(count, time.perf_counter() - started, expected)

    return {"httpx_sse_sync": httpx_sse_sync}


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["stream", *sys.argv[1:]]))
