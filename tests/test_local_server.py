"""phoson.testing.LocalPhosonServer over real sockets, spoken to with plain httpx (not the SDK):
every endpoint, the error shapes, streams, idempotency, resuming and each injected fault."""

# White-box test: drives the test server's I/O-free app directly.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson.testing import LocalPhosonServer, reply_text
from phoson.testing._app import Response, StreamPlan
from phoson.testing._exchange import admit, answer

KEY = "pk_test_local"
AUTH = {"Authorization": f"Bearer {KEY}"}
AGENT_KEYS = {"id", "name", "description", "memory_type", "mcp_ids", "created_at", "updated_at"}
CONVERSATION_KEYS = {"id", "agent_id", "title", "thread_id", "created_at", "updated_at"}
MESSAGE_KEYS = {"id", "conversation_id", "role", "content", "run_id", "created_at"}


# One server for the property test, spoken to without sockets: an agent "A" and a conversation.
PROPERTY_SERVER = LocalPhosonServer(api_key="pk_test")
with httpx.Client(transport=PROPERTY_SERVER.transport(), base_url="http://l") as _http:
    _http.headers["authorization"] = "Bearer pk_test"
    PROPERTY_CONVERSATION = _http.post(
        "/conversations",
        json={
            "agent_id": _http.post("/agents", json={"name": "n", "description": "d"}).json()["id"]
        },
    ).json()["id"]

# -- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalPhosonServer]:
    with LocalPhosonServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def server(shared_server: LocalPhosonServer) -> LocalPhosonServer:
    shared_server.reset()
    shared_server.api_key = KEY
    shared_server.event_delay = 0.0
    shared_server.ping_interval = None
    return shared_server


