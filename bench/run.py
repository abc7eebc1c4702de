"""The benchmark runner: runs the benchmarks, prints one table, keeps it in bench/README.md.

uv run --group bench python -m bench                  # everything, writes bench/README.md
uv run --group bench python -m bench --quick          # smaller sizes, fewer rounds
uv run --group bench python -m bench calls stream     # a subset
uv run --group bench python bench/run.py --list       # the same, as a script
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make `bench` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._util import REPO, Row, fmt, machine_info

__all__ = ["BENCHMARKS", "main", "render", "write_readme"]

#: Benchmark name -> module with `run(quick: bool) -> list[Row]`, in the order they run.
BENCHMARKS: dict[str, str] = {
    "import": "bench.imports",
    "calls": "bench.calls",
    "stream": "bench.streams",
    "stream_end": "bench.stream_end",
    "sse": "bench/bench_sse.py",  # the SSE decoder's own benchmark, when it exists
    "latency": "bench.latency",
    "memory": "bench.memory",
    "concurrency": "bench.concurrency",
    "local": "bench.local_server",  # the local server's in-process transport vs loopback
    "scale": "bench.scale",
    "realnet": "bench.realnet",  # TLS and a 40 ms round trip: chat session, concurrency
}

README = os.path.join(REPO, "bench", "README.md")
START = "<!-- bench-results:start -->"
END = "<!-- bench-results:end -->"


def _load(name: str) -> Callable[..., list[dict[str, Any]]] | None:
    target = BENCHMARKS[name]
    if target.endswith(".py"):
        path = os.path.join(REPO, target)
        if not os.path.exists(path):
            return None
        spec = importlib.util.spec_from_file_location(f"bench._ext_{name}", path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    run: Callable[..., list[dict[str, Any]]] = module.run
    return run


def _call(run: Callable[..., list[dict[str, Any]]], quick: bool) -> list[dict[str, Any]]:
    try:
        parameters = inspect.signature(run).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    if "quick" in parameters:
        return run(quick=quick)
    if quick and "runs" in parameters:
        return run(runs=3)
    return run()


_CONDITION = re.compile(r"(ratio\s*)?(<=|>=|<|>|≤|≥)\s*([0-9][0-9_,.]*)\s*([kKM]|x\b)?")


def judge(line: dict[str, Any]) -> bool | None:
    """Whether a row meets its target: its own `passed` if given, else the target read as
    conditions ("ratio <= 1.3", ">= 250k events/s", ">= 10x"): a condition on a number with a
    k/M suffix or followed by the row's unit is about the phoson figure, any other about the
    ratio. None when the target has no condition (report only)."""
    if "passed" in line:
        passed = line["passed"]
        return None if passed is None else bool(passed)
    if isinstance(line.get("target"), int | float):
        # A bare number (bench_sse.py's convention): the ratio, higher is better, must reach it.
        ratio = line.get("ratio")
        return ratio is not None and ratio >= line["target"]
    target = str(line.get("target") or "")
    unit = str(line.get("unit") or "")
    verdicts: list[bool] = []
    for match in _CONDITION.finditer(target):
        said_ratio, op, number, suffix = match.groups()
        value = float(number.replace(",", "").replace("_", ""))
        rest = target[match.end() :].lstrip()
        scale = {"k": 1e3, "K": 1e3, "M": 1e6}.get(suffix or "", 1.0)
        on_value = not said_ratio and (scale != 1.0 or bool(unit and rest.startswith(unit)))
        subject = line.get("phoson") if on_value else line.get("ratio")
        if subject is None:
            return False
        value *= scale
        verdicts.append(
            subject <= value
            if op in ("<=", "≤")
            else subject >= value
            if op in (">=", "≥")
            else subject < value
            if op == "<"
            else subject > value
        )
    return all(verdicts) if verdicts else None


def _normalise(name: str, line: dict[str, Any]) -> Row:
    target = line.get("target")
    notes = str(line.get("notes") or "")
    if isinstance(target, int | float):
        target = f"ratio >= {target:g}"
        notes = notes or "ratio: higher is better"
    out = Row(
        group=str(line.get("group") or name),
        benchmark=str(line.get("benchmark", "?")),
        phoson=line.get("phoson"),
        baseline=line.get("baseline"),
        ratio=line.get("ratio"),
        target=str(target or "report only"),
        unit=str(line.get("unit") or ""),
        notes=notes,
    )
    if out["ratio"] is None and out["phoson"] is not None and out["baseline"]:
        out["ratio"] = out["phoson"] / out["baseline"]
    out["passed"] = judge(line)
    return out


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x" if value < 100 else f"{value:,.0f}x"


def render(rows: Sequence[Row], info: dict[str, Any], command: str) -> str:
    """The results as Markdown: the machine, then one table."""
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    lines = [
        f"Run `{command}` on {info['date']}: {info['nproc']} CPUs ({info['cpu']}), "
        f"{info['python']}, {info['platform']}, load average {info['loadavg'][0]} at start.",
        "",
        f"Packages: {packages}.",
        "",
        "| benchmark | phoson | baseline | ratio | target | result | notes |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for line in rows:
        unit = line.get("unit", "")
        result = {True: "PASS", False: "**FAIL**", None: "report"}[line.get("passed")]
        figures = [
            f"{fmt(line.get('phoson'), unit)} {unit}".strip(),
            f"{fmt(line.get('baseline'), unit)} {unit}".strip(),
        ]
        figures = ["-" if figure.startswith("-") else figure for figure in figures]
        cells = [
            line.get("benchmark", "?"),
            *figures,
            _ratio(line.get("ratio")),
            line.get("target", ""),
            result,
            line.get("notes", ""),
        ]
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    counts = [line.get("passed") for line in rows]
    lines += [
        "",
        f"{counts.count(True)} passed, {counts.count(False)} failed, "
        f"{counts.count(None)} report-only.",
    ]
    return "\n".join(lines)


def write_readme(markdown: str, path: str = README) -> None:
    """Put `markdown` between the result markers of bench/README.md (appending them if absent)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    block = f"{START}\n{markdown}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Latest results\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run phoson-sdk's benchmarks against baselines."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the table into bench/README.md (default: only for a full, non-quick run)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows and machine as JSON")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for name, where in BENCHMARKS.items():
            print(f"{name:12} {where}")
        return 0
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        _parser().error(f"unknown benchmark(s) {', '.join(unknown)}; try --list")
    selected = args.names or list(BENCHMARKS)
    info = machine_info()
    command = "python -m bench" + "".join(f" {arg}" for arg in (argv or sys.argv[1:]))
    rows: list[Row] = []
    for name in selected:
        started = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            run = _load(name)
            if run is None:
                print(f"[bench] {name}: not present, skipped", file=sys.stderr)
                continue
            produced = [_normalise(name, line) for line in _call(run, args.quick)]
        except Exception as error:
            traceback.print_exc()
            produced = [
                Row(
                    group=name,
                    benchmark=f"{name}: did not run",
                    phoson=None,
                    baseline=None,
                    ratio=None,
                    target="runs",
                    unit="",
                    passed=False,
                    notes=f"{type(error).__name__}: {error}"[:200],
                )
            ]
        rows += produced
        elapsed = time.perf_counter() - started
        print(f"[bench] {name}: {len(produced)} rows in {elapsed:.0f} s", file=sys.stderr)
    markdown = render(rows, info, command)
    print(markdown)
    write = args.write if args.write is not None else not args.names and not args.quick
    if write:
        write_readme(markdown)
        print(f"\n(written to {os.path.relpath(README)})", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"machine": info, "command": command, "rows": rows}, file, indent=2)
    failed = any(line.get("passed") is False for line in rows)
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
