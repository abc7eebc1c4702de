"""The wire contract module (phoson._wire): calls, path encoding and body parsing."""

from __future__ import annotations

import inspect
import json

import httpx
import pytest

from phoson import (
    Agent,
    Message,
    MessageStream,
    PhosonClient,
    PhosonModel,
    PhosonResponseValidationError,
    request_id_of,
)
from phoson import _wire as wire
from phoson._resume_token import ResumePoint, encode_resume_token
from phoson._sync._requester import Requester
from tests.payloads import AGENT, MESSAGE


def test_every_call_matches_the_contract_table() -> None:
    """Each builder gives the method, path, body and Accept of docs/wire-contract.md."""
    calls = {
        "agents.create": wire.agents_create("n", "d", "persistent"),
        "agents.list": wire.agents_list(),
        "agents.get": wire.agents_get("a"),
        "agents.update": wire.agents_update("a", "n", None, None),
        "agents.delete": wire.agents_delete("a"),
        "agents.attach_mcp": wire.agents_attach_mcp("a", "m"),
        "agents.detach_mcp": wire.agents_detach_mcp("a", "m"),
        "conversations.create": wire.conversations_create("a", "t", None),
        "conversations.list": wire.conversations_list("a"),
        "conversations.get": wire.conversations_get("c"),
        "conversations.update": wire.conversations_update("c", "t"),
        "conversations.delete": wire.conversations_delete("c"),
        "messages.list": wire.messages_list("c"),
    }
    summary = {name: (c.method, c.path, c.body, c.params) for name, c in calls.items()}
    assert summary == {
        "agents.create": (
            "POST",
            "/agents",
            {"name": "n", "description": "d", "memory_type": "persistent"},
            None,
        ),
        "agents.list": ("GET", "/agents", None, None),
        "agents.get": ("GET", "/agents/a", None, None),
        "agents.update": ("PATCH", "/agents/a", {"name": "n"}, None),
        "agents.delete": ("DELETE", "/agents/a", None, None),
        "agents.attach_mcp": ("POST", "/agents/a/mcps/m", None, None),
        "agents.detach_mcp": ("DELETE", "/agents/a/mcps/m", None, None),
        "conversations.create": ("POST", "/conversations", {"agent_id": "a", "title": "t"}, None),
        "conversations.list": ("GET", "/conversations", None, {"agent_id": "a"}),
        "conversations.get": ("GET", "/conversations/c", None, None),
        "conversations.update": ("PATCH", "/conversations/c", {"title": "t"}, None),
        "conversations.delete": ("DELETE", "/conversations/c", None, None),
        "messages.list": ("GET", "/conversations/c/messages", None, None),
    }
    assert all(c.accept == "application/json" for c in calls.values())
    stream = wire.messages_send(
        "c",
        "hi",
        stream=True,
        model=None,
        provider="openai",
        temperature=None,
        max_tokens=None,
        reasoning_effort=None,
    )
    assert (stream.method, stream.path, stream.accept) == (
        "POST",
        "/conversations/c/messages",
        "text/event-stream",
    )
    assert stream.body == {"content": "hi", "stream": True, "provider": "openai"}


class _Sent(Exception):
    """Stops a call at the requester, carrying the `Call` it was about to send."""

    def __init__(self, call: wire.Call) -> None:
        self.call = call