@pytest.fixture
def client(server: LocalPhosonServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
        yield http


def new_agent(client: httpx.Client, name: str = "Agent", **fields: Any) -> dict[str, Any]:
    response = client.post("/agents", json={"name": name, "description": "d", **fields})
    assert response.status_code == 201, response.text
    agent: dict[str, Any] = response.json()
    return agent


def new_conversation(client: httpx.Client, *mcp_ids: str) -> str:
    agent = new_agent(client)
    for mcp_id in mcp_ids:
        assert client.post(f"/agents/{agent['id']}/mcps/{mcp_id}").status_code == 200
    response = client.post("/conversations", json={"agent_id": agent["id"]})
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id


Frame = tuple[str, Any]  # ("retry", "100"), ("comment", "ping") or ("event", {...})


def parse_sse(text: str) -> list[Frame]:
    """The stream's blocks in order; events as {"event", "data" (parsed JSON), "id"}."""
    frames: list[Frame] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                frames.append(("comment", line[1:].strip()))
            elif line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        if "retry" in fields:
            frames.append(("retry", fields.pop("retry")))
        if fields:
            frames.append(("event", {**fields, "data": json.loads(fields["data"])}))
    return frames


def events_of(frames: list[Frame]) -> list[dict[str, Any]]:
    return [payload for kind, payload in frames if kind == "event"]


def stream_raw(
    client: httpx.Client, conversation_id: str, content: str = "hello there", **extra: Any
) -> httpx.Response:
    headers = {"Accept": "text/event-stream", **extra.pop("headers", {})}
    body = {"content": content, "stream": True, **extra}
    return client.post(f"/conversations/{conversation_id}/messages", json=body, headers=headers)


def stream(
    client: httpx.Client, conversation_id: str, content: str = "hello there", **extra: Any
) -> list[Frame]:
    response = stream_raw(client, conversation_id, content, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    return parse_sse(response.text)


def open_stream(
    client: httpx.Client, conversation_id: str, content: str = "x"
) -> AbstractContextManager[httpx.Response]:
    body = {"content": content, "stream": True}
    return client.stream("POST", f"/conversations/{conversation_id}/messages", json=body)


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


def raw_exchange(server: LocalPhosonServer, data: bytes) -> bytes:
    """Send bytes on a fresh socket and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# -- auth, shapes, routing ------------------------------------------------------------------


def test_missing_or_wrong_key_is_401(server: LocalPhosonServer) -> None:
    """A missing, non-Bearer or wrong key gets 401 with FastAPI's detail and a challenge."""
    with httpx.Client(base_url=server.url) as anonymous:
        cases = {
            "Not authenticated": [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}],
            "Invalid API key": [{"Authorization": "Bearer pk_wrong"}],
        }
        for detail, header_sets in cases.items():
            for headers in header_sets:
                response = anonymous.get("/agents", headers=headers)
                assert response.status_code == 401
                assert response.json() == {"detail": detail}
                assert response.headers["www-authenticate"] == "Bearer"
        server.api_key = "pk_rotated"
        assert anonymous.get("/agents", headers={"Authorization": "Bearer pk_rotated"}).json() == []


def test_agent_endpoints(client: httpx.Client) -> None:
    """Agents are created (201, defaults), listed, fetched, patched field by field, get MCPs
    attached and detached, and deleted (204, no body)."""
    agent = new_agent(client, "Helper")
    assert set(agent) == AGENT_KEYS and agent["id"].startswith("agt_")
    assert (agent["memory_type"], agent["mcp_ids"]) == ("persistent", [])
    assert datetime.fromisoformat(agent["created_at"]).utcoffset() is not None
    semantic = new_agent(client, "Other", memory_type="semantic")
    assert semantic["memory_type"] == "semantic"
    listed = client.get("/agents")
    assert listed.status_code == 200 and [a["id"] for a in listed.json()] == [
        agent["id"],
        semantic["id"],
    ]
    assert client.get(f"/agents/{agent['id']}").json() == agent

    patched = client.patch(f"/agents/{agent['id']}", json={"description": "new"}).json()
    assert (patched["name"], patched["description"]) == ("Helper", "new")
    assert (
        patched["updated_at"] > agent["updated_at"] and patched["created_at"] == agent["created_at"]
    )
    attach = client.post(f"/agents/{agent['id']}/mcps/mcp_weather")
    assert attach.status_code == 200 and attach.json()["mcp_ids"] == ["mcp_weather"]
    assert client.post(f"/agents/{agent['id']}/mcps/mcp_weather").json()["mcp_ids"] == [
        "mcp_weather"
    ]
    assert client.post(f"/agents/{agent['id']}/mcps/mcp_web").json()["mcp_ids"] == [
        "mcp_weather",
        "mcp_web",
    ]
    detach = client.delete(f"/agents/{agent['id']}/mcps/mcp_weather")
    assert detach.status_code == 200 and detach.json()["mcp_ids"] == ["mcp_web"]

    deleted = client.delete(f"/agents/{agent['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert "content-type" not in deleted.headers and deleted.headers["x-request-id"]
    for call in (client.get, client.delete):
        missing = call(f"/agents/{agent['id']}")
        assert missing.status_code == 404 and missing.json() == {"detail": "Agent not found"}
    assert client.post("/agents/agt_nope/mcps/m").json() == {"detail": "Agent not found"}


def test_conversation_endpoints(client: httpx.Client) -> None:
    """Conversations are created (default title, optional thread_id), filtered by agent,
    fetched, renamed and deleted; an unknown agent or conversation is a 404."""
    first, second = new_agent(client)["id"], new_agent(client)["id"]
    created = client.post("/conversations", json={"agent_id": first})
    conv = created.json()
    assert created.status_code == 201 and set(conv) == CONVERSATION_KEYS
    assert conv["id"].startswith("conv_")
    assert (conv["agent_id"], conv["title"], conv["thread_id"]) == (first, "New Conversation", None)
    other = client.post(
        "/conversations", json={"agent_id": second, "title": "T", "thread_id": "t-1"}
    )
    assert (other.json()["title"], other.json()["thread_id"]) == ("T", "t-1")
    unknown = client.post("/conversations", json={"agent_id": "agt_nope"})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Agent not found"}

    assert len(client.get("/conversations").json()) == 2
    assert [c["id"] for c in client.get("/conversations", params={"agent_id": first}).json()] == [
        conv["id"]
    ]
    assert client.get("/conversations", params={"agent_id": "agt_nope"}).json() == []
    renamed = client.patch(f"/conversations/{conv['id']}", json={"title": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"
    assert client.get(f"/conversations/{conv['id']}").json()["title"] == "Renamed"
    assert client.delete(f"/conversations/{conv['id']}").status_code == 204
    gone = client.get(f"/conversations/{conv['id']}")
    assert gone.status_code == 404 and gone.json() == {"detail": "Conversation not found"}


def test_deleting_an_agent_deletes_its_conversations(client: httpx.Client) -> None:
    """An agent's conversations and their messages go with it; other agents' stay."""
    doomed, kept = new_agent(client)["id"], new_agent(client)["id"]
    doomed_conv = client.post("/conversations", json={"agent_id": doomed}).json()["id"]
    kept_conv = client.post("/conversations", json={"agent_id": kept}).json()["id"]
    client.post(f"/conversations/{doomed_conv}/messages", json={"content": "hi"})
    assert client.delete(f"/agents/{doomed}").status_code == 204
    assert [c["id"] for c in client.get("/conversations").json()] == [kept_conv]
    assert client.get(f"/conversations/{doomed_conv}/messages").status_code == 404


def test_send_and_list_messages(client: httpx.Client) -> None:
    """send answers 200 with the assistant's deterministic reply; list shows user then
    assistant, in order, the user's run_id null."""
    conv = new_conversation(client)
    sent = client.post(f"/conversations/{conv}/messages", json={"content": "Hi!", "model": "m"})
    reply = sent.json()
    assert sent.status_code == 200 and set(reply) == MESSAGE_KEYS
    assert reply["role"] == "assistant" and reply["content"] == reply_text("Hi!")
    assert reply["id"].startswith("msg_") and reply["run_id"].startswith("run_")
    client.post(f"/conversations/{conv}/messages", json={"content": "Again"})
    history = client.get(f"/conversations/{conv}/messages").json()
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", "Hi!"),
        ("assistant", reply_text("Hi!")),
        ("user", "Again"),
        ("assistant", reply_text("Again")),
    ]
    assert history[0]["run_id"] is None and history[1] == reply
    assert [m["created_at"] for m in history] == sorted(m["created_at"] for m in history)
    missing = client.post("/conversations/conv_nope/messages", json={"content": "x"})
    assert missing.status_code == 404 and missing.json() == {"detail": "Conversation not found"}
    assert client.get("/conversations/conv_nope/messages").status_code == 404


@pytest.mark.parametrize(
    ("content", "reply"),
    [
        ("Hello", "You said: Hello. This"),
        ("Hello, how are you?", "You said: Hello, how are you? This"),
        ("Stop!", "You said: Stop! This"),
        ("All done.", "You said: All done. This"),
        ("Wait for it…", "You said: Wait for it… This"),
        ("Trailing space \n", "You said: Trailing space. This"),
    ],
)
def test_the_default_reply_reads_as_a_sentence(
    client: httpx.Client, content: str, reply: str
) -> None:
    """The model's reply quotes the message as one sentence: a full stop is added only when
    the message does not end a sentence already (never "you?.")."""
    conv = new_conversation(client)
    sent = client.post(f"/conversations/{conv}/messages", json={"content": content}).json()
    assert sent["content"] == reply + " is a deterministic reply from the local Phoson server."
    assert sent["content"] == reply_text(content)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/agents", None),
        ("POST", "/agents", {"name": "n", "description": "d"}),
        ("GET", "/agents/agt_missing", None),
        ("POST", "/agents", {"name": 5}),
        ("GET", "/nowhere", None),
        ("PUT", "/agents", None),
    ],
)
def test_every_response_has_a_request_id_and_json(
    client: httpx.Client, method: str, path: str, body: Any
) -> None:
    """Successes and errors alike carry x-request-id (req_<hex>) and a JSON content type."""
    response = client.request(method, path, json=body)
    assert re.fullmatch(r"req_[0-9a-f]+", response.headers["x-request-id"])
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    response.json()


def test_unknown_path_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    """Unknown routes get FastAPI's 404 before auth; a known route with the wrong method (any
    method, TRACE and made-up ones too) gets 405 with an Allow header."""
    for path in ("/", "/agent", "/agents/a/b", "/agents/", "/conversations/c/messages/m"):
        response = httpx.get(f"{client.base_url}{path}")
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), path
    wrong = client.put("/agents/agt_1")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert client.delete("/conversations").status_code == 405
    assert client.patch("/agents/agt_1/mcps/m").status_code == 405
    for method in ("TRACE", "CONNECT", "BREW"):  # not only the methods the API knows
        other = client.request(method, "/agents")
        assert (other.status_code, other.headers["allow"]) == (405, "GET, POST"), method
        assert client.request(method, "/nowhere").status_code == 404


