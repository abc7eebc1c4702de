"""Scale: thousands of concurrent streams on one client, memory per idle stream, CPU per event
and per stream set-up (issue 15), against raw httpx and openai-python in the same run.

A small asyncio SSE server runs in its own process (`python -m bench.scale --serve`), so its
CPU is not charged to the client; loopback only. It answers phoson's
`POST /conversations/{mode}/messages` with phoson events and openai's `POST /chat/completions`
(`model` = mode) with chat-completion chunks. Modes: `hold-S` sends the first token at once,
holds S seconds, then the final event (`run_done` / a `stop` chunk and `[DONE]`); `events-K`
sends K tokens and the final event as fast as the socket takes them.

Every measurement runs in a fresh interpreter (`python -m bench.scale --child SPEC`), with
default client settings (1,000 connections each), and reports wall time, CPU time and RSS:

- **concurrency**: N streams in `hold-H` at once on one async client; every stream must get
  its final event. The ideal for a pool of 1,000 is `ceil(N / 1000) x H + set-up`, set-up
  being the time the first 1,000 streams took to get their first token in the same run. A
  client that has not finished after a time bound is stopped and reported as such.
- **idle memory**: RSS growth with N streams open and idle (first token received), per stream.
- **growth**: RSS after 50,000 sequential short streams minus RSS after the first 5,000.
- **CPU per event** (batches of 50 concurrent `events-1000` streams): CPU time divided by
  events. phoson and raw httpx take turns batch by batch in one process (the one measurement
  that shares a process), so each round's ratio compares them under the same machine load;
  the row's ratio is the median of the rounds' ratios. openai-python, several times slower,
  is measured in its own process.
- **CPU per stream set-up** (3,000 `events-1` streams, 100 at a time): CPU time divided by
  streams, each client in a fresh process a round, the ratio paired by round.

Baselines: raw `httpx.AsyncClient` (limits 1,000/100, as phoson's) reading the SSE lines with
`aiter_lines` + `json.loads`; openai-python's `AsyncOpenAI` (`chat.completions.create(stream=
True)`, its defaults). Rounds rotate which client goes first.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

if __package__ in (None, ""):  # `python bench/scale.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._util import REPO, Row, ServerProcess, median, paired_ratio, row

__all__ = ["run"]

POOL = 1000  # every client's default max_connections
KINDS = ("phoson", "httpx", "openai")
NAMES = {"phoson": "phoson", "httpx": "raw httpx", "openai": "openai-python"}

# -- the server (its own process) ------------------------------------------------------------

_TOKEN = b'event: token\ndata: {"content":"hi"}\nid: %d\n\n'
_DONE = b'event: run_done\ndata: {"content":"hi","run_id":"run_bench"}\nid: %d\n\n'
_CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
)
_STOP = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1].decode()
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            openai = path.endswith("/chat/completions")
            mode = json.loads(body)["model"] if openai else path.split("/")[2]
            kind, _, arg = mode.partition("-")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            token = (lambda n: _CHUNK) if openai else (lambda n: _TOKEN % n)
            final = _STOP if openai else _DONE
            if kind == "hold":
                writer.write(_chunk(token(1)))
                await writer.drain()
                await asyncio.sleep(float(arg))
                count = 1
            else:
                count = int(arg)
                for n in range(1, count + 1):
                    writer.write(_chunk(token(n)))
                    if n % 64 == 0:
                        await writer.drain()
            writer.write(_chunk(final if openai else final % (count + 1)) + b"0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=8192)
    print(f"listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


class _Server(ServerProcess):
    """`python -m bench.scale --serve` in a child process."""

    def __init__(self) -> None:
        super().__init__(["-m", "bench.scale", "--serve"], r"on (http://\S+)")
        (self.url,) = self.found


# -- the clients (each measurement in a fresh process) ----------------------------------------

#: One stream: (mode, called at the first event) -> number of events received.
Stream = Callable[[str, Callable[[], None]], Awaitable[int]]


async def _with_client(kind: str, url: str, work: Callable[[Stream], Awaitable[Any]]) -> Any:
    if kind == "phoson":
        from phoson import AsyncPhosonClient

        async with AsyncPhosonClient(api_key="pk_bench", base_url=url) as client:

            async def phoson_stream(mode: str, first: Callable[[], None]) -> int:
                events = 0
                async with client.messages.stream(mode, "hello") as stream:
                    async for _ in stream:
                        events += 1
                        if events == 1:
                            first()
                return events

            return await work(phoson_stream)
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        headers = {"Authorization": "Bearer pk_bench"}
        async with httpx.AsyncClient(timeout=600, limits=limits, headers=headers) as http:

            async def httpx_stream(mode: str, first: Callable[[], None]) -> int:
                # Read to the end of the body, as phoson does (so the connection is reused).
                events = 0
                body = {"content": "hello", "stream": True}
                url_ = f"{url}/conversations/{mode}/messages"
                async with http.stream("POST", url_, json=body) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            json.loads(line[5:])
                            events += 1
                            if events == 1:
                                first()
                return events

            return await work(httpx_stream)
    import openai

    async with openai.AsyncOpenAI(api_key="pk_bench", base_url=url, max_retries=0) as oa:

        async def openai_stream(mode: str, first: Callable[[], None]) -> int:
            events = 0
            stream = await oa.chat.completions.create(
                model=mode, messages=[{"role": "user", "content": "hello"}], stream=True
            )
            async for _ in stream:
                events += 1
                if events == 1:
                    first()
            return events

        return await work(openai_stream)


async def _with_clients(
    kinds: list[str], url: str, work: Callable[[dict[str, Stream]], Awaitable[Any]]
) -> Any:
    """`_with_client` for several kinds at once: `work` gets each kind's `Stream`."""
    opened: dict[str, Stream] = {}

    async def open_next(index: int) -> Any:
        if index == len(kinds):
            return await work(opened)

        async def with_one(stream: Stream) -> Any:
            opened[kinds[index]] = stream
            return await open_next(index + 1)

        return await _with_client(kinds[index], url, with_one)

    return await open_next(0)


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        match = re.search(r"VmRSS:\s+(\d+) kB", status.read())
    return int(match.group(1)) * 1024 if match else 0


