"""`with_raw_response`: every call answers with its status, headers and a lazily parsed body."""

from __future__ import annotations

import inspect
from typing import Any, TypeAlias, assert_type, cast

import httpx
import pytest
import respx

from phoson import (
    Agent,
    AsyncPhosonClient,
    Conversation,
    Message,
    NotFoundError,
    PhosonModel,
    PhosonResponseValidationError,
    RawResponse,
)
from phoson.testing import LocalPhosonServer
from tests.payloads import AGENT, CONVERSATION, MESSAGE, assert_sent, json_response

RATE_LIMIT = {"x-ratelimit-remaining": "41", "idempotent-replayed": "true"}


def with_headers(response: httpx.Response, headers: dict[str, str]) -> httpx.Response:
    response.headers.update(headers)
    return response


async def test_every_call_of_every_resource_has_a_raw_twin(client: AsyncPhosonClient) -> None:
    """with_raw_response offers exactly each resource's calls (all but the lazy `stream` and
    `resume`), with the same parameters, and its signature and docstring say it answers with a
    `RawResponse` of the plain call's result."""
    for resource in ("agents", "conversations", "messages"):
        plain = getattr(client, resource)
        calls = {
            name
            for name, _ in inspect.getmembers(plain.__class__, inspect.isfunction)
            if not name.startswith("_")
        } - {"stream", "resume"}
        raw = plain.with_raw_response
        assert {name for name in dir(raw) if not name.startswith("_")} == calls, resource
        for name in calls:
            plain_signature = inspect.signature(getattr(plain, name))
            raw_signature = inspect.signature(getattr(raw, name))
            assert raw_signature.parameters == plain_signature.parameters, name
            # help() shows what the raw call returns, and says what it is.
            returns = plain_signature.return_annotation
            assert raw_signature.return_annotation == f"RawResponse[{returns}]", name
            assert f"RawResponse[{returns}]" in (getattr(raw, name).__doc__ or ""), name


AGENT_BODY = {"name": "n", "description": "d", "memory_type": "persistent"}
CONV_BODY = {"agent_id": "agt_1", "title": "New Conversation"}
MESSAGES = "/conversations/conv_1/messages"

#: The arguments of a call: positional, then keywords.
Arguments: TypeAlias = tuple[tuple[Any, ...], dict[str, Any]]


def given(*args: Any, **kwargs: Any) -> Arguments:
    return args, kwargs


#: Every call: (resource.method, arguments), (HTTP method, path, body sent), (status, body
#: received).
CALLS: list[tuple[str, Arguments, str, str, Any, int, Any]] = [
    ("agents.create", given(name="n", description="d"), "POST", "/agents", AGENT_BODY, 201, AGENT),
    ("agents.list", given(), "GET", "/agents", None, 200, [AGENT]),
    ("agents.get", given("agt_1"), "GET", "/agents/agt_1", None, 200, AGENT),
    (
        "agents.update",
        given("agt_1", name="n"),
        "PATCH",
        "/agents/agt_1",
        {"name": "n"},
        200,
        AGENT,
    ),
    ("agents.delete", given("agt_1"), "DELETE", "/agents/agt_1", None, 204, None),
    ("agents.attach_mcp", given("agt_1", "m"), "POST", "/agents/agt_1/mcps/m", None, 200, AGENT),
    ("agents.detach_mcp", given("agt_1", "m"), "DELETE", "/agents/agt_1/mcps/m", None, 200, AGENT),
    (
        "conversations.create",
        given("agt_1"),
        "POST",
        "/conversations",
        CONV_BODY,
        201,
        CONVERSATION,
    ),
    ("conversations.list", given(), "GET", "/conversations", None, 200, [CONVERSATION]),
    ("conversations.get", given("conv_1"), "GET", "/conversations/conv_1", None, 200, CONVERSATION),
    (
        "conversations.update",
        given("conv_1", title="t"),
        "PATCH",
        "/conversations/conv_1",
        {"title": "t"},
        200,
        CONVERSATION,
    ),
    ("conversations.delete", given("conv_1"), "DELETE", "/conversations/conv_1", None, 204, None),
    (
        "messages.send",
        given("conv_1", "hi"),
        "POST",
        MESSAGES,
        {"content": "hi", "stream": False},
        200,
        MESSAGE,
    ),
    ("messages.list", given("conv_1"), "GET", MESSAGES, None, 200, [MESSAGE]),
]
MODELS: dict[str, type[PhosonModel]] = {
    "agents": Agent,
    "conversations": Conversation,
    "messages": Message,
}