def test_percent_encoded_ids_are_one_segment(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """Each segment is decoded after splitting: an encoded "/" stays inside its id and can
    never reach another route."""
    agent = new_agent(client)
    encoded = "%61" + agent["id"][1:]  # "a" escaped
    assert client.get(f"/agents/{encoded}").json()["id"] == agent["id"]
    assert client.get("/agents/a%2Fb").json() == {"detail": "Agent not found"}
    sneaky = client.post(f"/agents/{agent['id']}%2Fmcps%2Fm")
    assert (sneaky.status_code, sneaky.json()) == (405, {"detail": "Method Not Allowed"})
    assert client.get("/conversations/c%2Fmessages").json() == {"detail": "Conversation not found"}
    odd = client.post(f"/agents/{agent['id']}/mcps/mcp%2Fweather%20%3F%23%25%C3%A9")
    assert odd.json()["mcp_ids"] == ["mcp/weather ?#%é"]
    assert server.stats.requests[-1].path.endswith("/mcps/mcp%2Fweather%20%3F%23%25%C3%A9")


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/agents", {"description": "d"}, [("missing", ["body", "name"], "Field required")]),
        (
            "/agents",
            {"name": "n", "description": "d", "memory_type": "episodic"},
            [
                (
                    "literal_error",
                    ["body", "memory_type"],
                    "Input should be 'persistent' or 'semantic'",
                )
            ],
        ),
        (
            "/agents",
            {"name": 1, "description": None},
            [
                ("string_type", ["body", "name"], "Input should be a valid string"),
                ("string_type", ["body", "description"], "Input should be a valid string"),
            ],
        ),
        ("/conversations", {"title": "x"}, [("missing", ["body", "agent_id"], "Field required")]),
        (
            "/conversations",
            {"agent_id": 7},
            [("string_type", ["body", "agent_id"], "Input should be a valid string")],
        ),
        ("MSG", {"stream": False}, [("missing", ["body", "content"], "Field required")]),
        (
            "MSG",
            {"content": "x", "provider": "azure", "reasoning_effort": "max"},
            [
                (
                    "literal_error",
                    ["body", "provider"],
                    "Input should be 'anthropic', 'openai' or 'openrouter'",
                ),
                (
                    "literal_error",
                    ["body", "reasoning_effort"],
                    "Input should be 'low', 'medium' or 'high'",
                ),
            ],
        ),
        (
            "MSG",
            {"content": "x", "stream": "maybe", "temperature": "hot", "max_tokens": 1.5},
            [
                (
                    "bool_parsing",
                    ["body", "stream"],
                    "Input should be a valid boolean, unable to interpret input",
                ),
                (
                    "float_parsing",
                    ["body", "temperature"],
                    "Input should be a valid number, unable to parse string as a number",
                ),
                (
                    "int_from_float",
                    ["body", "max_tokens"],
                    "Input should be a valid integer, got a number with a fractional part",
                ),
            ],
        ),
        (
            "MSG",
            {"content": ["x"], "model": 3, "max_tokens": "many"},
            [
                ("string_type", ["body", "content"], "Input should be a valid string"),
                ("string_type", ["body", "model"], "Input should be a valid string"),
                (
                    "int_parsing",
                    ["body", "max_tokens"],
                    "Input should be a valid integer, unable to parse string as an integer",
                ),
            ],
        ),
        (
            "/agents",
            ["not", "an", "object"],
            [
                (
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract fields from",
                )
            ],
        ),
    ],
)
def test_invalid_bodies_are_422_with_fastapi_errors(
    client: httpx.Client, path: str, body: Any, expected: list[tuple[str, list[Any], str]]
) -> None:
    """Each invalid field is one FastAPI/pydantic error (type, loc, msg, input) in field order."""
    if path == "MSG":
        path = f"/conversations/{new_conversation(client)}/messages"
    response = client.post(path, json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [(e["type"], e["loc"], e["msg"]) for e in detail] == expected
    for error in detail:
        assert set(error) <= {"type", "loc", "msg", "input", "ctx"}
        if error["type"] == "missing":
            assert error["input"] == body
        elif error["loc"] != ["body"]:
            assert error["input"] == body[error["loc"][1]]
        if error["type"] == "literal_error":
            assert error["ctx"]["expected"] in error["msg"]


def test_numbers_too_long_for_python_are_422_not_a_dropped_connection(
    client: httpx.Client,
) -> None:
    """A numeric string of 5,000 digits for an integer field is a 422 naming the field (it
    used to crash the handler and drop the connection), and the connection serves on."""
    conv = new_conversation(client)
    body = {"content": "x", "stream": True, "max_tokens": "1" * 5000}
    response = client.post(f"/conversations/{conv}/messages", json=body)
    assert response.status_code == 422
    assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [
        ("int_parsing_size", ["body", "max_tokens"])
    ]
    huge = b'{"content": "x", "max_tokens": ' + b"1" * 5000 + b"}"
    response = client.post(f"/conversations/{conv}/messages", content=huge)
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    assert client.get("/agents").status_code == 200


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["1" * 5000, "9" * 4301 + ".5", "-0", " 7 ", "true", "yes", "low"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [
    *("name", "description", "memory_type", "agent_id", "title", "thread_id", "content"),
    *("stream", "model", "provider", "temperature", "max_tokens", "reasoning_effort"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(["/agents", "/agents/A", "/conversations", "/conversations/C", "MSG"]),
    body=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6) | JSON_VALUES,
)
def test_any_json_body_gets_a_json_answer_below_500(target: str, body: Any) -> None:
    """Whatever JSON a client sends to an endpoint with a body (any fields, any values, huge
    numbers and numeric strings included), the answer is a 2xx, 404 or FastAPI-shaped 422,
    never a 500 or an exception in the server."""
    app = PROPERTY_SERVER._app
    headers = {"authorization": "Bearer pk_test", "content-type": "application/json"}
    if target == "MSG":
        target = f"/conversations/{PROPERTY_CONVERSATION}/messages"
    method = "PATCH" if target in ("/agents/A", "/conversations/C") else "POST"
    raw = json.dumps(body).encode()
    result = answer(app, admit(app, method, target, headers, raw))
    if isinstance(result, StreamPlan):
        return
    assert isinstance(result, Response) and result.body is not None
    assert result.status in (200, 201, 404, 422), result.body
    detail = json.loads(result.body)
    if result.status == 422:
        assert all(set(e) >= {"type", "loc", "msg", "input"} for e in detail["detail"])


def test_unparseable_bodies(client: httpx.Client) -> None:
    """Bad JSON is json_invalid (422), no body is a missing body (422), bytes that are not
    UTF-8 are 400, and a non-JSON content type is not parsed (422)."""
    bad = client.post("/agents", content=b'{"name": ', headers={"content-type": "application/json"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0] == {
        "type": "json_invalid",
        "loc": ["body", 9],
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": "Expecting value"},
    }
    empty = client.post("/agents")
    assert empty.status_code == 422
    assert empty.json()["detail"] == [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
    ]
    binary = client.post("/agents", content=b"\xff\xfe\x00garbage\x9c")
    assert (binary.status_code, binary.json()) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    text = client.post("/agents", content=b'{"name": "n"}', headers={"content-type": "text/plain"})
    assert text.json()["detail"][0]["type"] == "model_attributes_type"


def test_lax_values_are_coerced_like_pydantic(client: httpx.Client) -> None:
    """Pydantic's lax mode is followed: "true" is a bool, 5.0 an int, "0.5" a float, null
    an omitted optional option."""
    conv = new_conversation(client)
    body = {
        "content": "x",
        "stream": "false",
        "max_tokens": 5.0,
        "temperature": "0.5",
        "model": None,
    }
    response = client.post(f"/conversations/{conv}/messages", json=body)
    assert response.status_code == 200 and response.json()["role"] == "assistant"


# -- streams --------------------------------------------------------------------------------


def test_plain_stream(client: httpx.Client) -> None:
    """A stream starts with retry and a ping, sends the reply word by word as tokens with
    ids <run>:1..n, and ends with run_done; the history gets both messages."""
    conv = new_conversation(client)
    frames = stream(client, conv, "how are you")
    assert frames[:2] == [("retry", "100"), ("comment", "ping")]
    events = events_of(frames)
    assert [e["event"] for e in events] == ["token"] * (len(events) - 1) + ["run_done"]
    done = events[-1]["data"]
    run_id = done["run_id"]
    assert done == {"type": "run_done", "content": reply_text("how are you"), "run_id": run_id}
    assert [e["id"] for e in events] == [f"{run_id}:{n}" for n in range(1, len(events) + 1)]
    tokens = [e["data"]["content"] for e in events[:-1]]
    assert "".join(tokens) == done["content"] and len(tokens) == len(done["content"].split())
    assert all(e["data"]["type"] == e["event"] for e in events)
    history = client.get(f"/conversations/{conv}/messages").json()
    assert [(m["role"], m["run_id"]) for m in history] == [("user", None), ("assistant", run_id)]


def test_stream_with_reasoning_and_mcps(client: httpx.Client) -> None:
    """reasoning_effort adds one reasoning event first; each attached MCP adds a tool_start /
    tool_end pair sharing a tool_call_id, before the tokens."""
    conv = new_conversation(client, "mcp_a", "mcp_b")
    events = events_of(stream(client, conv, "weather?", reasoning_effort="high"))
    assert [e["event"] for e in events[:5]] == [
        "reasoning",
        "tool_start",
        "tool_end",
        "tool_start",
        "tool_end",
    ]
    assert events[0]["data"]["content"]
    for start, end, mcp in ((events[1], events[2], "mcp_a"), (events[3], events[4], "mcp_b")):
        assert start["data"]["tool"] == end["data"]["tool"] == f"{mcp}.lookup"
        assert start["data"]["input"] == {"query": "weather?"}
        assert start["data"]["tool_call_id"] == end["data"]["tool_call_id"]
        assert start["data"]["tool_call_id"].startswith("call_")
        assert isinstance(end["data"]["result"], str)
    assert {e["event"] for e in events[5:-1]} == {"token"} and events[-1]["event"] == "run_done"


def test_scripted_error_run(client: httpx.Client, server: LocalPhosonServer) -> None:
    """A run scripted with error= streams its normal events but ends with an error event;
    send answers such a run 502 with the message and `"code": "run_failed"`, and says it must
    not be retried (`x-should-retry: false`); no assistant message is stored."""
    conv = new_conversation(client)
    server.script_next_run(conv, error="model overloaded")
    events = events_of(stream(client, conv, "hi"))
    assert [e["event"] for e in events[-2:]] == ["token", "error"]
    assert events[-1]["data"] == {"type": "error", "message": "model overloaded"}
    assert "run_done" not in [e["event"] for e in events]
    server.script_next_run(conv, error="provider down")
    key = {"Idempotency-Key": "failed-send"}
    for _ in range(2):  # a retry with the same key gets the same failure, not a new run
        sent = client.post(f"/conversations/{conv}/messages", json={"content": "hi"}, headers=key)
        failed = {"detail": "provider down", "code": "run_failed"}
        assert (sent.status_code, sent.json()) == (502, failed)
        assert sent.headers["x-should-retry"] == "false"
    assert server.stats.runs_created == 2
    assert [m["role"] for m in client.get(f"/conversations/{conv}/messages").json()] == [
        "user",
        "user",
    ]
    with pytest.raises(KeyError):
        server.script_next_run("conv_nope", error="x")


def test_scripted_events_and_raw_bytes(client: httpx.Client, server: LocalPhosonServer) -> None:
    """Scripted events are sent exactly (unknown types included); raw= is the exact body;
    send returns a scripted run_done's content."""
    conv = new_conversation(client)
    script: list[tuple[str, dict[str, Any]]] = [
        ("usage", {"tokens": 3}),
        ("token", {"content": "a"}),
        ("run_done", {"content": "a", "run_id": "r"}),
    ]
    server.script_next_run(conv, events=script)
    events = events_of(stream(client, conv))
    assert [(e["event"], e["data"]) for e in events] == [
        ("usage", {"type": "usage", "tokens": 3}),
        ("token", {"type": "token", "content": "a"}),
        ("run_done", {"type": "run_done", "content": "a", "run_id": "r"}),
    ]
    raw = b'data: {"type": "token", "content": "x"}\r\n\r\n: hi\r\n'
    server.script_next_run(conv, raw=raw)
    assert stream_raw(client, conv).content == raw
    server.script_next_run(
        conv, events=[("token", {"content": "z"}), ("run_done", {"content": "z", "run_id": "r"})]
    )
    assert (
        client.post(f"/conversations/{conv}/messages", json={"content": "q"}).json()["content"]
        == "z"
    )
    with pytest.raises(ValueError, match="raw"):
        server.script_next_run(conv, events=[("token", {})], raw=b"x")


def test_events_arrive_one_by_one_with_event_delay(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """With a delay between events, each event is flushed on its own: the client sees them
    arrive spaced by the delay, not all at the end."""
    conv = new_conversation(client)
    delay = 0.12
    server.script_next_run(
        conv,
        events=[("token", {"content": f"w{i}"}) for i in range(4)]
        + [("run_done", {"content": "", "run_id": "r"})],
        delay=delay,
    )
    arrivals: list[float] = []
    start = time.monotonic()
    with open_stream(client, conv) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                arrivals.append(time.monotonic() - start)
    assert len(arrivals) == 5
    assert arrivals[0] < delay
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap > delay * 0.6 for gap in gaps), arrivals


def test_server_wide_event_delay_and_ping_interval(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """event_delay spaces every stream's events; ping_interval sends `: ping` while waiting."""
    conv = new_conversation(client)
    server.event_delay = 0.06
    server.ping_interval = 0.02
    start = time.monotonic()
    frames = stream(client, conv, "one")
    elapsed = time.monotonic() - start
    events = events_of(frames)
    assert elapsed >= 0.06 * (len(events) - 1) * 0.9
    pings = [f for f in frames if f == ("comment", "ping")]
    assert len(pings) >= 1 + (len(events) - 1)  # the opening ping, then at least one per wait


# -- idempotency and resuming ---------------------------------------------------------------


def test_repeated_idempotency_key_replays_the_first_response(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """A POST repeated with its Idempotency-Key returns the first response without creating
    anything; the key is scoped to method and path."""
    key = {"Idempotency-Key": "key-1"}
    first = client.post("/agents", json={"name": "a", "description": "b"}, headers=key)
    again = client.post("/agents", json={"name": "a", "description": "b"}, headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get("/agents").json()) == 1
    conv = client.post("/conversations", json={"agent_id": first.json()["id"]}, headers=key)
    assert conv.status_code == 201 and conv.json()["id"].startswith("conv_")
    path = f"/agents/{first.json()['id']}"
    assert client.delete(path, headers={"Idempotency-Key": "del"}).status_code == 204
    assert client.delete(path, headers={"Idempotency-Key": "del"}).status_code == 204
    assert client.delete(path, headers={"Idempotency-Key": "other"}).status_code == 404
    invalid = client.post("/agents", json={}, headers={"Idempotency-Key": "bad"})
    assert invalid.status_code == 422
    assert (
        client.post(
            "/agents", json={"name": "n", "description": "d"}, headers={"Idempotency-Key": "bad"}
        ).status_code
        == 201
    )


def test_retried_send_creates_one_run(client: httpx.Client, server: LocalPhosonServer) -> None:
    """send repeated with one Idempotency-Key returns the same message and starts one run."""
    conv = new_conversation(client)
    key = {"Idempotency-Key": "send-1"}
    first = client.post(f"/conversations/{conv}/messages", json={"content": "hi"}, headers=key)
    again = client.post(f"/conversations/{conv}/messages", json={"content": "hi"}, headers=key)
    assert again.json() == first.json()
    assert server.stats.runs_created == 1
    assert len(client.get(f"/conversations/{conv}/messages").json()) == 2


def test_stream_resumes_after_last_event_id(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """The same key with Last-Event-ID <run>:<n> re-sends the same run's events after n (same
    ids); without Last-Event-ID the whole run is replayed; no new run starts."""
    conv = new_conversation(client)
    key = {"Idempotency-Key": "stream-1"}
    whole = events_of(stream(client, conv, "a b c d", headers=key))
    run_id = whole[-1]["data"]["run_id"]
    rest = events_of(
        stream(client, conv, "a b c d", headers={**key, "Last-Event-ID": f"{run_id}:3"})
    )
    assert rest == whole[3:]
    assert events_of(stream(client, conv, "a b c d", headers=key)) == whole
    other_run = {**key, "Last-Event-ID": "run_other:2"}
    assert events_of(stream(client, conv, "a b c d", headers=other_run)) == whole
    at_end = stream(client, conv, "a b c d", headers={**key, "Last-Event-ID": whole[-1]["id"]})
    assert events_of(at_end) == []
    # The run is named by Last-Event-ID itself, even without the key.
    assert (
        events_of(stream(client, conv, "a b c d", headers={"Last-Event-ID": f"{run_id}:5"}))
        == whole[5:]
    )
    assert server.stats.runs_created == 1
    assert len(client.get(f"/conversations/{conv}/messages").json()) == 2


# -- fault injection ------------------------------------------------------------------------


def test_fail_next(client: httpx.Client, server: LocalPhosonServer) -> None:
    """fail_next answers the next n (matching) requests with its status, headers and body,
    does no work, then disarms."""
    server.fail_next(503, times=2)
    for _ in range(2):
        failed = client.post("/agents", json={"name": "a", "description": "b"})
        assert (failed.status_code, failed.json()) == (503, {"detail": "Service Unavailable"})
        assert failed.headers["x-request-id"]
    assert client.get("/agents").json() == []
    server.fail_next(429, retry_after="2", retry_after_ms=1500, detail="slow down")
    limited = client.get("/agents")
    assert (limited.status_code, limited.json()) == (429, {"detail": "slow down"})
    assert (limited.headers["retry-after"], limited.headers["retry-after-ms"]) == ("2", "1500")
    server.fail_next(500, body=b"oops", content_type="text/plain")
    plain = client.get("/agents")
    assert (plain.status_code, plain.content, plain.headers["content-type"]) == (
        500,
        b"oops",
        "text/plain",
    )
    server.fail_next(502, path="/conversations")
    assert client.get("/agents").status_code == 200
    assert client.get("/conversations").status_code == 502
    assert client.get("/conversations").status_code == 200


def test_drop_next(client: httpx.Client, server: LocalPhosonServer) -> None:
    """drop_next reads the request and closes the connection without answering."""
    server.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/agents", json={"name": "a", "description": "b"})
    assert client.get("/agents").json() == []
    assert [r.method for r in server.stats.requests] == ["POST", "GET"]


def test_cut_stream_after(client: httpx.Client, server: LocalPhosonServer) -> None:
    """cut_stream_after(k) breaks the next streams after k events (no terminating chunk);
    k=0 right after the headers; the run can then be resumed."""
    conv = new_conversation(client)
    server.cut_stream_after(3, times=2)
    received: list[str] = []
    for _ in range(2):
        received = []
        with (
            pytest.raises(httpx.RemoteProtocolError),
            open_stream(client, conv, "a b c") as response,
        ):
            received.extend(line for line in response.iter_lines() if line.startswith("id:"))
        assert len(received) == 3
    last_id = received[-1].removeprefix("id: ")
    rest = events_of(stream(client, conv, headers={"Last-Event-ID": last_id}))
    assert rest[0]["id"].endswith(":4") and rest[-1]["event"] == "run_done"
    server.cut_stream_after(0)
    with pytest.raises(httpx.RemoteProtocolError), open_stream(client, conv) as response:
        assert response.status_code == 200
        response.read()
    assert server.stats.disconnects == 0


def test_delay_headers(client: httpx.Client, server: LocalPhosonServer) -> None:
    """delay_headers holds the response back; a client with a shorter read timeout times out."""
    server.delay_headers(0.3)
    start = time.monotonic()
    assert client.get("/agents").status_code == 200
    assert time.monotonic() - start >= 0.28
    server.delay_headers(0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/agents", timeout=0.1)
    assert client.get("/agents").status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("not_json", 200, "text/html; charset=utf-8"),
        ("wrong_shape", 200, "application/json"),
        ("empty_error", 500, None),
        ("html_error", 502, "text/html"),
    ],
)
def test_malformed_bodies(
    client: httpx.Client,
    server: LocalPhosonServer,
    kind: str,
    status: int,
    content_type: str | None,
) -> None:
    """malformed_next returns the promised broken body once, then the server is normal."""
    new_agent(client)
    server.malformed_next(kind)
    response = client.get("/agents")
    assert response.status_code == status
    assert response.headers.get("content-type") == content_type
    if kind == "wrong_shape":
        item = response.json()[0]
        assert set(item) != AGENT_KEYS and not isinstance(item["id"], str)
    elif kind == "empty_error":
        assert response.content == b""
    else:
        assert response.text.lstrip().lower().startswith(("<!doctype html", "<html"))
    assert len(client.get("/agents").json()) == 1


@pytest.mark.parametrize("kind", ["bad_event_json", "bad_event_fields"])
def test_malformed_events(client: httpx.Client, server: LocalPhosonServer, kind: str) -> None:
    """The event kinds spoil the first token event of the next stream, and only that one."""
    conv = new_conversation(client)
    server.malformed_next(kind)
    assert client.get("/agents").status_code == 200  # not a stream: not spoiled
    text = stream_raw(client, conv, "a b").text
    blocks = [b for b in text.split("\n\n") if b.startswith("event:")]
    data = [b.split("\ndata: ")[1].split("\n")[0] for b in blocks]
    assert blocks[0].startswith("event: token")
    if kind == "bad_event_json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(data[0])
    else:
        assert json.loads(data[0]) == {"type": "token"}
    for item in data[1:]:
        json.loads(item)
    events_of(stream(client, conv))  # the next stream is clean


def test_faults_are_taken_in_arming_order(client: httpx.Client, server: LocalPhosonServer) -> None:
    """A stream armed to be cut is served (and cut) even with drops armed after it; the
    drops then hit the following requests."""
    conv = new_conversation(client)
    server.cut_stream_after(1)
    server.drop_next()
    with pytest.raises(httpx.RemoteProtocolError), open_stream(client, conv) as response:
        assert response.status_code == 200
        response.read()
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/agents")
    assert client.get("/agents").status_code == 200


def test_client_disconnect_is_detected(client: httpx.Client, server: LocalPhosonServer) -> None:
    """A client leaving a delayed stream early is noticed while the server waits: disconnects
    goes up by one and active_streams returns to 0."""
    conv = new_conversation(client)
    server.script_next_run(
        conv,
        events=[("token", {"content": "x"})] * 50 + [("run_done", {"content": "", "run_id": "r"})],
        delay=0.2,
    )
    with open_stream(client, conv) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                assert server.stats.active_streams == 1
                break
    assert wait_until(lambda: server.stats.disconnects == 1, timeout=2)
    assert wait_until(lambda: server.stats.active_streams == 0)
    assert server.stats.streams_completed == 0


def test_streams_from_before_a_reset_are_not_counted_after_it(
    client: httpx.Client, server: LocalPhosonServer
) -> None:
    """A stream started before `reset()` that ends after it (the previous test's, on a shared
    server) counts in neither `disconnects` nor `streams_completed`: a test's counters are its
    own streams'. `active_streams` still tracks it while it is being written."""
    conv = new_conversation(client)
    server.script_next_run(
        conv,
        events=[("token", {"content": "x"})] * 50 + [("run_done", {"content": "", "run_id": "r"})],
        delay=0.05,
    )
    with open_stream(client, conv) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                server.reset()
                break
    assert wait_until(lambda: server.stats.active_streams == 0)
    assert server.stats.disconnects == 0
    assert server.stats.streams_completed == 0
    conv = new_conversation(client)
    events_of(stream(client, conv))
    # (The server counts a stream once its last write returned: it may lag the client a bit.)
    assert wait_until(lambda: server.stats.streams_completed == 1)
    assert server.stats.disconnects == 0


def test_connections_are_reused_after_streams(server: LocalPhosonServer) -> None:
    """Streams end with a terminating chunk, so one keep-alive connection serves everything."""
    assert wait_until(lambda: server.stats.open_connections == 0)  # earlier tests' are gone
    limits = httpx.Limits(max_connections=1)
    with httpx.Client(base_url=server.url, headers=AUTH, limits=limits) as one:
        conv = new_conversation(one)
        for _ in range(3):
            events_of(stream(one, conv))
            assert one.get("/agents").status_code == 200
        assert server.stats.open_connections == 1
        assert server.stats.streams_completed == 3
    assert wait_until(lambda: server.stats.open_connections == 0)


def test_requests_are_recorded(client: httpx.Client, server: LocalPhosonServer) -> None:
    """stats.requests lists method, raw path (without the query), lower-cased headers and the
    raw query string; bodies are kept alongside."""
    # The query written out: httpx < 0.28 encodes params' spaces as %20, later ones as +.
    client.get("/conversations?agent_id=a+b", headers={"X-Phoson-Retry-Count": "0"})
    client.post("/agents", json={"name": "n", "description": "d"})
    first, second = server.stats.requests
    assert (first.method, first.path, first.query) == ("GET", "/conversations", "agent_id=a+b")
    assert (
        first.headers["x-phoson-retry-count"] == "0"
        and first.headers["authorization"] == AUTH["Authorization"]
    )
    method, path, headers, query = second
    assert (method, path, headers["content-type"]) == ("POST", "/agents", "application/json")
    assert query == ""
    assert json.loads(server.stats.request_bodies[1]) == {"name": "n", "description": "d"}


def test_reset_forgets_everything(client: httpx.Client, server: LocalPhosonServer) -> None:
    """reset() drops data, idempotency records, armed faults and counters."""
    new_conversation(client)
    client.post("/agents", json={"name": "a", "description": "b"}, headers={"Idempotency-Key": "k"})
    server.fail_next(503, times=5)
    server.reset()
    assert server.stats.requests == [] and server.stats.runs_created == 0
    assert client.get("/agents").json() == []
    replay = client.post(
        "/agents", json={"name": "a", "description": "b"}, headers={"Idempotency-Key": "k"}
    )
    assert replay.status_code == 201 and "idempotent-replayed" not in replay.headers


# -- robustness, lifecycle, command line ----------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /agents HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"POST /agents HTTP/1.1\r\nContent-Length: nope\r\n\r\n{}", 400),
        (b"POST /agents HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
        (b"POST /agents HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET /agents HTTP/9.9\r\n\r\n", 505),
    ],
)
def test_bad_requests_get_json_errors_and_the_server_survives(
    client: httpx.Client, server: LocalPhosonServer, request_bytes: bytes, status: int
) -> None:
    """Malformed HTTP gets a JSON error and a closed connection; the server keeps serving."""
    answer = raw_exchange(server, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"x-request-id: req_" in head and b"connection: close" in head
    assert "detail" in json.loads(body)
    assert client.get("/agents").status_code == 200


def test_http_1_0_streams_end_by_closing(client: httpx.Client, server: LocalPhosonServer) -> None:
    """An HTTP/1.0 client gets the stream unchunked, ended by closing the connection."""
    conv = new_conversation(client)
    body = b'{"content": "hi", "stream": true}'
    request = (
        f"POST /conversations/{conv}/messages HTTP/1.0\r\nAuthorization: {AUTH['Authorization']}"
        f"\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    head, _, text = raw_exchange(server, request).partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head and b"connection: close" in head
    assert events_of(parse_sse(text.decode()))[-1]["data"]["content"] == reply_text("hi")


def test_chunked_request_bodies_are_read(client: httpx.Client, server: LocalPhosonServer) -> None:
    """A request body sent with chunked Transfer-Encoding is reassembled."""
    body = b'{"name": "n", "description": "d"}'
    request = (
        b"POST /agents HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + AUTH["Authorization"].encode()
        + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    )
    assert raw_exchange(server, request).startswith(b"HTTP/1.1 201 ")
    assert client.get("/agents").json()[0]["name"] == "n"


def test_stop_is_prompt_and_idempotent() -> None:
    """stop() ends open streams and connections at once, and calling it twice is harmless."""
    server = LocalPhosonServer(event_delay=5).start()
    url = server.url
    errors: list[BaseException] = []
    first_event = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer pk_test"}) as http:
            conv = new_conversation(http)
            try:
                with http.stream(
                    "POST", f"/conversations/{conv}/messages", json={"content": "x", "stream": True}
                ) as response:
                    for line in response.iter_lines():
                        if line.startswith("event:"):
                            first_event.set()
            except httpx.HTTPError as exc:
                errors.append(exc)

    listener = threading.Thread(target=listen)
    listener.start()
    assert first_event.wait(5)
    start = time.monotonic()
    server.stop()
    listener.join(5)
    assert time.monotonic() - start < 2 and not listener.is_alive()
    assert errors and server.stats.active_streams == 0
    server.stop()
    assert not server.running and repr(server) == "<LocalPhosonServer stopped>"
    with pytest.raises(RuntimeError):
        _ = server.url


def test_python_m_phoson_testing_prints_its_url() -> None:
    """`python -m phoson.testing` serves in the foreground, prints its URL and key, and
    stops cleanly on SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "phoson.testing", "--api-key", "pk_cli", "--event-delay", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"Phoson local server on (http://127\.0\.0\.1:\d+) \(api key pk_cli\)\n", line
        )
        assert match, line
        assert "export PHOSON_BASE_URL=" in process.stdout.readline()
        response = httpx.get(f"{match.group(1)}/agents", headers={"Authorization": "Bearer pk_cli"})
        assert (response.status_code, response.json()) == (200, [])
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr


def test_two_hundred_concurrent_streams_all_complete() -> None:
    """200 streams open at once (all 200 active together, as event_delay keeps each open for
    ~6 s, time enough to open them all on a loaded machine) each get their own full reply."""
    count = 200

    async def main(server: LocalPhosonServer) -> list[tuple[str, str]]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(
            base_url=server.url, headers=AUTH, limits=limits, timeout=30
        ) as http:
            agent = (await http.post("/agents", json={"name": "a", "description": "b"})).json()
            convs = [
                (await http.post("/conversations", json={"agent_id": agent["id"]})).json()["id"]
                for _ in range(10)
            ]
            started = 0
            all_started = asyncio.Event()
            release = asyncio.Event()

            async def one(index: int) -> tuple[str, str]:
                nonlocal started
                body = {"content": f"n{index}", "stream": True}
                url = f"/conversations/{convs[index % len(convs)]}/messages"
                async with http.stream("POST", url, json=body) as response:
                    lines = response.aiter_lines()
                    text: list[str] = []
                    async for line in lines:
                        text.append(line)
                        if line.startswith("event:"):
                            break
                    started += 1
                    if started == count:
                        all_started.set()
                    await release.wait()
                    text.extend([line async for line in lines])
                events = events_of(parse_sse("\n".join(text)))
                done = events[-1]["data"]
                streamed = "".join(e["data"]["content"] for e in events if e["event"] == "token")
                return streamed, done["content"]

            tasks = [asyncio.create_task(one(i)) for i in range(count)]
            await asyncio.wait_for(all_started.wait(), 20)
            assert server.stats.active_streams == count
            release.set()
            return await asyncio.gather(*tasks)

    with LocalPhosonServer(api_key=KEY, event_delay=0.5) as server:
        results = asyncio.run(main(server))
        assert [final for _, final in results] == [reply_text(f"n{i}") for i in range(count)]
        assert all(streamed == final for streamed, final in results)
        assert server.stats.runs_created == count
        assert wait_until(lambda: server.stats.streams_completed == count)