async def _concurrent(stream: Stream, spec: dict[str, Any]) -> dict[str, Any]:
    """`count` streams at once; a client still busy after `bound` seconds is reported as it
    stands by a watchdog thread (a collapsed event loop may never run its own timers)."""
    count, mode, bound = spec["count"], spec["mode"], spec["bound"]
    started = time.perf_counter()
    firsts: list[float] = []
    errors: Counter[str] = Counter()
    tally = {"completed": 0, "events": 0}

    def result() -> dict[str, Any]:
        wave = sorted(firsts)[: min(count, POOL)]
        return {
            **tally,
            "errors": dict(errors),
            "wall": time.perf_counter() - started,
            "setup": wave[-1] if len(wave) == min(count, POOL) else None,
            "cpu_total": time.process_time(),
        }

    def give_up() -> None:
        print(json.dumps(result()), flush=True)
        os._exit(0)

    watchdog = threading.Timer(bound, give_up)
    watchdog.daemon = True
    watchdog.start()

    async def one() -> None:
        try:
            got = await stream(mode, lambda: firsts.append(time.perf_counter() - started))
        except Exception as error:
            errors[type(error).__name__] += 1
        else:
            tally["events"] += got
            tally["completed"] += 1

    await asyncio.gather(*(one() for _ in range(count)))
    watchdog.cancel()
    return result()


async def _limited(stream: Stream, spec: dict[str, Any]) -> dict[str, Any]:
    """`count` streams of `mode`, at most `parallel` at once."""
    count, mode, parallel = spec["count"], spec["mode"], spec["parallel"]
    semaphore = asyncio.Semaphore(parallel)
    events = 0
    errors: Counter[str] = Counter()

    async def one() -> None:
        nonlocal events
        async with semaphore:
            try:
                got = await stream(mode, lambda: None)
            except Exception as error:  # counted and reported, never dropped silently
                errors[type(error).__name__] += 1
                return
        events += got

    await stream(mode, lambda: None)  # warm-up: imports, connection, model builds
    cpu = time.process_time()
    await asyncio.gather(*(one() for _ in range(count)))
    completed = count - sum(errors.values())
    return {
        "cpu": time.process_time() - cpu,
        "events": events,
        "count": completed,
        "errors": dict(errors),
    }


