# DO NOT EDIT: generated from tests/_async/test_custom_calls.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""client.request/get/post/patch/delete and stream_sse: calls the SDK does not model yet."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, assert_type

import httpx
import pytest
import respx

from phoson import (
    Agent,
    Conversation,
    InvalidArgumentError,
    MessageStream,
    NotFoundError,
    PhosonClient,
    PhosonModel,
    PhosonResponseValidationError,
    RunDoneEvent,
    TokenEvent,
    request_id_of,
)
from phoson.testing import LocalPhosonServer
from tests.payloads import (
    AGENT,
    CONVERSATION,
    BreakingStream,
    assert_sent,
    event_stream_response,
    json_response,
    requests_of,
    sse,
)


class Usage(PhosonModel):
    """A model of an endpoint this SDK does not know."""

    tokens: int
    agent_id: str


def test_get_with_params_casts_to_a_model(client: PhosonClient, api: respx.MockRouter) -> None:
    """client.get sends a GET with the query and the SDK's headers, no idempotency key, and
    validates the body as the cast_to model, with its request id."""
    route = api.get("/usage").mock(
        return_value=json_response(200, {"tokens": 12, "agent_id": "agt_1"})
    )
    usage = client.get("/usage", params={"agent_id": "agt_1", "days": 7}, cast_to=Usage)
    assert_type(usage, Usage)
    assert_sent(route.calls.last.request, "GET", "/usage", query={"agent_id": "agt_1", "days": "7"})
    assert usage == Usage(tokens=12, agent_id="agt_1") and request_id_of(usage) == "req_123"


