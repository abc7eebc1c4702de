"""The package as a user gets it: what pyproject.toml declares, and the built wheel installed.

The wheel test needs a built wheel and the network (pip fetches httpx and pydantic), so it runs
when PHOSON_TEST_WHEEL names one: `uv build` then
`PHOSON_TEST_WHEEL=dist/phoson_sdk-<version>-py3-none-any.whl uv run pytest tests/test_packaging.py`
(`bash .ci/run` does this once).
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from phoson.testing import reply_text

ROOT = Path(__file__).resolve().parent.parent
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
WHEEL = os.environ.get("PHOSON_TEST_WHEEL")


def requirement_name(requirement: str) -> str:
    """The normalized distribution name of a PEP 508 requirement ("httpx>=0.27" -> "httpx")."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found is not None, requirement
    return re.sub(r"[-_.]+", "-", found.group()).lower()


def runtime_imports(path: Path) -> set[str]:
    """Top-level names of the modules `path` imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text("utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for statement in block.body
        for node in ast.walk(statement)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_every_third_party_module_phoson_imports_is_declared() -> None:
    """Each non-standard-library module the package imports belongs to a distribution that
    pyproject.toml declares (a dependency, or an optional extra), so `pip install` brings it."""
    declared = {requirement_name(r) for r in PROJECT["dependencies"]}
    for extra in PROJECT.get("optional-dependencies", {}).values():
        declared |= {requirement_name(r) for r in extra}
    distributions = importlib.metadata.packages_distributions()
    # A pytest plugin is only ever imported by pytest, which is there by then.
    plugins = {
        ROOT / (module.replace(".", "/") + ".py"): {"pytest"}
        for module in PROJECT.get("entry-points", {}).get("pytest11", {}).values()
    }
    # phoson.web's framework helpers are imported only by an application of that framework
    # (phoson.web itself imports neither).
    plugins[ROOT / "phoson" / "web" / "django.py"] = {"django"}
    plugins[ROOT / "phoson" / "web" / "starlette.py"] = {"starlette"}
    undeclared: dict[str, list[str]] = {}
    for path in sorted((ROOT / "phoson").rglob("*.py")):
        provided = set(sys.stdlib_module_names) | {"phoson"} | plugins.get(path, set())
        for module in runtime_imports(path) - provided:
            owners = {requirement_name(name) for name in distributions.get(module, [module])}
            if not owners & declared:
                undeclared.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not undeclared, (
        f"imported but not declared in pyproject.toml [project] dependencies: {undeclared}"
    )


def test_the_running_python_is_a_declared_classifier() -> None:
    """The suite runs on every Python CI tests, and each of them is listed in the classifiers
    (and allowed by requires-python)."""
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"Programming Language :: Python :: {minor}" in PROJECT["classifiers"]
    floor = re.fullmatch(r">=\s*3\.(\d+)", PROJECT["requires-python"])
    assert floor is not None and sys.version_info[:2] >= (3, int(floor[1]))


def test_license_file_matches_the_declared_license() -> None:
    """LICENSE is the MIT licence text that pyproject.toml declares, and it ships in the wheel."""
    assert PROJECT["license"] == "MIT"
    assert "LICENSE" in PROJECT["license-files"]
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


@pytest.mark.skipif(
    WHEEL is None,
    reason="needs a built wheel: set PHOSON_TEST_WHEEL=dist/<wheel> after `uv build` "
    "(bash .ci/run does)",
)
def test_the_built_wheel_installs_with_pip_and_runs_the_quick_start(tmp_path: Path) -> None:
    """The wheel, installed by plain pip into a fresh venv with nothing else, runs the quick
    start with no API key (against its own local server) and `phoson --help`."""
    assert WHEEL is not None
    wheel = Path(WHEEL).resolve()
    venv = tmp_path / "venv"
    # 1. A fresh venv from the base interpreter: its own pip, no uv, no dev tools.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PHOSON_", "UV_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PYTHONIOENCODING"] = "utf-8"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        # From an empty directory, so the project's own source tree cannot be imported.
        return subprocess.run(
            args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

    # 2. The package comes from the venv, and nothing but its dependencies came with it.
    where = run(python, "-c", "import phoson; print(phoson.__file__, phoson.__version__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv)), where.stdout
    assert where.stdout.split()[1] == PROJECT["version"]
    dev_tools = run(
        python,
        "-c",
        "import importlib.util as u; print([m for m in ('pytest', 'mypy', 'ruff', 'respx', "
        "'hypothesis', 'trio', 'unasync', 'uv') if u.find_spec(m)])",
    )
    assert dev_tools.stdout.strip() == "[]"

    # 3. The quick start, offline: no key, so it starts the packaged local server.
    shutil.copy(ROOT / "examples" / "quickstart.py", tmp_path / "quickstart.py")
    quickstart = run(python, "quickstart.py")
    assert quickstart.returncode == 0, quickstart.stderr
    assert quickstart.stdout.startswith(reply_text("Hello, how are you?") + "\n\nRun ID: run_")
    assert "local" in quickstart.stderr.lower()

    # 4. The console script.
    helped = run(venv / "bin" / "phoson", "--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: phoson")
    assert all(command in helped.stdout for command in ("chat", "agents", "conversations"))


def test_the_sdist_allowlist_refuses_tool_caches_and_strays() -> None:
    """.ci/check_sdist.py (run on the built sdist by `.ci/run`, section 11) accepts the
    project's own files and refuses a tool cache anywhere (`.schemathesis/`, `.hypothesis/`,
    `__pycache__/`, `*.pyc`), a stray top-level file, and an sdist missing the package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_sdist", ROOT / ".ci" / "check_sdist.py")
    assert spec is not None and spec.loader is not None
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    good = [*check.REQUIRED, "phoson/_async/_client.py", "docs/openapi.json", ".ci/run"]
    assert check.problems(good) == []
    for stray in (
        ".schemathesis/default/cache/crashes/manifest.json",
        "tests/.hypothesis/examples/1",
        "phoson/__pycache__/_sse.cpython-311.pyc",
        "bench/results/run.tmp",
        "notes.txt",
        ".venv/bin/python",
    ):
        assert check.problems([*good, stray]) == [f"not allowed: {stray}"], stray
    assert check.problems(good[1:]) == [f"missing: {good[0]}"]