async def _alternating(streams: dict[str, Stream], spec: dict[str, Any]) -> dict[str, Any]:
    """CPU per event or per stream of each client, the clients taking turns in one process:
    `rounds` rounds, in each a batch of `count` streams of `mode` (at most `parallel` at once)
    per client (`_limited`), the order rotating. Each batch's figure is its CPU time divided by
    its events (`per` = "event") or its streams ("stream"). The clients' batches of one round
    run within seconds of each other in the same process, so each round's ratio is steady even
    on shared cores whose speed drifts by tens of percent from one minute to the next."""
    by = "events" if spec["per"] == "event" else "count"
    figures: dict[str, list[float]] = {kind: [] for kind in streams}
    errors: Counter[str] = Counter()

    async def batch(kind: str) -> float | None:
        result = await _limited(streams[kind], spec)
        for name, number in result["errors"].items():
            errors[f"{NAMES[kind]} {name}"] += number
        return _per(result, by) if result["count"] else None

    for kind in streams:  # warm-up: imports, connections, model builds
        await batch(kind)
    for index in range(spec["rounds"]):
        for kind in _rotate(list(streams), index):
            figure = await batch(kind)
            if figure is not None:
                figures[kind].append(figure)
    return {"figures": figures, "errors": dict(errors)}


async def _idle(stream: Stream, spec: dict[str, Any]) -> dict[str, Any]:
    """RSS growth with `count` streams open, each idle after its first token."""
    count = spec["count"]
    for _ in range(3):
        await stream("events-1", lambda: None)
    gc.collect()
    before = _rss()
    opened = asyncio.Event()
    firsts = 0

    def first() -> None:
        nonlocal firsts
        firsts += 1
        if firsts == count:
            opened.set()

    tasks = [asyncio.ensure_future(stream("hold-600", first)) for _ in range(count)]
    await asyncio.wait_for(opened.wait(), 120)
    await asyncio.sleep(0.5)
    gc.collect()
    after = _rss()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"per_stream": (after - before) / count}


async def _sequential(stream: Stream, spec: dict[str, Any]) -> dict[str, Any]:
    """RSS after `warm` short streams one after another, and after `count` of them."""
    warm, count = spec["warm"], spec["count"]
    for _ in range(warm):
        await stream("events-1", lambda: None)
    gc.collect()
    early = _rss()
    for _ in range(count - warm):
        await stream("events-1", lambda: None)
    gc.collect()
    return {"growth": _rss() - early}


SCENARIOS = {
    "concurrent": _concurrent,
    "limited": _limited,
    "idle": _idle,
    "sequential": _sequential,
}


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        if spec["scenario"] == "alternating":
            return await _with_clients(  # type: ignore[no-any-return]
                spec["kinds"], spec["url"], lambda streams: _alternating(streams, spec)
            )
        return await _with_client(  # type: ignore[no-any-return]
            spec["kind"], spec["url"], lambda stream: SCENARIOS[spec["scenario"]](stream, spec)
        )

    result = asyncio.run(main())
    result["cpu_total"] = time.process_time()
    return result


