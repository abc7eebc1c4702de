"""Import time: wall time of fresh `python -c "<import>"` subprocesses, interleaved, median.

Interpreter start-up is included on both sides, as a user would see it. Each round runs every
command once (rotating the order), so phoson and its baseline share the machine's mood.

Bytecode: an installed package has its `.pyc` files (pip and uv compile them, or the first
import writes them). This machine's environment sets `PYTHONDONTWRITEBYTECODE=1` and its
virtualenv has no `.pyc` files, so there every interpreter compiles httpx, pydantic and phoson
from source, which more than doubles import times. The main rows therefore give each
subprocess a bytecode cache in a temporary directory (`PYTHONPYCACHEPREFIX`, so the source tree
is left alone), filled by one run of each command before measuring. Extra rows measure the
commands as the inherited environment runs them, with `PYTHONDONTWRITEBYTECODE=1` (on this
machine: the standard library has its `.pyc` files, the virtualenv compiles every time).
"""

from __future__ import annotations

import functools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from bench._util import REPO, Row, interleave, median, paired_note, row

__all__ = ["run"]

BASELINE = "import httpx, pydantic"
#: What a hand-written httpx + pydantic-model client must load at least.
BASEMODEL = "import httpx; from pydantic import BaseModel"

CASES = {
    "base": BASELINE,
    "basemodel": BASEMODEL,
    "phoson": "import phoson",
    "sync": "from phoson import PhosonClient",
    "async": "from phoson import AsyncPhosonClient",
    "openai": "import openai",
}
#: Measured again in the inherited environment (fewer rounds: there they may compile a lot).
UNCACHED = ("base", "phoson", "sync")

#: The bytecode cache of the main rows; kept between runs (it is only a cache).
PYCACHE = os.path.join(tempfile.gettempdir(), "phoson-bench-pycache")


def _cached_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _inherited_env() -> dict[str, str]:
    """The environment as it is, never writing bytecode (the `.pyc` files that exist are used)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def _run_once(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _measure(
    cases: dict[str, str], env: dict[str, str], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    cpu: dict[str, list[float]] = {name: [] for name in cases}

    def measure(name: str) -> float:
        wall, used = _run_once(cases[name], env)
        cpu[name].append(used)
        return wall * 1000.0

    measures: dict[str, Callable[[], float]] = {
        name: functools.partial(measure, name) for name in cases
    }
    return interleave(measures, rounds, collect=False), cpu


def run(quick: bool = False) -> list[Row]:
    rounds = 8 if quick else 30
    cached = _cached_env()
    for code in CASES.values():
        _run_once(code, cached)  # fill the bytecode cache, outside the measurement
    wall, cpu = _measure(CASES, cached, rounds)
    uncached = {name: CASES[name] for name in UNCACHED}
    cold_rounds = 3 if quick else 10
    cold_wall, cold_cpu = _measure(uncached, _inherited_env(), cold_rounds)

    def line(
        name: str,
        base: str,
        benchmark: str,
        target: str = "report only",
        limit: float | None = None,
        *,
        cold: bool = False,
    ) -> Row:
        walls, cpus = (cold_wall, cold_cpu) if cold else (wall, cpu)
        ratio = median(walls[name]) / median(walls[base])
        cpu_ratio = median(cpus[name]) / median(cpus[base])
        runs = cold_rounds if cold else rounds
        return row(
            "import",
            benchmark,
            median(walls[name]),
            median(walls[base]),
            "ms",
            ratio=ratio,
            target=target,
            passed=None if limit is None else ratio <= limit,
            notes=f"CPU-time ratio {cpu_ratio:.2f}; {paired_note(walls[name], walls[base])}; "
            f"{runs} runs each"
            + ("; PYTHONDONTWRITEBYTECODE=1, existing .pyc only" if cold else ""),
        )

    vs = f"vs `{BASELINE}`"
    return [
        line("phoson", "base", f"`import phoson` {vs}", "ratio <= 1.3", 1.3),
        line("sync", "base", f"`from phoson import PhosonClient` {vs}"),
        line("async", "base", f"`from phoson import AsyncPhosonClient` {vs}"),
        line("sync", "basemodel", f"`from phoson import PhosonClient` vs `{BASEMODEL}`"),
        line("openai", "base", f"`import openai` (anchor) {vs}"),
        line("phoson", "base", f"`import phoson` {vs}, inherited env (no .pyc written)", cold=True),
        line(
            "sync",
            "base",
            f"`from phoson import PhosonClient` {vs}, inherited env (no .pyc written)",
            cold=True,
        ),
    ]


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["import", *sys.argv[1:]]))
