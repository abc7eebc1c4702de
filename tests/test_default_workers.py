"""`uv run pytest` spreads the suite over the machine's cores (issue 27): tests/conftest.py
turns on pytest-xdist's `-n auto` unless the command line asks for one process, and `auto`
means two processes per core (the suite waits on sockets and timers a third of its time)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parent.parent


class FakeConfig:
    """What the hook reads of pytest's config: the options, the arguments, the plugins."""

    def __init__(self, args: list[str], *, xdist: bool = True, **options: Any) -> None:
        defaults: dict[str, Any] = {
            "numprocesses": None,
            "tx": [],
            "capture": "fd",
            "usepdb": False,
            "trace": False,
        }
        self.option = argparse.Namespace(**{**defaults, **options})
        self.args = args
        self.pluginmanager = self
        self.xdist = xdist

    def hasplugin(self, name: str) -> bool:
        return name == "xdist" and self.xdist


def workers_chosen(config: FakeConfig) -> object:
    """Run the hook around a stand-in for pytest's own cmdline_main; the workers it chose."""
    hook = conftest.pytest_cmdline_main(config)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(0)
    return getattr(config.option, "numprocesses", "unset")


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        (["tests"], {}, "auto"),  # `uv run pytest`: testpaths
        (["tests/_async"], {}, "auto"),  # a directory
        (["tests"], {"numprocesses": 2}, 2),  # .ci/run's -n 2
        (["tests"], {"numprocesses": 0}, 0),  # -n 0
        (["tests"], {"tx": ["popen"]}, None),  # --tx
        (["tests"], {"capture": "no"}, None),  # -s
        (["tests"], {"usepdb": True}, None),  # --pdb
        (["tests"], {"trace": True}, None),  # --trace
        (["tests/test_cli.py"], {}, None),  # named files
        (["tests/test_cli.py::test_version_and_the_console_script"], {}, None),  # a test
    ],
)
def test_the_default_run_uses_every_core_and_debugging_runs_use_one(
    args: list[str], options: dict[str, Any], expected: object
) -> None:
    """The suite or a directory gets `-n auto`; an explicit -n or --tx is kept; -s, --pdb,
    --trace and named test files or tests stay in one process."""
    old = Path.cwd()
    os.chdir(ROOT)  # the arguments are paths relative to the project, as typed
    try:
        assert workers_chosen(FakeConfig(args, **options)) == expected
    finally:
        os.chdir(old)


def test_without_xdist_nothing_is_asked_of_it() -> None:
    """`-p no:xdist` (the plugin is not loaded, so `-n` is not an option): left alone."""
    config = FakeConfig(["tests"], xdist=False)
    delattr(config.option, "numprocesses")
    assert workers_chosen(config) == "unset"


def test_a_plain_run_starts_workers() -> None:
    """A real `pytest` over a directory, with no -n, starts pytest-xdist workers (as many as
    PYTEST_XDIST_AUTO_NUM_WORKERS says, past tests/conftest.py's two per core: one here,
    collecting no test files, to stay quick)."""
    env = {**os.environ, "PYTEST_XDIST_AUTO_NUM_WORKERS": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/_sync"]
    result = subprocess.run(
        [*command, "--ignore-glob=tests/_sync/test_*.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 worker [0 items]" in result.stdout, result.stdout + result.stderr


def test_auto_means_two_processes_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """`-n auto` asks for two processes for each core this process may run on;
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, is left to pytest-xdist, which obeys it."""
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    config: Any = FakeConfig(["tests"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert conftest.pytest_xdist_auto_num_workers(config) == 2 * (cores or 1)
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "3")
    assert conftest.pytest_xdist_auto_num_workers(config) is None
