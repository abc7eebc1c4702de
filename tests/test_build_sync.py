"""build_sync.py: the generated blocking code is checked, and every kind of drift fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def test_committed_output_is_up_to_date(project: Path) -> None:
    """--check passes on the tree as committed, and each generated file says DO NOT EDIT."""
    result = check(project)
    assert result.returncode == 0, result.stderr
    for path in (project / "phoson/_sync").glob("*.py"):
        assert path.read_text().startswith("# DO NOT EDIT: generated from phoson/_async/")


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
