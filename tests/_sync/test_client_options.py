# DO NOT EDIT: generated from tests/_async/test_client_options.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Client settings: default_query, a key function (rotating credentials) and
strict_response_validation."""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
import pytest
import respx

from phoson import (
    Agent,
    AuthenticationError,
    PhosonClient,
    PhosonError,
    PhosonResponseValidationError,
    request_id_of,
)
from phoson.testing import LocalPhosonServer
from tests.payloads import AGENT, API_KEY, BASE_URL, CONVERSATION, json_response, requests_of


def test_default_query_goes_on_every_request_and_calls_can_override_it(
    api: respx.MockRouter,
) -> None:
    """default_query is sent with every call; the call's own parameters and extra_query win;
    with_options merges into it (None removes one) without changing the original."""
    agents = api.get("/agents").mock(return_value=json_response(200, [AGENT]))
    convs = api.get("/conversations").mock(return_value=json_response(200, [CONVERSATION]))
    with PhosonClient(
        api_key=API_KEY, base_url=BASE_URL, default_query={"workspace": "w1", "agent_id": "x"}
    ) as client:
        client.agents.list()
        assert dict(agents.calls.last.request.url.params) == {"workspace": "w1", "agent_id": "x"}
        client.conversations.list(agent_id="agt_1")
        assert dict(convs.calls.last.request.url.params) == {"workspace": "w1", "agent_id": "agt_1"}
        client.agents.list(extra_query={"workspace": "w9"})
        assert dict(agents.calls.last.request.url.params) == {"workspace": "w9", "agent_id": "x"}
        client.get("/agents", params={"page": 2})
        assert dict(agents.calls.last.request.url.params) == {
            "workspace": "w1",
            "agent_id": "x",
            "page": "2",
        }
        other = client.with_options(default_query={"workspace": "w2", "agent_id": None})
        other.agents.list()
        assert dict(agents.calls.last.request.url.params) == {"workspace": "w2"}
        client.agents.list()
        assert dict(agents.calls.last.request.url.params) == {"workspace": "w1", "agent_id": "x"}
        with pytest.raises(TypeError, match="default_query must be a mapping"):
            client.with_options(default_query="workspace=w1")  # type: ignore[arg-type]


def test_a_key_function_is_asked_once_per_attempt(
    api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A callable api_key is called for each attempt: a retry after a 503 sends the key it
    returns then, and a later call asks again."""
    keys = iter(["pk_rotating_key_0001", "pk_rotating_key_0002", "pk_rotating_key_0003"])
    calls: list[str] = []

    def current_key() -> str:
        calls.append("called")
        return next(keys)

    route = api.get("/agents").mock(
        side_effect=[
            json_response(503, {"detail": "busy"}),
            json_response(200, [AGENT]),
            json_response(200, [AGENT]),
        ]
    )
    with PhosonClient(api_key=current_key, base_url=BASE_URL) as client:
        assert calls == []  # not called until a request is built
        client.agents.list()
        client.agents.list()
    sent = [request.headers["authorization"] for request in requests_of(route)]
    assert sent == [
        "Bearer pk_rotating_key_0001",
        "Bearer pk_rotating_key_0002",
        "Bearer pk_rotating_key_0003",
    ]
    assert len(calls) == 3 and len(sleeps) == 1


