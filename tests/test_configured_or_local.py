"""phoson.testing.configured_or_local: the configured API if there is one, else a local server."""

from __future__ import annotations

import io

import pytest

from phoson import PhosonClient
from phoson.testing import configured_or_local


def test_uses_the_environment_when_a_key_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """With PHOSON_API_KEY set, it yields that key and URL and starts nothing."""
    monkeypatch.setenv("PHOSON_API_KEY", "pk_real")
    monkeypatch.setenv("PHOSON_BASE_URL", "https://eu.phoson.test")
    notice = io.StringIO()
    with configured_or_local(notice=notice) as settings:
        assert settings == ("pk_real", "https://eu.phoson.test")
    monkeypatch.delenv("PHOSON_BASE_URL")
    with configured_or_local(notice=notice) as settings:
        assert settings == ("pk_real", None)
    assert notice.getvalue() == ""


def test_starts_a_local_server_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key, a working local server runs for the block and the switch is announced."""
    monkeypatch.delenv("PHOSON_API_KEY", raising=False)
    notice = io.StringIO()
    with configured_or_local(notice=notice) as (api_key, base_url):
        assert base_url is not None and base_url.startswith("http://127.0.0.1:")
        with PhosonClient(api_key=api_key, base_url=base_url) as client:
            assert client.agents.list() == []
    assert notice.getvalue() == f"PHOSON_API_KEY is not set: using a local server at {base_url}\n"
