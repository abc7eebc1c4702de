"""Memory: peak RSS growth while a long stream is consumed to the end.

Each measurement runs in a fresh interpreter (`python -m bench.memory --child KIND EVENTS`).
The child builds its client, consumes a short stream first (so imports, model builds and the
connection are in place), resets the kernel's peak-RSS mark (`/proc/self/clear_refs`), then
consumes a stream of EVENTS token events that an in-process transport generates lazily, 32 KiB
at a time, and reports VmHWM (peak) minus the VmRSS it started from. A client that kept events,
chunks or text around would grow with the stream; 250k and 1M events show whether it is flat.

The final `run_done` is kept short here: a real one carries the whole reply text, whose size is
the payload itself, not buffering. For the same reason the "flat" rows subtract the reply text
a phoson stream keeps for `stream.text` (measured in the child once the peak is read): what is
left is what the client holds for the events themselves.
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from bench._util import REPO, Row, median, row

__all__ = ["run"]

CHUNK = 32 * 1024
TARGET_MIB = 10.0
#: How much more a 1M-event stream may grow than a 250k one and still count as flat.
FLAT_MIB = 1.0
KINDS = ("sync", "async", "httpx-sse")


def _events(count: int) -> Iterator[bytes]:
    """The body, generated as it is read: `count` tokens, a short run_done, 32 KiB chunks."""
    buffer = bytearray()
    token = b'event: token\ndata: {"content":"word "}\nid: %d\n\n'
    for n in range(1, count + 1):
        buffer += token % n
        if len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    buffer += b'event: run_done\ndata: {"content":"done","run_id":"run_mem"}\nid: %d\n\n' % (
        count + 1
    )
    while buffer:
        yield bytes(buffer[:CHUNK])
        del buffer[:CHUNK]


def _status() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as status:
        text = status.read()
    return {
        key: int(match.group(1)) * 1024
        for key in ("VmRSS", "VmHWM")
        if (match := re.search(rf"{key}:\s+(\d+) kB", text))
    }


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _child(kind: str, count: int) -> dict[str, Any]:
    import asyncio

    import httpx

    from phoson import AsyncPhosonClient, PhosonClient

    headers = {"content-type": "text/event-stream"}

    class Body(httpx.SyncByteStream):
        def __init__(self, count: int) -> None:
            self.count = count

        def __iter__(self) -> Iterator[bytes]:
            return _events(self.count)

    class AsyncBody(httpx.AsyncByteStream):
        def __init__(self, count: int) -> None:
            self.count = count

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in _events(self.count):
                yield chunk

    def wanted(request: httpx.Request) -> int:
        return int(json.loads(request.content)["content"])

    sync_http = httpx.Client(
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, headers=headers, stream=Body(wanted(request)))
        )
    )
    async_http = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, headers=headers, stream=AsyncBody(wanted(request)))
        )
    )
    base = "http://phoson.localhost"

    # Each consumer returns the events it saw and a way to measure, afterwards, the reply text
    # its stream keeps (`stream.text`; a snapshot of what the run said, by design).
    def consume_sync(n: int) -> tuple[int, Callable[[], int]]:
        client = PhosonClient(api_key="pk", base_url=base, http_client=sync_http)
        seen = 0
        with client.messages.stream("conv_mem", str(n)) as stream:
            for _ in stream:
                seen += 1
        return seen, lambda: len(stream.text.encode())

    async def consume_async(n: int) -> tuple[int, Callable[[], int]]:
        client = AsyncPhosonClient(api_key="pk", base_url=base, http_client=async_http)
        seen = 0
        async with client.messages.stream("conv_mem", str(n)) as stream:
            async for _ in stream:
                seen += 1
        return seen, lambda: len(stream.text.encode())

    def consume_httpx_sse(n: int) -> tuple[int, Callable[[], int]]:
        import httpx_sse

        from phoson import RunDoneEvent, TokenEvent

        classes: dict[str, Any] = {"token": TokenEvent, "run_done": RunDoneEvent}
        seen = 0
        url = f"{base}/conversations/conv_mem/messages"
        with httpx_sse.connect_sse(sync_http, "POST", url, json={"content": str(n)}) as source:
            for sse in source.iter_sse():
                classes[sse.event].model_validate_json(sse.data)
                seen += 1
        return seen, lambda: 0

    runner = asyncio.Runner()
    consume = {
        "sync": consume_sync,
        "async": lambda n: runner.run(consume_async(n)),
        "httpx-sse": consume_httpx_sse,
    }[kind]
    consume(2000)  # warm-up
    gc.collect()
    before = _status()
    reset = _reset_peak()
    start_peak = _status()["VmHWM"] if reset else before["VmHWM"]
    seen, kept = consume(count)
    after = _status()  # (before `kept()`, which joins the text into a new string)
    if seen != count + 1:
        raise AssertionError(f"expected {count + 1} events, got {seen}")
    return {
        "kind": kind,
        "events": count,
        "rss_before": before["VmRSS"],
        "peak_reset": reset,
        "growth": after["VmHWM"] - (before["VmRSS"] if reset else start_peak),
        "kept": kept(),
    }


def _measure(kind: str, count: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child", kind, str(count)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[Row]:
    sizes = (50_000, 200_000) if quick else (250_000, 1_000_000)
    repeats = 1 if quick else 3
    kinds = [kind for kind in KINDS if kind != "httpx-sse" or _has_httpx_sse()]
    growth: dict[tuple[str, int], list[float]] = {}
    kept: dict[tuple[str, int], list[float]] = {}  # the reply text the stream keeps
    for _ in range(repeats):
        for size in sizes:
            for kind in kinds:
                result = _measure(kind, size)
                growth.setdefault((kind, size), []).append(result["growth"] / 2**20)
                kept.setdefault((kind, size), []).append(result["kept"] / 2**20)
    rows: list[Row] = []
    small, large = sizes
    for kind in ("sync", "async"):
        for size in sizes:
            value = median(growth[(kind, size)])
            base = growth.get(("httpx-sse", size))
            rows.append(
                row(
                    "memory",
                    f"memory, {kind}: peak RSS growth over a {size:,}-event stream, "
                    "vs hand-written `httpx-sse` + `model_validate_json`",
                    value,
                    median(base) if base else None,
                    "MiB",
                    target="<= 10 MiB",
                    passed=value <= TARGET_MIB,
                    notes=f"fresh process, median of {repeats}",
                )
            )

        # Flat: what the longer stream holds beyond its reply text, which the stream keeps for
        # `stream.text` (the reply is the payload, as `run_done.content` would be), less what
        # the shorter one holds beyond its own. Beyond the text is never below zero: a growth
        # under the text's size means memory the process had already taken held part of it.
        def beyond(size: int, kind: str = kind) -> float:
            return max(median(growth[(kind, size)]) - median(kept[(kind, size)]), 0.0)

        raw = median(growth[(kind, large)]) - median(growth[(kind, small)])
        text = median(kept[(kind, large)]) - median(kept[(kind, small)])
        flat = beyond(large) - beyond(small)
        rows.append(
            row(
                "memory",
                f"memory, {kind}: growth of the {large:,}-event stream minus the {small:,} one, "
                "beyond the reply text it keeps",
                flat,
                None,
                "MiB",
                target=f"<= {FLAT_MIB:g} MiB (flat)",
                passed=flat <= FLAT_MIB,
                notes=f"{large // small}x the events; beyond the text: {beyond(large):.2f} and "
                f"{beyond(small):.2f} MiB; the growth itself {raw:.2f} MiB more, the reply's "
                f"text {text:.2f} MiB more (`stream.text`, measured)",
            )
        )
    return rows


def _has_httpx_sse() -> bool:
    try:
        import httpx_sse  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
    else:
        from bench.run import main

        sys.exit(main(["memory", *sys.argv[1:]]))
