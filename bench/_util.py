"""Shared pieces of the benchmarks: result rows, interleaved timing, machine facts."""

from __future__ import annotations

import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, TypedDict

__all__ = [
    "PACKAGES",
    "REPO",
    "Row",
    "ServerProcess",
    "fmt",
    "interleave",
    "machine_info",
    "median",
    "paired_note",
    "paired_ratio",
    "percentile",
    "row",
]

#: The repository root (bench/..): benchmarks run subprocesses from here.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The packages whose versions are recorded with the results.
PACKAGES = ("phoson-sdk", "httpx", "pydantic", "pydantic-core", "httpx-sse", "openai", "httpx2")


class Row(TypedDict, total=False):
    """One line of the results table.

    `phoson` and `baseline` are in `unit`; `ratio` is phoson / baseline (for throughput rows,
    phoson / baseline too, so higher is better there: the target says which way). `passed` is
    None for report-only rows.
    """

    group: str
    benchmark: str
    phoson: float | None
    baseline: float | None
    ratio: float | None
    target: str
    unit: str
    passed: bool | None
    notes: str


def row(
    group: str,
    benchmark: str,
    phoson: float | None,
    baseline: float | None,
    unit: str,
    *,
    target: str = "report only",
    passed: bool | None = None,
    ratio: float | None = None,
    notes: str = "",
) -> Row:
    if ratio is None and phoson is not None and baseline:
        ratio = phoson / baseline
    return Row(
        group=group,
        benchmark=benchmark,
        phoson=phoson,
        baseline=baseline,
        ratio=ratio,
        target=target,
        unit=unit,
        passed=passed,
        notes=notes,
    )


def percentile_rows(
    group: str,
    samples: dict[str, list[float]],
    describe: Callable[[str, float], str],
    *,
    target: str,
    meets_target: Callable[[float], bool],
    notes: Callable[[list[float]], str],
) -> list[Row]:
    """p50 and p99 rows, in ms, for the sync and async clients (`phoson_<mode>` samples) against
    their baselines (`raw_<mode>`); only the p99 row carries `target`."""
    rows: list[Row] = []
    for mode in ("sync", "async"):
        mine = samples[f"phoson_{mode}"]
        theirs = samples.get(f"raw_{mode}")
        for q in (50.0, 99.0):
            value = percentile(mine, q)
            is_p99 = q == 99.0
            rows.append(
                row(
                    group,
                    describe(mode, q),
                    value,
                    percentile(theirs, q) if theirs else None,
                    "ms",
                    target=target if is_p99 else "report only",
                    passed=meets_target(value) if is_p99 else None,
                    notes=notes(mine),
                )
            )
    return rows


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median of the per-round ratios: rounds ran back to back, so each pair saw the same
    machine load, which makes this steadier than a ratio of medians on a noisy machine.
    When one side ran fewer rounds, its rounds are paired with the first ones of the other."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=False))


def paired_note(numerators: Sequence[float], denominators: Sequence[float]) -> str:
    """The paired-round ratio, for the notes: when it is far from the ratio of the medians,
    the load changed during the run and the figures deserve less trust."""
    return f"paired-round ratio {paired_ratio(numerators, denominators):.2f}"


def interleave(
    measures: dict[str, Callable[[], float]],
    rounds: int,
    *,
    collect: bool = True,
    limits: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """Run every measure once per round, rotating which goes first, and return each one's
    values. Each measure returns its own figure (seconds per operation, events/s, ...).
    `limits` runs a slow measure in the first few rounds only."""
    names = list(measures)
    limits = limits or {}
    results: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            if index >= limits.get(name, rounds):
                continue
            if collect:
                gc.collect()
            results[name].append(measures[name]())
    return results


def fmt(value: float | None, unit: str) -> str:
    """A figure for the table, in a precision that suits its unit."""
    if value is None:
        return "-"
    if unit == "events/s":
        return f"{value / 1000:,.0f}k" if value >= 10_000 else f"{value:,.0f}"
    if unit in ("ms", "µs"):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}" if value < 10 else f"{value:.1f}"
    if unit == "MiB":
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """What the results depend on: CPUs, Python, package versions, load when the run began."""
    versions: dict[str, str] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "nproc": usable,
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "platform": platform.platform(terse=True),
        "packages": versions,
        "loadavg": tuple(round(x, 2) for x in load),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


class ServerProcess:
    """A benchmark's server in a child process (so its CPU is not charged to the client): runs
    `python <args>` and waits for its first line, which must match `ready` (a regular
    expression whose groups, in `found`, say where it listens)."""

    def __init__(self, args: list[str], ready: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(ready, line)
        if match is None:
            self.close()
            raise RuntimeError(f"the server `{' '.join(args)}` did not start: {line!r}")
        self.found = match.groups()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
