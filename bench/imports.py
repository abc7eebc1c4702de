"""Import time: wall time of fresh `python -c "<import>"` subprocesses, interleaved, median.

Interpreter start-up is included on both sides, as a user would see it. Each round runs every
command once (rotating the order), so phoson and its baseline share the machine's mood.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

from bench._util import REPO, Row, interleave, median, paired_ratio, row

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


def _run_once(code: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(quick: bool = False) -> list[Row]:
    rounds = 8 if quick else 30
    for code in CASES.values():
        _run_once(code)  # compile the .pyc files once, outside the measurement
    cpu: dict[str, list[float]] = {name: [] for name in CASES}

    def measure(name: str) -> float:
        wall, used = _run_once(CASES[name])
        cpu[name].append(used)
        return wall * 1000.0

    wall = interleave({name: (lambda n=name: measure(n)) for name in CASES}, rounds, collect=False)

    def line(name: str, base: str, benchmark: str, target: str, limit: float | None) -> Row:
        ratio = paired_ratio(wall[name], wall[base])
        cpu_ratio = paired_ratio(cpu[name], cpu[base])
        return row(
            "import",
            benchmark,
            median(wall[name]),
            median(wall[base]),
            "ms",
            ratio=ratio,
            target=target,
            passed=None if limit is None else ratio <= limit,
            notes=f"CPU-time ratio {cpu_ratio:.2f}; {rounds} runs each",
        )

    vs = f"vs `{BASELINE}`"
    return [
        line("phoson", "base", f"`import phoson` {vs}", "ratio <= 1.3", 1.3),
        line("sync", "base", f"`from phoson import PhosonClient` {vs}", "report only", None),
        line("async", "base", f"`from phoson import AsyncPhosonClient` {vs}", "report only", None),
        line(
            "sync",
            "basemodel",
            f"`from phoson import PhosonClient` vs `{BASEMODEL}`",
            "report only",
            None,
        ),
        line("openai", "base", f"`import openai` (anchor) {vs}", "report only", None),
    ]


if __name__ == "__main__":
    from bench.run import main

    sys.exit(main(["import", *sys.argv[1:]]))