def test_every_client_method_names_its_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each public resource method sends a Call whose operation is "{resource}.{method}"."""

    def capture(self: Requester, call: wire.Call, *args: object, **kwargs: object) -> None:
        raise _Sent(call)

    monkeypatch.setattr(Requester, "send", capture)
    client = PhosonClient(api_key="k", base_url="http://phoson.localhost")
    seen: dict[str, str] = {}
    for resource in ("agents", "conversations", "messages"):
        manager = getattr(client, resource)
        for name in dir(manager):
            if name.startswith("_") or name == "with_raw_response":
                continue  # with_raw_response: the same calls (tests/_async/test_raw_responses.py)
            method = getattr(manager, name)
            required = [
                p
                for p in inspect.signature(method).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            positional: list[str | None] = [
                "x" for p in required if p.kind is p.POSITIONAL_OR_KEYWORD
            ]
            keywords = {p.name: "x" for p in required if p.kind is p.KEYWORD_ONLY}
            if name == "resume":  # a token: any request's will do
                positional = [encode_resume_token(ResumePoint("POST", "/x", None, "key"))]
            with pytest.raises(_Sent) as sent:
                result = method(*positional, **keywords)
                if isinstance(result, MessageStream):
                    next(iter(result))
            seen[f"{resource}.{name}"] = sent.value.call.operation
    assert seen == {name: name for name in seen}
    assert len(seen) == 16


@pytest.mark.parametrize(
    ("raw", "segment"),
    [
        ("agt_1", "agt_1"),
        ("a/b", "a%2Fb"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a.b", "a.b"),
        ("?#%", "%3F%23%25"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        (" x ", "%20x%20"),
    ],
)
def test_path_segment_escapes_everything_reserved(raw: str, segment: str) -> None:
    """Only unreserved characters survive; dot segments are escaped too."""
    assert wire.path_segment(raw, "id") == segment


def test_path_segment_refuses_non_strings() -> None:
    """A non-str id is a TypeError naming the parameter."""
    with pytest.raises(TypeError, match="agent_id must be a str, not int"):
        wire.path_segment(5, "agent_id")  # type: ignore[arg-type]


def _response(body: bytes, status: int = 200) -> httpx.Response:
    request = httpx.Request("GET", "https://api.phoson.test/agents/a")
    return httpx.Response(status, content=body, request=request, headers={"x-request-id": "r1"})


def test_parse_model_records_request_id_outside_the_dump() -> None:
    """The request id is on the model but not in model_dump() or equality."""
    import json

    agent = wire.parse_model(_response(json.dumps(AGENT).encode()), Agent)
    assert request_id_of(agent) == "r1"
    assert "request_id" not in agent.model_dump()
    assert agent == Agent.model_validate(AGENT)


def test_a_request_id_field_is_never_hidden_by_the_responses_id() -> None:
    """A body field named `request_id` (sent by a newer server, or declared by your own model)
    is what `model.request_id` reads, with no warning; the response's `x-request-id` is
    `request_id_of(model)`. Without such a field `model.request_id` still answers the
    response's id, with a DeprecationWarning naming its replacement."""
    import json
    import warnings

    class Ticket(PhosonModel):
        # The API's own field: no shadowing warning from pydantic either. (pyright objects to a
        # field over the deprecated property until it goes in 0.3; mypy does not.)
        request_id: str  # pyright: ignore[reportIncompatibleMethodOverride]

    body = json.dumps({"request_id": "from-the-body"}).encode()
    ticket = wire.parse_model(_response(body), Ticket)
    message = wire.parse_model(
        _response(json.dumps({**MESSAGE, **{"request_id": "extra"}}).encode()), Message
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ticket.request_id == "from-the-body" and request_id_of(ticket) == "r1"
        assert message.request_id == "extra" and request_id_of(message) == "r1"  # type: ignore[deprecated]
    agent = wire.parse_model(_response(json.dumps(AGENT).encode()), Agent)
    with pytest.warns(DeprecationWarning, match=r"request_id_of\(model\)"):
        assert agent.request_id == "r1"  # type: ignore[deprecated]


def test_parse_model_list_rejects_a_non_list() -> None:
    """A dict where a list belongs raises PhosonResponseValidationError."""
    with pytest.raises(PhosonResponseValidationError, match="not a list of Agent"):
        wire.parse_model_list(_response(b"{}"), Agent)


def test_validation_error_excerpt_is_short_and_one_line() -> None:
    """A huge bad body is quoted in a short, single-line excerpt."""
    with pytest.raises(PhosonResponseValidationError) as caught:
        wire.parse_model(_response(b"<html>\n" + b"x" * 100_000), Agent)
    assert len(caught.value.body_excerpt) <= 200
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_body_with_nan_or_infinity_is_not_json(number: str) -> None:
    """A 2xx body of the right shape holding NaN or Infinity (which pydantic's parser reads as
    floats) is a PhosonResponseValidationError saying why, for one model and for a list."""
    extra = json.dumps({**AGENT, "score": "__N__"}).replace('"__N__"', number).encode()
    request = httpx.Request("GET", "https://api.test/agents/agt_1")
    one = httpx.Response(200, content=extra, request=request)
    with pytest.raises(PhosonResponseValidationError, match="NaN and Infinity are not JSON"):
        wire.parse_model(one, Agent)
    many = httpx.Response(200, content=b"[" + extra + b"]", request=request)
    with pytest.raises(PhosonResponseValidationError, match="NaN and Infinity are not JSON"):
        wire.parse_model_list(many, Agent)
    fine = json.dumps({**AGENT, "note": f"{number} is a word here"}).encode()
    assert wire.parse_model(httpx.Response(200, content=fine, request=request), Agent).id
