"""pyright's view of the package: fully typed, and the user-side code clean in strict mode.

The same two runs as `.ci/run` section 12, inside the test suite at PHOSON_TEST_SCALE=full
(CI's step 5 and a developer's full run; the everyday `uv run pytest` leaves them to
`uv run basedpyright`): `basedpyright` (pyright's checker with its own node, a locked dev dependency; nothing is
downloaded) scores the package's type completeness, and checks all of the examples and all of
the tests in strict mode (pyproject.toml's [tool.pyright]). About 30 s of one process; on the
developers' Python only (the result does not depend on the interpreter running the tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.budget import SCALE

ROOT = Path(__file__).resolve().parent.parent
#: The environment's own scripts: pyright resolves imports in the environment running the tests.
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.skipif(
        sys.version_info[:2] != (3, 11) or shutil.which("basedpyright", path=str(BIN)) is None,
        reason="pyright runs once, on the developers' Python 3.11 with the dev dependencies",
    ),
    pytest.mark.skipif(
        SCALE != "full",
        reason="pyright takes ~30 s of a core: run at PHOSON_TEST_SCALE=full (.ci/run step 5)",
    ),
]


def _basedpyright(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "basedpyright"), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_the_package_is_fully_typed() -> None:
    """`pyright --verifytypes phoson --ignoreexternal` scores 100%: every symbol a user can
    reach from phoson's public modules has a known type (an unannotated attribute, or a
    parameter typed with something unknown, fails this)."""
    result = _basedpyright("--verifytypes", "phoson", "--ignoreexternal")
    score = re.search(r"Type completeness score: ([\d.]+)%", result.stdout)
    assert score is not None, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if " - error: " in line]
    assert score.group(1) == "100", "\n".join(problems[:20])
    assert result.returncode == 0


def test_examples_and_tests_are_clean_in_strict_mode() -> None:
    """The examples and the tests (whole directories) check clean under pyright's strict mode,
    as they would in a user's strictly checked project."""
    result = _basedpyright()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "0 errors" in result.stdout
