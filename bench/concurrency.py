"""Concurrency: many streams at once against the local server, over loopback.

The server (`python -m phoson.testing`) runs in its own process, so its threads do not share
the client's interpreter lock. One `AsyncPhosonClient` runs 500 streams at once on one event
loop; one `PhosonClient` is shared by 16 threads that run 160 streams between them. Every
stream must end with its `run_done` and carry the model's whole reply; the figure is typed
events per second over the wall time of the whole batch. The server waits `DELAY` between
events so the streams overlap (the peak number open at once is reported). The baseline is a
hand-written `httpx` + `httpx-sse` client doing the same.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench._util import Row, ServerProcess, row

__all__ = ["run"]

DELAY = 0.002
#: Words in each message: the reply repeats it, so a stream has about WORDS + 15 events.
WORDS = 40
CONVERSATIONS = 50


class _Server(ServerProcess):
    """`python -m phoson.testing` in a child process."""

    def __init__(self, delay: float) -> None:
        args = ["-m", "phoson.testing", "--event-delay", str(delay)]
        super().__init__(args, r"on (http://\S+) \(api key (\S+)\)")
        self.url, self.api_key = self.found


class _Tally:
    """Events, finished streams, errors and the peak number of streams open at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events = 0
        self.completed = 0
        self.errors: Counter[str] = Counter()
        self.open = 0
        self.peak = 0

    def opened(self) -> None:
        with self.lock:
            self.open += 1
            self.peak = max(self.peak, self.open)

    def closed(self, events: int, ok: bool, error: BaseException | None = None) -> None:
        with self.lock:
            self.open -= 1
            self.events += events
            if ok:
                self.completed += 1
            else:
                self.errors[type(error).__name__ if error else "incomplete"] += 1


def _content(index: int) -> str:
    return " ".join(f"w{index}" for _ in range(WORDS))


def _expected_reply(content: str) -> str:
    from phoson.testing import reply_text

    return reply_text(content)


def _phoson_async(server: _Server, conversations: list[str], streams: int, tally: _Tally) -> None:
    from phoson import AsyncPhosonClient

    async def one(client: AsyncPhosonClient, index: int) -> None:
        content = _content(index)
        events, text, final = 0, [], None
        tally.opened()
        try:
            async with client.messages.stream(
                conversations[index % len(conversations)], content
            ) as s:
                async for event in s:
                    events += 1
                    if event.type == "token":
                        text.append(event.content)
                    elif event.type == "run_done":
                        final = event
        except Exception as error:
            tally.closed(events, False, error)
            return
        ok = final is not None and "".join(text) == final.content == _expected_reply(content)
        tally.closed(events, ok)

    async def main() -> None:
        async with AsyncPhosonClient(api_key=server.api_key, base_url=server.url) as client:
            await asyncio.gather(*(one(client, index) for index in range(streams)))

    asyncio.run(main())


def _raw_async(server: _Server, conversations: list[str], streams: int, tally: _Tally) -> None:
    import httpx
    import httpx_sse

    auth = {"Authorization": f"Bearer {server.api_key}"}
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)

    async def one(http: httpx.AsyncClient, index: int) -> None:
        content = _content(index)
        conversation = conversations[index % len(conversations)]
        url = f"{server.url}/conversations/{conversation}/messages"
        events, text, final = 0, [], None
        tally.opened()
        try:
            body = {"content": content, "stream": True}
            async with httpx_sse.aconnect_sse(http, "POST", url, json=body, headers=auth) as es:
                async for sse in es.aiter_sse():
                    if not sse.data:  # httpx-sse yields the data-less `retry:` block too
                        continue
                    data = json.loads(sse.data)
                    events += 1
                    if sse.event == "token":
                        text.append(data["content"])
                    elif sse.event == "run_done":
                        final = data["content"]
        except Exception as error:
            tally.closed(events, False, error)
            return
        tally.closed(events, "".join(text) == final == _expected_reply(content))

    async def main() -> None:
        async with httpx.AsyncClient(timeout=600.0, limits=limits) as http:
            await asyncio.gather(*(one(http, index) for index in range(streams)))

    asyncio.run(main())


def _threads(work: Callable[[int], None], streams: int, threads: int) -> None:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(streams)))