def test_post_sends_json_with_one_idempotency_key_across_retries(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """client.post sends the body as JSON with an Idempotency-Key, and its retry after a 503
    carries the same key."""
    route = api.post("/conversations").mock(
        side_effect=[json_response(503, {"detail": "busy"}), json_response(201, CONVERSATION)]
    )
    conv = client.post(
        "/conversations", body={"agent_id": "agt_1", "title": "t"}, cast_to=Conversation
    )
    assert_type(conv, Conversation)
    first, second = requests_of(route)
    assert_sent(second, "POST", "/conversations", {"agent_id": "agt_1", "title": "t"})
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert second.headers["x-phoson-retry-count"] == "1" and len(sleeps) == 1
    assert conv.id == "conv_1"


def test_request_casts_to_a_list_the_response_or_nothing(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """cast_to=list[Model] gives a list, cast_to=httpx.Response the answer itself (body read),
    and no cast_to gives None; each is typed so."""
    api.get("/agents").mock(return_value=json_response(200, [AGENT, {**AGENT, "id": "agt_2"}]))
    agents = client.request("GET", "/agents", cast_to=list[Agent])
    assert_type(agents, list[Agent])
    assert [a.id for a in agents] == ["agt_1", "agt_2"]
    response = client.get("/agents", cast_to=httpx.Response)
    assert_type(response, httpx.Response)
    assert response.status_code == 200 and response.json()[1]["id"] == "agt_2"
    patch = api.patch("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    nothing = client.patch("/agents/agt_1", body={"name": "x"})  # type: ignore[func-returns-value, unused-ignore]
    assert nothing is None
    assert_sent(patch.calls.last.request, "PATCH", "/agents/agt_1", {"name": "x"})
    delete = api.delete("/agents/agt_1").mock(return_value=httpx.Response(204))
    gone = client.delete("/agents/agt_1", idempotency_key="key-7")  # type: ignore[func-returns-value, unused-ignore]
    assert gone is None
    assert delete.calls.last.request.headers["idempotency-key"] == "key-7"


def test_per_call_options_apply_to_custom_calls(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """extra_headers, extra_query and a lowercase method work as on every other call."""
    route = api.put("/agents/agt_1/labels").mock(return_value=json_response(200, {"ok": True}))
    result = client.request(
        "put",
        "/agents/agt_1/labels",
        body={"labels": ["a"]},
        extra_headers={"X-Trace": "t1"},
        extra_query={"dry_run": "1"},
        cast_to=httpx.Response,
    )
    request = route.calls.last.request
    assert request.method == "PUT" and request.headers["x-trace"] == "t1"
    assert dict(request.url.params) == {"dry_run": "1"}
    assert json.loads(request.content) == {"labels": ["a"]}
    assert result.json() == {"ok": True}


def test_error_statuses_and_bad_bodies_raise_typed_errors(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A 404 raises NotFoundError with the server's detail; a body that is not the cast_to
    model raises PhosonResponseValidationError naming the field."""
    api.get("/usage").mock(return_value=json_response(404, {"detail": "No usage"}))
    with pytest.raises(NotFoundError, match="No usage"):
        client.get("/usage", cast_to=Usage)
    api.get("/usage2").mock(return_value=json_response(200, {"tokens": "many", "agent_id": "a"}))
    with pytest.raises(PhosonResponseValidationError, match="tokens"):
        client.get("/usage2", cast_to=Usage)


#: Arguments of client.request that are refused, the error, and the start of its reason: a
#: `TypeError` for a value of the wrong type (a checker's error too), `InvalidArgumentError`
#: for a value of the right type that cannot be used (README, "Errors").
BAD_ARGUMENTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"method": "GET", "path": "https://evil.test/x"}, InvalidArgumentError, "path must start"),
    ({"method": "GET", "path": "agents"}, InvalidArgumentError, "path must start with '/'"),
    ({"method": "GE T", "path": "/agents"}, InvalidArgumentError, "method must be an HTTP"),
    (
        {"method": "POST", "path": "/a", "body": {"w": object()}},
        InvalidArgumentError,
        "body cannot",
    ),
    ({"method": "POST", "path": "/a", "body": ["a"]}, TypeError, "body must be a mapping"),
    ({"method": "GET", "path": "/a", "params": "a=1"}, TypeError, "params must be a mapping"),
    ({"method": 7, "path": "/a"}, TypeError, "method must be a str"),
    ({"method": "GET", "path": b"/a"}, TypeError, "path must be a str"),
    ({"method": "GET", "path": "/a", "cast_to": dict}, TypeError, "cast_to must be"),
    ({"method": "GET", "path": "/a", "cast_to": list[int]}, TypeError, "cast_to must be"),
    ({"method": "GET", "path": "/a", "cast_to": tuple[Usage, ...]}, TypeError, "cast_to must be"),
    ({"method": "GET", "path": "/a", "cast_to": Sequence[Usage]}, TypeError, "cast_to must be"),
]


def test_bad_arguments_raise_before_anything_is_sent(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A full URL (the key would leave base_url), a bad method or a body that is not JSON
    raise InvalidArgumentError; an argument of the wrong type (a body or params that are no
    mapping, a cast_to such as tuple[...] or Sequence[...]) or a misspelt option a TypeError;
    no request goes out."""
    route = api.route().mock(return_value=httpx.Response(200))
    for arguments, error, message in BAD_ARGUMENTS:
        with pytest.raises(error, match=message):
            client.request(**arguments)
        if "cast_to" not in arguments:
            with pytest.raises(error, match=message):
                client.stream_sse(**arguments)
    with pytest.raises(
        TypeError,
        match=r"client\.get\(\) got an unexpected keyword argument 'timout'; did you mean 'timeout'",
    ):
        client.get("/agents", timout=1)  # type: ignore[call-overload]
    assert not route.called


def test_stream_sse_streams_typed_events_and_resumes(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """stream_sse sends the body with Accept: text/event-stream, yields typed events, and
    after a dropped connection resumes with Last-Event-ID and the same idempotency key."""
    events = [
        ("token", {"content": "Hel"}),
        ("token", {"content": "lo"}),
        ("run_done", {"content": "Hello", "run_id": "run_9"}),
    ]
    body = sse(events)
    cut = body.index(b"event: run_done")
    broken = BreakingStream([body[:cut]], httpx.ReadError("connection reset"))
    route = api.post("/runs/run_9/replay").mock(
        side_effect=[event_stream_response(broken), event_stream_response(body[cut:])]
    )
    stream = client.stream_sse("POST", "/runs/run_9/replay", body={"speed": 2})
    assert_type(stream, MessageStream)
    assert not route.called
    received = [event for event in stream]
    assert received == [
        TokenEvent(content="Hel"),
        TokenEvent(content="lo"),
        RunDoneEvent(content="Hello", run_id="run_9"),
    ]
    first, second = requests_of(route)
    assert_sent(first, "POST", "/runs/run_9/replay", {"speed": 2}, accept="text/event-stream")
    assert second.headers["last-event-id"] == "run_1:2"
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]


def test_custom_calls_against_a_real_server(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """Against the local server: post creates an agent, get reads it back as a model, and
    stream_sse over the messages endpoint gives the same reply as messages.stream."""
    created = live_client.post(
        "/agents", body={"name": "n", "description": "d", "memory_type": "semantic"}, cast_to=Agent
    )
    fetched = live_client.get(f"/agents/{created.id}", cast_to=Agent)
    assert fetched == created and fetched.memory_type == "semantic"
    conv = live_client.post("/conversations", body={"agent_id": created.id}, cast_to=Conversation)
    stream = live_client.stream_sse(
        "POST", f"/conversations/{conv.id}/messages", body={"content": "Hi", "stream": True}
    )
    done = stream.until_done()
    assert done.content.startswith("You said: Hi.")
