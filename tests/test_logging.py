"""PHOSON_LOG turns on the `phoson` logger, and what it prints never holds the key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from phoson import _logging

SCRIPT = """
import httpx
from phoson import PhosonClient, NotFoundError

def handler(request):
    if request.url.path == "/agents/missing":
        return httpx.Response(404, json={"detail": "Agent not found"}, headers={"x-request-id": "req_404"})
    return httpx.Response(200, json=[], headers={"x-request-id": "req_ok"})

http = httpx.Client(transport=httpx.MockTransport(handler))
client = PhosonClient(api_key="pk_live_LOGGED_SECRET", base_url="https://api.phoson.test", http_client=http)
client.agents.list()
try:
    client.agents.get("missing")
except NotFoundError:
    pass
"""


def run(level: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOSON_")}
    if level is not None:
        env["PHOSON_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def test_debug_logs_method_url_status_request_id_time_and_retry() -> None:
    """PHOSON_LOG=debug prints one line per response with everything but the key."""
    result = run("debug")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "phoson" in line]
    assert len(lines) == 2, result.stderr
    assert "DEBUG phoson] GET https://api.phoson.test/agents -> 200 (request id req_ok," in lines[0]
    assert " ms, retry 0)" in lines[0]
    assert "GET https://api.phoson.test/agents/missing -> 404 (request id req_404," in lines[1]
    assert "LOGGED_SECRET" not in result.stderr


@pytest.mark.parametrize("level", [None, "", "info", "warning"])
def test_quiet_unless_debug_asked(level: str | None) -> None:
    """Without PHOSON_LOG=debug nothing is printed for successful or plain failing calls."""
    result = run(level)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_an_unknown_value_is_reported_once_and_logging_stays_off() -> None:
    """PHOSON_LOG=verbose prints one warning naming the value and the accepted levels (however
    many clients are made), and nothing else."""
    result = run("verbose")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "PHOSON_LOG='verbose' is not a log level: use one of debug, info, warning, error, "
        "critical; logging stays off\n"
    )


@pytest.fixture
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Logger]:
    """The `phoson` logger as a new process has it; its handlers and level are restored after."""
    logger = logging.getLogger("phoson")
    handlers, level = list(logger.handlers), logger.level
    monkeypatch.setattr(_logging, "_configured", False)
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("debug", logging.DEBUG),
        ("INFO", logging.INFO),
        (" warning ", logging.WARNING),
        ("error", logging.ERROR),
        ("Critical", logging.CRITICAL),
    ],
)
def test_each_level_prints_from_that_level_up(
    value: str,
    level: int,
    fresh_logger: logging.Logger,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each documented PHOSON_LOG value (any case, spaces ignored) prints records at its level
    and above to stderr, and none below it."""
    monkeypatch.setenv("PHOSON_LOG", value)
    _logging.configure_from_env()
    _logging.configure_from_env()  # a second client: no second handler
    fresh_logger.log(level, "at the level")
    fresh_logger.log(level - 10, "below the level")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("phoson] at the level\n") == 1
    assert "below the level" not in err