def _phoson_sync(
    server: _Server, conversations: list[str], streams: int, threads: int, tally: _Tally
) -> None:
    from phoson import PhosonClient

    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:

        def one(index: int) -> None:
            content = _content(index)
            events, text, final = 0, [], None
            tally.opened()
            try:
                with client.messages.stream(
                    conversations[index % len(conversations)], content
                ) as s:
                    for event in s:
                        events += 1
                        if event.type == "token":
                            text.append(event.content)
                        elif event.type == "run_done":
                            final = event
            except Exception as error:
                tally.closed(events, False, error)
                return
            ok = final is not None and "".join(text) == final.content == _expected_reply(content)
            tally.closed(events, ok)

        _threads(one, streams, threads)


def _raw_sync(
    server: _Server, conversations: list[str], streams: int, threads: int, tally: _Tally
) -> None:
    import httpx
    import httpx_sse

    auth = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(timeout=600.0) as http:

        def one(index: int) -> None:
            content = _content(index)
            conversation = conversations[index % len(conversations)]
            url = f"{server.url}/conversations/{conversation}/messages"
            events, text, final = 0, [], None
            tally.opened()
            try:
                body = {"content": content, "stream": True}
                with httpx_sse.connect_sse(http, "POST", url, json=body, headers=auth) as es:
                    for sse in es.iter_sse():
                        if not sse.data:  # httpx-sse yields the data-less `retry:` block too
                            continue
                        data = json.loads(sse.data)
                        events += 1
                        if sse.event == "token":
                            text.append(data["content"])
                        elif sse.event == "run_done":
                            final = data["content"]
            except Exception as error:
                tally.closed(events, False, error)
                return
            tally.closed(events, "".join(text) == final == _expected_reply(content))

        _threads(one, streams, threads)


def _timed(work: Callable[[_Tally], None]) -> tuple[_Tally, float]:
    tally = _Tally()
    started = time.perf_counter()
    work(tally)
    return tally, time.perf_counter() - started


def run(quick: bool = False) -> list[Row]:
    from phoson import PhosonClient

    async_streams, sync_streams, threads = (100, 32, 8) if quick else (500, 160, 16)
    server = _Server(DELAY)
    try:
        with PhosonClient(api_key=server.api_key, base_url=server.url) as setup:
            agent = setup.agents.create(name="concurrency", description="benchmark agent")
            conversations = [
                setup.conversations.create(agent.id, title=f"c{n}").id for n in range(CONVERSATIONS)
            ]
        try:
            import httpx_sse  # noqa: F401

            has_raw = True
        except ImportError:
            has_raw = False
        cases: list[tuple[str, int, Callable[[_Tally], None], Callable[[_Tally], None] | None]] = [
            (
                f"concurrency, async: {async_streams} concurrent streams, one `AsyncPhosonClient`",
                async_streams,
                lambda t: _phoson_async(server, conversations, async_streams, t),
                (lambda t: _raw_async(server, conversations, async_streams, t))
                if has_raw
                else None,
            ),
            (
                f"concurrency, sync: {sync_streams} streams from {threads} threads, "
                "one shared `PhosonClient`",
                sync_streams,
                lambda t: _phoson_sync(server, conversations, sync_streams, threads, t),
                (lambda t: _raw_sync(server, conversations, sync_streams, threads, t))
                if has_raw
                else None,
            ),
        ]
        rows: list[Row] = []
        for name, streams, mine, theirs in cases:
            tally, seconds = _timed(mine)
            base: tuple[_Tally, float] | None = _timed(theirs) if theirs else None
            errors = ", ".join(f"{k} x{v}" for k, v in tally.errors.items()) or "no errors"
            ok = tally.completed == streams and not tally.errors
            base_rate = base[0].events / base[1] if base else None
            base_note = (
                f"; baseline {base[0].completed}/{streams} ok"
                if base and base[0].completed != streams
                else ""
            )
            rows.append(
                row(
                    "concurrency",
                    f"{name} vs `httpx` + `httpx-sse` (events/s)",
                    tally.events / seconds,
                    base_rate,
                    "events/s",
                    target="all complete, no errors",
                    passed=ok,
                    notes=f"{tally.completed}/{streams} complete, {errors}; "
                    f"{tally.events:,} events in {seconds:.1f} s; peak {tally.peak} open; "
                    f"server {DELAY * 1000:g} ms between events{base_note}",
                )
            )
        return rows
    finally:
        server.close()


async def _gather(items: list[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*items))


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["concurrency", *sys.argv[1:]]))
