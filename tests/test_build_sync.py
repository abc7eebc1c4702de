"""build_sync.py: the generated blocking code is checked, and every kind of drift fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The Python build_sync.py runs on (its PYTHON); it refuses every other one.
PINNED = (3, 11)
ON_PINNED = sys.version_info[:2] == PINNED
on_pinned_python = pytest.mark.skipif(
    not ON_PINNED,
    reason="build_sync.py generates on Python 3.11 only (f-strings tokenize differently on "
    "3.12+); CI runs these tests and --check there",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what build_sync.py reads and writes, to break on purpose."""
    copy = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "build_sync.py", copy)
    shutil.copy(ROOT / "pyproject.toml", copy)
    for tree in ("phoson/_async", "phoson/_sync", "tests/_async", "tests/_sync"):
        shutil.copytree(ROOT / tree, copy / tree, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "build_sync.py", "--check"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def restore(project: Path) -> None:
    for tree in ("phoson/_async", "phoson/_sync", "tests/_async", "tests/_sync"):
        shutil.rmtree(project / tree)
        shutil.copytree(ROOT / tree, project / tree, ignore=shutil.ignore_patterns("__pycache__"))


@on_pinned_python
def test_committed_output_is_up_to_date(project: Path) -> None:
    """--check passes on the tree as committed, and each generated file says DO NOT EDIT."""
    result = check(project)
    assert result.returncode == 0, result.stderr
    for path in (project / "phoson/_sync").glob("*.py"):
        assert path.read_text().startswith("# DO NOT EDIT: generated from phoson/_async/")


@on_pinned_python
def test_hand_edit_fails(project: Path) -> None:
    """Editing a generated file by hand makes --check fail and name the file."""
    target = project / "phoson/_sync/_client.py"
    target.write_text(target.read_text().replace("max_retries: int = 2", "max_retries: int = 5"))
    try:
        result = check(project)
        assert result.returncode == 1
        assert "differs: phoson/_sync/_client.py" in result.stderr
        assert "max_retries: int = 5" in result.stderr
    finally:
        restore(project)


@on_pinned_python
def test_orphan_and_missing_files_fail(project: Path) -> None:
    """A generated file without a source, or a source without its output, fails --check."""
    (project / "phoson/_sync/_stale.py").write_text("x = 1\n")
    (project / "tests/_sync/test_client.py").unlink()
    try:
        result = check(project)
        assert result.returncode == 1
        assert "orphan (no async source): phoson/_sync/_stale.py" in result.stderr
        assert "missing: tests/_sync/test_client.py" in result.stderr
    finally:
        restore(project)


@on_pinned_python
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("class AsyncWidget: ...", "AsyncWidget has no mapping"),
        ("# await the answer", "async word 'await' left"),
        ('"""Runs under asyncio."""', "async word 'asyncio' left"),
    ],
)
def test_unmapped_names_and_leftover_words_fail(project: Path, line: str, message: str) -> None:
    """An Async name without a mapping, or an async word that survives, fails the build."""
    source = project / "phoson/_async/_client.py"
    source.write_text(source.read_text() + f"\n\n{line}\n")
    try:
        result = check(project)
        assert result.returncode == 1
        assert message in result.stderr
    finally:
        restore(project)


@pytest.mark.skipif(ON_PINNED, reason="checks the refusal on Pythons other than 3.11")
def test_other_pythons_are_refused_with_the_command_to_use(project: Path) -> None:
    """On any Python but the pinned one, build_sync.py writes nothing, exits 2 and says how to
    run it instead."""
    before = {path: path.read_bytes() for path in project.rglob("*.py")}
    for args in ([], ["--check"]):
        result = subprocess.run(
            [sys.executable, "build_sync.py", *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "runs on Python 3.11 only" in result.stderr
        assert "uv run python build_sync.py" in result.stderr
    assert {path: path.read_bytes() for path in project.rglob("*.py")} == before


def test_awaitable_returns_become_the_value_they_give() -> None:
    """A plain async-side method that hands on an awaitable (`-> Awaitable[X]`) returns `X` in
    the blocking code, nested brackets included, and the generated pool body does so."""
    sys.path.insert(0, str(ROOT))
    try:
        import build_sync
    finally:
        sys.path.remove(str(ROOT))
    source = "def f(self) -> Awaitable[dict[str, list[int]]]:\n    x: Awaitable[bytes]\n"
    assert build_sync.drop_awaitable(source) == (
        "def f(self) -> dict[str, list[int]]:\n    x: bytes\n"
    )
    generated = (ROOT / "phoson/_sync/_pool.py").read_text(encoding="utf-8")
    assert "def __next__(self) -> bytes:" in generated
    assert "Awaitable" not in generated
