"""Benchmark: phoson's SSE decoder against httpx-sse, and checks that nothing is quadratic.

Run with `uv run --group bench python bench/bench_sse.py`. A combined runner can import this
file by path and call `run()`, which returns one row per benchmark:

    {"benchmark", "phoson", "baseline", "ratio", "target", "unit"}

In every row higher `ratio` is better and the row passes when `ratio >= target`:

- throughput: events/s of `SSEDecoder.feed` over 16 KiB chunks of a 200k-event token stream,
  against httpx-sse decoding the same chunks the way `EventSource.iter_sse()` does (httpx's
  incremental UTF-8 decoding, then `SSELineDecoder`, then `SSEDecoder.decode` per line);
  ratio = phoson / httpx-sse, target 2.
- quadratic checks: seconds to decode one big event fed in 1 KiB chunks ("phoson") against the
  same bytes fed in one chunk ("baseline"); ratio = one chunk / 1 KiB chunks, target 0.5
  (1 KiB chunks may take at most twice as long).

Each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from phoson._sse import SSEDecoder

__all__ = ["run"]

CHUNK = 16 * 1024
EVENTS = 200_000


def token_stream(events: int = EVENTS) -> bytes:
    """The server's token stream: `event: token`, a small JSON `data:`, an `id:`."""
    return b"".join(
        b'event: token\ndata: {"content":"word "}\nid: %d\n\n' % i for i in range(events)
    )


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def phoson_count(chunks: list[bytes]) -> int:
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    return count


def httpx_sse_count(chunks: list[bytes]) -> int:
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # as httpx does
    line_decoder = SSELineDecoder()
    decoder = HttpxSSEDecoder()
    count = 0
    for chunk in chunks:
        for line in line_decoder.decode(text_decoder.decode(chunk)):
            if decoder.decode(line) is not None:
                count += 1
    for line in line_decoder.decode(text_decoder.decode(b"", final=True)) + line_decoder.flush():
        if decoder.decode(line) is not None:
            count += 1
    return count


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_times(fns: list[Callable[[], object]], runs: int) -> list[float]:
    """The median time of each function, the runs interleaved so that noise hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, samples in zip(fns, times, strict=True):
            samples.append(timed(fn))
    return [statistics.median(samples) for samples in times]


def check_same_events(chunks: list[bytes]) -> None:
    """Both decoders see the same events in the benchmark stream (checked once, untimed)."""
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    decoder = SSEDecoder()
    ours = [(e.event, e.data, e.id) for c in chunks for e in decoder.feed(c)]
    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line_decoder, theirs_decoder = SSELineDecoder(), HttpxSSEDecoder()
    theirs = []
    for chunk in chunks:
        for line in line_decoder.decode(text_decoder.decode(chunk)):
            sse = theirs_decoder.decode(line)
            if sse is not None:
                theirs.append((sse.event, sse.data, sse.id))
    if ours != theirs:
        raise AssertionError("phoson and httpx-sse decode the benchmark stream differently")


def throughput(runs: int) -> dict[str, Any]:
    chunks = chunked(token_stream(), CHUNK)
    check_same_events(chunks)
    assert phoson_count(chunks) == httpx_sse_count(chunks) == EVENTS
    ours, theirs = median_times(
        [lambda: phoson_count(chunks), lambda: httpx_sse_count(chunks)], runs
    )
    return {
        "benchmark": "sse token stream, 16 KiB chunks (vs httpx-sse)",
        "phoson": EVENTS / ours,
        "baseline": EVENTS / theirs,
        "ratio": theirs / ours,
        "target": 2.0,
        "unit": "events/s",
    }


def linear(name: str, body: bytes, runs: int) -> dict[str, Any]:
    """Time `body` (one event) fed in 1 KiB chunks against fed whole."""
    small = chunked(body, 1024)
    assert phoson_count(small) == phoson_count([body]) == 1
    in_pieces, whole = median_times(
        [lambda: phoson_count(small), lambda: phoson_count([body])], runs
    )
    return {
        "benchmark": f"sse {name}: 1 KiB chunks vs one chunk",
        "phoson": in_pieces,
        "baseline": whole,
        "ratio": whole / in_pieces,
        "target": 0.5,
        "unit": "s",
    }


def run(runs: int = 7) -> list[dict[str, Any]]:
    """All SSE benchmarks; see the module docstring for the meaning of each row."""
    big_line = b"data: " + b"x" * (8 * 1024 * 1024) + b"\n\n"
    many_lines = b"data: a line of the event\n" * 100_000 + b"\n"
    return [
        throughput(runs),
        linear("8 MiB one-line event", big_line, runs),
        linear("100k-line event", many_lines, runs),
    ]


def print_table(rows: list[dict[str, Any]]) -> None:
    def number(value: float, unit: str) -> str:
        return f"{value / 1e6:.3f}M" if unit == "events/s" else f"{value * 1000:.1f} ms"

    header = f"{'benchmark':<48} {'phoson':>10} {'baseline':>10} {'ratio':>6} {'target':>7}  ok"
    print(header)
    print("-" * len(header))
    for row in rows:
        ok = "yes" if row["ratio"] >= row["target"] else "NO"
        print(
            f"{row['benchmark']:<48} {number(row['phoson'], row['unit']):>10} "
            f"{number(row['baseline'], row['unit']):>10} {row['ratio']:>6.2f} "
            f">={row['target']:<5}  {ok}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median taken)")
    print_table(run(parser.parse_args().runs))
