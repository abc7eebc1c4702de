# DO NOT EDIT: generated from tests/_async/test_client.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The client itself: configuration, lifecycle, copies, and keeping the key secret."""

from __future__ import annotations

import gc
import logging
from typing import Any

import httpx
import pytest
import respx

from phoson import NotFoundError, PhosonClient, PhosonError, request_id_of
from phoson._config import DEFAULT_BASE_URL
from tests.payloads import (
    AGENT,
    ALL_EVENTS,
    API_KEY,
    BASE_URL,
    event_stream_response,
    json_response,
    sse,
)


def test_api_key_and_base_url_fall_back_to_environment(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter
) -> None:
    """Without arguments the client reads PHOSON_API_KEY and PHOSON_BASE_URL."""
    monkeypatch.setenv("PHOSON_API_KEY", "pk_from_env")
    monkeypatch.setenv("PHOSON_BASE_URL", BASE_URL + "/")
    route = api.get("/agents").mock(return_value=json_response(200, []))
    with PhosonClient() as client:
        assert client.base_url == BASE_URL
        client.agents.list()
    assert route.calls.last.request.headers["authorization"] == "Bearer pk_from_env"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """base_url defaults to the public API, timeout to 600 s (5 s to connect), retries to 2."""
    monkeypatch.delenv("PHOSON_BASE_URL", raising=False)
    with PhosonClient(api_key=API_KEY) as client:
        assert client.base_url == DEFAULT_BASE_URL == "https://api.phoson.ai"
        assert client.timeout == httpx.Timeout(600, connect=5)
        assert client.max_retries == 2


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key anywhere raises PhosonError at construction, naming PHOSON_API_KEY and, for a
    newcomer without an account, the local server (`python -m phoson.testing`, `--local`)."""
    monkeypatch.delenv("PHOSON_API_KEY", raising=False)
    with pytest.raises(PhosonError, match="PHOSON_API_KEY") as caught:
        PhosonClient()
    assert "python -m phoson.testing" in str(caught.value)
    assert "phoson --local" in str(caught.value)


@pytest.mark.parametrize(
    "bad_url",
    [
        "api.phoson.ai",
        "ftp://x",
        "",
        "localhost:8000",
        "http://host:abc",
        "http://host:99999",
        "http://ex ample.com",
        "https://api.phoson.ai/v1 x",
        "http://[::1",
        "https://",
    ],
)
def test_bad_base_url_is_refused(bad_url: str) -> None:
    """A base_url that cannot work (no scheme, bad port, spaces, no host) fails at construction
    with a PhosonError naming the URL, not with httpx.InvalidURL on the first call."""
    with pytest.raises(PhosonError, match="is not a usable URL"):
        PhosonClient(api_key=API_KEY, base_url=bad_url)


def test_default_headers_and_per_call_options(api: respx.MockRouter) -> None:
    """default_headers go on every request; extra_headers/extra_query/extra_body/timeout apply
    to one call."""
    route = api.post("/agents").mock(return_value=json_response(201, AGENT))
    with PhosonClient(
        api_key=API_KEY, base_url=BASE_URL, default_headers={"X-Team": "core"}
    ) as client:
        client.agents.create(
            name="n",
            description="d",
            extra_headers={"X-Trace": "t1"},
            extra_query={"dry_run": "1"},
            extra_body={"labels": ["a"]},
            timeout=3.0,
        )
        request = route.calls.last.request
        assert request.headers["x-team"] == "core" and request.headers["x-trace"] == "t1"
        assert request.url.params["dry_run"] == "1"
        assert request.content == (
            b'{"name":"n","description":"d","memory_type":"persistent","labels":["a"]}'
        )
        assert request.extensions["timeout"] == httpx.Timeout(3.0).as_dict()
        client.agents.create(name="n", description="d")
        request = route.calls.last.request
        assert "x-trace" not in request.headers and "dry_run" not in request.url.params
        assert request.extensions["timeout"] == httpx.Timeout(600, connect=5).as_dict()


def test_with_options_shares_the_pool_and_changes_settings(api: respx.MockRouter) -> None:
    """with_options returns a client on the same connection pool with new settings; closing
    the copy leaves the original usable."""
    route = api.get("/agents").mock(return_value=json_response(200, []))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        copy = client.with_options(timeout=5, max_retries=0, default_headers={"X-A": "1"})
        assert copy.http_client is client.http_client
        assert copy.timeout == httpx.Timeout(5) and copy.max_retries == 0
        assert client.timeout == httpx.Timeout(600, connect=5) and client.max_retries == 2
        copy.agents.list()
        assert route.calls.last.request.headers["x-a"] == "1"
        copy.close()
        client.agents.list()
        assert "x-a" not in route.calls.last.request.headers
        assert client.with_options(timeout=None).timeout == httpx.Timeout(None)


def test_with_options_on_a_subclass_keeps_what_its_init_set(api: respx.MockRouter) -> None:
    """A subclass's copy from with_options is of the subclass and has the attributes its
    `__init__` set (it is not run again), with the new settings."""
    route = api.get("/agents").mock(return_value=json_response(200, []))

    class TenantClient(PhosonClient):
        def __init__(self, tenant: str, **kwargs: Any) -> None:
            super().__init__(default_headers={"X-Tenant": tenant}, **kwargs)
            self.tenant = tenant

        def agent_names(self) -> list[str]:
            return [agent.name for agent in self.agents.list()]

    with TenantClient("acme", api_key=API_KEY, base_url=BASE_URL) as client:
        copy = client.with_options(max_retries=0)
        assert type(copy) is TenantClient and copy.tenant == "acme" and copy.max_retries == 0
        assert copy.agent_names() == []
        assert route.calls.last.request.headers["x-tenant"] == "acme"
        assert client.max_retries == 2 and copy.agents is not client.agents


def test_with_options_per_request_leaks_nothing(api: respx.MockRouter) -> None:
    """10,000 copies made per request leave no objects or connection pools behind."""
    api.get("/agents").mock(return_value=json_response(200, []))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL) as client:
        client.with_options(timeout=1).agents.list()
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(10_000):
            client.with_options(timeout=1, max_retries=1)
        client.with_options(timeout=1).agents.list()
        gc.collect()
        assert len(gc.get_objects()) - before < 200


def test_user_http_client_is_used_and_left_open(api: respx.MockRouter) -> None:
    """An http_client= passed in carries the requests and is not closed by close()."""
    route = api.get("/agents").mock(return_value=json_response(200, []))
    with httpx.Client(headers={"X-Proxy-Auth": "p"}) as http:
        client = PhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=http)
        client.agents.list()
        assert route.calls.last.request.headers["x-proxy-auth"] == "p"
        client.close()
        assert not http.is_closed


def test_close_is_idempotent(api: respx.MockRouter) -> None:
    """close() twice is fine, and the pool is closed afterwards."""
    client = PhosonClient(api_key=API_KEY, base_url=BASE_URL)
    client.close()
    client.close()
    assert client.http_client.is_closed


def test_api_key_never_leaks(api: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    """A planted key appears in no repr, exception message or log record, across successes,
    retries, API errors, transport errors and streams."""
    secret = "pk_live_PLANTED_SECRET_42"
    caplog.set_level(logging.DEBUG, logger="phoson")
    api.get("/agents").mock(
        side_effect=[json_response(503, {"detail": "busy"}), json_response(200, [AGENT])]
    )
    api.get("/agents/missing").mock(return_value=json_response(404, {"detail": "Agent not found"}))
    api.get("/agents/down").mock(side_effect=httpx.ConnectError("refused"))
    api.post("/conversations/c/messages").mock(return_value=event_stream_response(sse(ALL_EVENTS)))
    texts: list[str] = []
    with PhosonClient(api_key=secret, base_url=BASE_URL) as client:
        texts += [repr(client), str(client), repr(client.agents), repr(client.config)]
        texts.append(repr(client.with_options(max_retries=1)))
        agents = client.agents.list()
        texts += [repr(agents), repr(request_id_of(agents[0]))]
        for agent_id in ("missing", "down"):
            with pytest.raises(PhosonError) as caught:
                client.agents.get(agent_id)
            error = caught.value
            texts += [str(error), repr(error), repr(error.__cause__), repr(vars(error))]
            if isinstance(error, NotFoundError) and error.response is not None:
                texts += [repr(error.response), repr(error.response.request.headers)]
        stream = client.messages.stream("c", "hi")
        with stream:
            texts += [repr(stream), repr(stream.response)]
            texts += [repr(e) for e in stream]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying GET" in record.getMessage() for record in caplog.records)
    assert any("-> 404" in record.getMessage() for record in caplog.records)
    for text in texts:
        assert secret not in text, text
