"""PHOSON_LOG turns on the `phoson` logger, and what it prints never holds the key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("level", [None, "", "nonsense", "info"])
def test_quiet_unless_debug_asked(level: str | None) -> None:
    """Without PHOSON_LOG=debug nothing is printed for successful or plain failing calls."""
    result = run(level)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