def _measure(server: _Server, kind: str, scenario: str, **spec: Any) -> dict[str, Any]:
    spec = {"kind": kind, "scenario": scenario, "url": server.url, **spec}
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=spec.get("bound", 300) + 120,
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} {scenario} failed: {out.stderr.strip()[-500:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def _available() -> list[str]:
    kinds = ["phoson", "httpx"]
    try:
        import openai  # noqa: F401

        kinds.append("openai")
    except ImportError:
        pass
    return kinds


def _rotate(kinds: list[str], index: int) -> list[str]:
    shift = index % len(kinds)
    return kinds[shift:] + kinds[:shift]


def _concurrency_rows(
    server: _Server, kinds: list[str], sizes: list[int], hold: float
) -> list[Row]:
    rows: list[Row] = []
    for index, count in enumerate(sizes):
        waves = math.ceil(count / POOL)
        # Stop a client at 2x the ideal (plus slack): past that it has collapsed.
        bound = 2 * waves * hold + 5
        results = {
            kind: _measure(
                server, kind, "concurrent", count=count, mode=f"hold-{hold:g}", bound=bound
            )
            for kind in _rotate(kinds, index)
        }
        mine = results["phoson"]
        ideal = waves * hold + (mine["setup"] or 0.0)
        complete = mine["completed"] == count and not mine["errors"]
        openai = results.get("openai")

        def said(result: dict[str, Any], count: int = count) -> str:
            errors = ", ".join(f"{k} x{v}" for k, v in result["errors"].items())
            if result["completed"] == count:
                return f"{result['wall']:.1f} s, all complete" + (f", {errors}" if errors else "")
            return f"{result['completed']:,}/{count:,} complete after {result['wall']:.0f} s" + (
                f" ({errors})" if errors else ""
            )

        beats_openai = (
            openai is None or mine["wall"] <= openai["wall"] or openai["completed"] < count
        )
        passed = complete and mine["wall"] <= 1.2 * ideal and beats_openai
        notes = (
            f"phoson {said(mine)}; ideal {ideal:.1f} s ({waves} x {hold:g} s + set-up "
            f"{mine['setup'] or 0:.1f} s), ratio to ideal {mine['wall'] / ideal:.2f}; "
            f"raw httpx {said(results['httpx'])}"
            + (f"; openai-python {said(openai)}" if openai else "")
            + f"; phoson CPU {mine['cpu_total']:.1f} s, raw httpx {results['httpx']['cpu_total']:.1f} s"
        )
        rows.append(
            row(
                "scale",
                f"scale: {count:,} concurrent streams held {hold:g} s, one async client, "
                "default limits, wall time vs openai-python",
                mine["wall"],
                openai["wall"] if openai else None,
                "s",
                target="all complete, <= 1.2x ideal, <= openai",
                passed=passed,
                notes=notes,
            )
        )
    return rows


def _separate_rounds(
    server: _Server, kinds: list[str], spec: dict[str, Any], rounds: int, by: str
) -> tuple[dict[str, list[float]], Counter[str]]:
    """Each kind's CPU per `by` ("events" or "count"), a fresh process per kind and round, the
    order rotating; phoson's and raw httpx's lists hold only the rounds where both completed,
    so they pair up round by round."""
    figures: dict[str, list[float]] = {kind: [] for kind in kinds}
    failures: Counter[str] = Counter()
    for index in range(rounds):
        this_round: dict[str, float] = {}
        for kind in _rotate(kinds, index):
            result = _measure(server, kind, "limited", **spec)
            for name, number in result["errors"].items():
                failures[f"{NAMES[kind]} {name}"] += number
            if result["count"]:
                this_round[kind] = _per(result, by)
        for kind, figure in this_round.items():
            if kind == "openai" or ("phoson" in this_round and "httpx" in this_round):
                figures[kind].append(figure)
    return figures, failures


def _spread(numerators: list[float], denominators: list[float]) -> str:
    """The lowest and highest of the per-round ratios, as "0.91-0.97"."""
    ratios = sorted(a / b for a, b in zip(numerators, denominators, strict=False))
    return f"{ratios[0]:.2f}-{ratios[-1]:.2f}" if ratios else "none"


def _per(result: dict[str, Any], by: str) -> float:
    return float(result["cpu"] / result[by] * 1e6)


def run(quick: bool = False) -> list[Row]:
    kinds = _available()
    hold = 2.0 if quick else 8.0
    sizes = [1500] if quick else [1500, 3000, 6000]
    idle_count = 300 if quick else 1000
    sequential = (500, 3000) if quick else (5000, 50_000)
    # Rounds of the CPU rows, the noisiest: 15 batches of the per-event row (a second or two
    # each) and 7 rounds of fresh processes for the set-up row, in a full run.
    cpu_rounds = 3 if quick else 15
    setup_rounds = 1 if quick else 7
    server = _Server()
    try:
        rows = _concurrency_rows(server, kinds, sizes, hold)

        # Memory per idle stream.
        idle = {kind: _measure(server, kind, "idle", count=idle_count) for kind in kinds}
        kib = {kind: idle[kind]["per_stream"] / 1024 for kind in kinds}
        rows.append(
            row(
                "scale",
                f"scale: RSS per open idle stream ({idle_count:,} open), phoson vs raw httpx",
                kib["phoson"],
                kib["httpx"],
                "KiB",
                target="<= 32 KiB",
                passed=kib["phoson"] <= 32,
                notes=f"openai-python {kib['openai']:.1f} KiB" if "openai" in kib else "",
            )
        )

        # No growth over many sequential short streams.
        warm, count = sequential
        growth = _measure(server, "phoson", "sequential", warm=warm, count=count)["growth"]
        rows.append(
            row(
                "scale",
                f"scale: RSS growth from {warm:,} to {count:,} sequential short streams, phoson",
                growth / 2**20,
                None,
                "MiB",
                target="<= 1 MiB",
                passed=growth <= 2**20,
                notes="one client, streams one after another",
            )
        )

        # CPU per event (phoson and raw httpx taking turns in one process, batch by batch, see
        # `_alternating`; openai-python, several times slower, in a process of its own, for the
        # notes) and per stream set-up (a fresh process per client and round).
        shapes = {
            "event": dict(count=20 if quick else 50, mode="events-1000", parallel=50, per="event"),
            "stream": dict(
                count=500 if quick else 3000, mode="events-1", parallel=100, per="stream"
            ),
        }
        for shape, spec in shapes.items():
            by = "events" if shape == "event" else "count"
            openai_note = ""
            if shape == "event":
                # Turns in one process (see `_alternating`); openai-python in its own.
                rounds = cpu_rounds
                turns = _measure(
                    server,
                    "phoson",
                    "alternating",
                    kinds=["phoson", "httpx"],
                    rounds=rounds,
                    bound=600,
                    **spec,
                )
                figures, failures = turns["figures"], Counter(turns["errors"])
                if "openai" in kinds:
                    alone = _measure(server, "openai", "limited", **spec)
                    if alone["count"]:
                        openai_note = f"; openai-python {_per(alone, by):.1f} µs (own process)"
                    for name, number in alone["errors"].items():
                        failures[f"openai-python {name}"] += number
                method = f"the two clients take turns in one process, {rounds} rounds"
            else:
                # Each client in a fresh process a round: in one process, a batch of 3,000
                # connections closed by one client slows the next client's set-up.
                rounds = setup_rounds
                figures, failures = _separate_rounds(server, kinds, spec, rounds, by)
                if figures.get("openai"):
                    openai_note = f"; openai-python {median(figures['openai']):.1f} µs"
                method = f"each client in a fresh process, {rounds} rounds, rotated"
            failed = "".join(
                f"; {name} x{number} (not counted)" for name, number in failures.items()
            )
            # The ratio is the median of each round's own phoson / raw httpx ratio.
            ratio = paired_ratio(figures["phoson"], figures["httpx"])
            unit_name = "event" if shape == "event" else "stream set-up"
            what = (
                f"batches of {spec['count']} streams of 1,000 events, {spec['parallel']} at a time"
                if shape == "event"
                else f"{spec['count']:,} one-token streams, 100 at a time"
            )
            rows.append(
                row(
                    "scale",
                    f"scale: CPU per {unit_name}, phoson vs raw httpx (`aiter_lines` + `json.loads`)",
                    median(figures["phoson"]),
                    median(figures["httpx"]),
                    "µs",
                    target="ratio <= 1.0",
                    passed=ratio <= 1.0,
                    ratio=ratio,
                    notes=f"{what}; {method}; figures: medians; ratio: the median of each "
                    "round's phoson / raw httpx; per-round ratios "
                    f"{_spread(figures['phoson'], figures['httpx'])}" + openai_note + failed,
                )
            )
        return rows
    finally:
        server.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(_serve())
    elif sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(json.loads(sys.argv[2]))))
    else:
        from bench.run import main

        sys.exit(main(["scale", *sys.argv[1:]]))
