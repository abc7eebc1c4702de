"""Every benchmark module compiles: `bench/` is not imported by the suite or type-checked
(its baselines, openai-python and httpx-sse, are not test dependencies), so a compile error
there (an `await` left outside its coroutine) would first show in a recorded run."""

from __future__ import annotations

from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _name(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=_name)
def test_the_benchmark_module_compiles(path: Path) -> None:
    """The module's source compiles as Python would compile it on import."""
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