def test_a_key_function_stays_secret(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """With a key function, the key it returns is in no repr, log record or error, even when
    the server echoes it back in an error body."""
    caplog.set_level(logging.DEBUG)
    key = "pk_live_ROTATED_3e8d1b"
    api.get("/agents").mock(
        side_effect=[
            json_response(503, {"detail": "busy"}),
            json_response(401, {"detail": f"key {key} was revoked"}),
        ]
    )
    with PhosonClient(api_key=lambda: key, base_url=BASE_URL) as client:
        texts = [repr(client), repr(client.config)]
        with pytest.raises(AuthenticationError) as caught:
            client.agents.list()
    texts += [str(caught.value), repr(caught.value), repr(caught.value.detail)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying" in text for text in texts)
    assert "revoked" in str(caught.value)
    for text in texts:
        assert key not in text, text


def test_a_failing_key_function_is_a_phoson_error_and_nothing_is_sent(
    api: respx.MockRouter,
) -> None:
    """A key function that raises, or returns a str that is not a key, fails the call with a
    PhosonError (naming neither key nor message) before any request goes out; one that
    returns something other than a str (a type checker's error) with a TypeError."""
    route = api.get("/agents").mock(return_value=json_response(200, [AGENT]))

    def broken() -> str:
        raise RuntimeError("vault unreachable: token pk_live_SECRET_1234")

    with PhosonClient(api_key=broken, base_url=BASE_URL) as client:
        with pytest.raises(PhosonError, match="api_key function raised RuntimeError") as caught:
            client.agents.list()
        assert "pk_live_SECRET" not in str(caught.value)
        wrong = client.with_options(api_key=lambda: 42)  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError, match="must return a str, not int"):
            wrong.agents.list()
        spaced = client.with_options(api_key=lambda: "pk key with spaces")
        with pytest.raises(PhosonError, match="api_key contains a space"):
            spaced.agents.list()
    assert not route.called


def test_with_options_can_switch_to_a_key_function(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """with_options(api_key=function) sends the function's key; the original keeps its own."""
    route = api.get("/agents").mock(return_value=json_response(200, [AGENT]))
    client.with_options(api_key=lambda: "pk_other_key_99999").agents.list()
    assert route.calls.last.request.headers["authorization"] == "Bearer pk_other_key_99999"
    client.agents.list()
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"


def test_a_key_function_is_asked_again_when_a_stream_resumes(
    server: LocalPhosonServer,
) -> None:
    """A stream that breaks and resumes asks the key function again for the new request."""
    asked: list[int] = []

    def key() -> str:
        asked.append(1)
        return server.api_key

    with PhosonClient(api_key=key, base_url=server.url) as client:
        agent = client.agents.create(name="n", description="d")
        conv = client.conversations.create(agent.id)
        before = len(asked)
        server.cut_stream_after(2)
        done = client.messages.stream(conv.id, "Hello").until_done()
    assert done.content.startswith("You said: Hello.")
    assert len(asked) - before == 2  # the first request and the resumed one


BROKEN_AGENT = {**AGENT, "id": "agt_2", "name": None}


def test_strict_validation_is_the_default_and_names_the_item(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """By default one bad field of one item fails the whole list, naming the item and field."""
    api.get("/agents").mock(return_value=json_response(200, [AGENT, BROKEN_AGENT]))
    with pytest.raises(PhosonResponseValidationError, match=r"1\.name"):
        client.agents.list()


def test_lenient_validation_builds_the_bad_item_and_warns_once(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """With strict_response_validation=False the other items are validated as usual, the bad
    one is built as sent, and one WARNING names the model, the item and the field."""
    third = {**AGENT, "id": "agt_3"}
    api.get("/agents").mock(return_value=json_response(200, [AGENT, BROKEN_AGENT, third]))
    with PhosonClient(
        api_key=API_KEY, base_url=BASE_URL, strict_response_validation=False
    ) as client:
        with caplog.at_level(logging.WARNING, logger="phoson"):
            agents = client.agents.list()
    assert [agent.id for agent in agents] == ["agt_1", "agt_2", "agt_3"]
    assert all(isinstance(agent, Agent) and request_id_of(agent) == "req_123" for agent in agents)
    assert isinstance(agents[0].created_at, datetime) and isinstance(agents[2].created_at, datetime)
    assert agents[1].__dict__["name"] is None  # as the server sent it
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "Agent (item 1)" in message and "name" in message and "GET /agents" in message


def test_lenient_validation_covers_single_models_and_custom_calls(
    client: PhosonClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """with_options(strict_response_validation=False) also builds a single model and a
    cast_to model; a body that is not a JSON object or not JSON still raises."""
    api.get("/agents/agt_2").mock(return_value=json_response(200, BROKEN_AGENT))
    api.get("/agents/bad").mock(return_value=httpx.Response(200, content=b"<html>"))
    api.get("/agents").mock(return_value=json_response(200, [AGENT, None]))
    lenient = client.with_options(strict_response_validation=False)
    with caplog.at_level(logging.WARNING, logger="phoson"):
        agent = lenient.agents.get("agt_2")
        custom = lenient.get("/agents/agt_2", cast_to=Agent)
    assert agent.id == custom.id == "agt_2" and agent.__dict__["name"] is None
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    with pytest.raises(PhosonResponseValidationError, match="not valid JSON"):
        lenient.agents.get("bad")
    with pytest.raises(PhosonResponseValidationError, match="list of Agent"):
        lenient.agents.list()
    with pytest.raises(PhosonResponseValidationError):
        client.agents.get("agt_2")  # the original stays strict
    with pytest.raises(TypeError, match="strict_response_validation must be True or False"):
        client.with_options(strict_response_validation="no")  # type: ignore[arg-type]