async def test_each_raw_call_sends_the_same_request_and_parses_to_the_plain_result(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """Each raw call sends the plain call's request; its status, headers, request id and
    `response` are the server's, and `parse()` gives what the plain call returns."""
    for call, (args, kwargs), method, path, sent, status, received in CALLS:
        resource, name = call.split(".")
        model = MODELS[resource]
        parsed: Any = (
            None
            if received is None
            else [model.model_validate(item) for item in cast("list[object]", received)]
            if isinstance(received, list)
            else model.model_validate(received)
        )
        answer = httpx.Response(status) if received is None else json_response(status, received)
        route = api.route(method=method, path=path).mock(
            return_value=with_headers(answer, RATE_LIMIT)
        )
        raw: RawResponse[Any] = await getattr(getattr(client, resource).with_raw_response, name)(
            *args, **kwargs
        )
        assert_sent(route.calls.last.request, method, path, sent)
        assert isinstance(raw, RawResponse)
        assert raw.status_code == status
        assert raw.headers["X-RateLimit-Remaining"] == "41"
        assert raw.headers["idempotent-replayed"] == "true"
        assert isinstance(raw.response, httpx.Response)
        assert raw.response.content == route.calls.last.response.content
        assert raw.response.request.url.path == path
        assert raw.request_id == ("req_123" if received is not None else None)
        assert raw.parse() == parsed
        assert raw.parse() is raw.parse()  # parsed once
        plain = await getattr(getattr(client, resource), name)(*args, **kwargs)
        assert plain == parsed
        assert repr(raw) == f"<RawResponse [{status}] {method} {path}>"


async def test_raw_calls_are_typed_with_the_plain_result(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """mypy sees RawResponse[Agent], RawResponse[list[Agent]] and RawResponse[None], and
    `parse()` returns the plain call's type; keyword options pass through."""
    api.get("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    api.get("/agents").mock(return_value=json_response(200, [AGENT]))
    delete = api.delete("/agents/agt_1").mock(return_value=httpx.Response(204))
    api.get("/conversations").mock(return_value=json_response(200, [CONVERSATION]))
    one = await client.agents.with_raw_response.get("agt_1", timeout=5)
    assert_type(one, RawResponse[Agent])
    assert_type(one.parse(), Agent)
    many = await client.agents.with_raw_response.list()
    assert_type(many, RawResponse[list[Agent]])
    assert_type(many.parse(), list[Agent])
    gone = await client.agents.with_raw_response.delete("agt_1", idempotency_key="key-1")
    assert_type(gone, RawResponse[None])
    assert gone.parse() is None
    assert delete.calls.last.request.headers["idempotency-key"] == "key-1"
    convs = await client.conversations.with_raw_response.list(agent_id="agt_1")
    assert_type(convs, RawResponse[list[Conversation]])


async def test_a_body_of_the_wrong_shape_fails_only_on_parse(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """A 200 whose body is not an Agent still gives its status and headers; `parse()` raises
    PhosonResponseValidationError naming the field."""
    api.get("/agents/agt_1").mock(return_value=json_response(200, {**AGENT, "name": None}))
    raw = await client.agents.with_raw_response.get("agt_1")
    assert raw.status_code == 200 and raw.request_id == "req_123"
    with pytest.raises(PhosonResponseValidationError, match="name"):
        raw.parse()


async def test_raw_calls_retry_and_raise_like_plain_calls(
    client: AsyncPhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A 503 is retried (the raw answer is the final 200), and a 404 raises NotFoundError."""
    route = api.get("/agents/agt_1").mock(
        side_effect=[json_response(503, {"detail": "busy"}), json_response(200, AGENT)]
    )
    raw = await client.agents.with_raw_response.get("agt_1")
    assert route.call_count == 2 and len(sleeps) == 1
    assert raw.status_code == 200 and raw.parse().id == "agt_1"
    api.get("/agents/missing").mock(return_value=json_response(404, {"detail": "Agent not found"}))
    with pytest.raises(NotFoundError, match="Agent not found"):
        await client.agents.with_raw_response.get("missing")


async def test_raw_response_shows_the_idempotent_replay_of_a_real_server(
    live_client: AsyncPhosonClient, server: LocalPhosonServer
) -> None:
    """Against the local server, a repeated Idempotency-Key is answered from its record, and
    the raw response is the way to see that (`Idempotent-Replayed`)."""
    first = await live_client.agents.with_raw_response.create(
        name="n", description="d", idempotency_key="same"
    )
    again = await live_client.agents.with_raw_response.create(
        name="n", description="d", idempotency_key="same"
    )
    assert first.status_code == again.status_code == 201
    assert first.parse().id == again.parse().id
    assert again.headers.get("idempotent-replayed") == "true"
    assert first.headers.get("idempotent-replayed") != "true"
