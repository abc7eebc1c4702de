# DO NOT EDIT: generated from tests/_async/test_fuzz.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Property test: whatever a server sends, a call ends in its documented result or a readable
PhosonError; never another exception, never a hang. Error details come in every JSON shape
(FastAPI-like items with odd `loc`/`msg`, nesting past Python's recursion limit, NaN), and so do
untyped events: one JSON parser (phoson._json) reads them all.

Hypothesis drives random statuses, headers (Retry-After, retry-after-ms, Content-Type,
x-request-id, x-should-retry), bodies and server-sent-event byte streams (split into random
chunks, sometimes cut by a dropped connection) through the client over an in-process
`httpx.MockTransport`. "Never a hang": every example has a request budget (the retry and resume
loops must stop by themselves) and a Hypothesis deadline; the SDK's waits are recorded, not
slept, and must each be finite and at most 60 s.

CI runs a few dozen examples per client (a few seconds); `PHOSON_FUZZ_EXAMPLES=5000` runs many
more, once (see docs/reliability.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import (
    Agent,
    Message,
    PhosonClient,
    PhosonError,
    RunDoneEvent,
)
from tests.payloads import AGENT, BASE_URL, MESSAGE, BreakingStream, RecordingStream

EXAMPLES = int(os.environ.get("PHOSON_FUZZ_EXAMPLES", "100"))
#: More requests than any call may make: 1 + max_retries, per (re)connection of a stream.
REQUEST_BUDGET = 30
MAX_RETRIES = 2


# -- What a server may send --------------------------------------------------------------------

header_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
http_dates = st.sampled_from(
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 99999 23:59:59 GMT",
        "Sun, 01 Jan 9999999999999999999 00:00:00 GMT",
        "Mon, 01 Jan 0000 00:00:00 GMT",
        "Tue, 01 Jan 10000 00:00:00 +0000",
        "Thu, 01 Jan 1970 00:00:00 -9999",
    ]
)
retry_after = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.just("9" * 400),
    st.sampled_from(["1e400", "-1", "nan", "inf", "0.5", "", " 3 "]),
    http_dates,
    header_bytes.map(lambda b: b.decode("latin-1")),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/event-stream",
        "text/event-stream; charset=utf-8",
        "text/html",
        "text/plain",
        "application/octet-stream",
        "",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_objects(depth: int, name: str = "detail") -> bytes:
    """`{"detail": {"detail": ... 1 ...}}`: nested objects, the shape an error body has."""
    return f'{{"{name}": '.encode() * depth + b"1" + b"}" * depth


#: FastAPI-like validation items of every shape: `loc` null, a string, a list of anything;
#: `msg` missing or not a string (a server's detail is not checked before it is shown).
detail_items = st.fixed_dictionaries(
    {},
    optional={
        "loc": st.one_of(json_values, st.lists(json_values, max_size=4)),
        "msg": json_values,
        "type": json_values,
        "input": json_values,
    },
)
error_details = st.one_of(
    st.lists(detail_items, max_size=3).map(lambda items: json.dumps({"detail": items}).encode()),
    st.integers(10, 5_000).map(deep_objects),
    st.integers(10, 5_000).map(lambda n: b'{"detail": ' + deep_json(n) + b"}"),
    st.sampled_from(
        [
            b'{"detail": [{"loc": null}]}',
            b'{"detail": NaN}',
            b'{"detail": [{"loc": ["body", Infinity], "msg": -Infinity}]}',
            b'{"detail": "x", "code": "idempotency_key_reused"}',
            b'{"code": "idempotency_key_reused", "detail": [{"loc": null}]}',
        ]
    ),
)

json_bodies = st.one_of(
    error_details,
    st.just(json.dumps(AGENT).encode()),
    st.just(json.dumps([AGENT]).encode()),
    st.just(json.dumps(MESSAGE).encode()),
    json_values.map(lambda v: json.dumps({"detail": v}).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(10, 100_000).map(deep_json),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)

event_names = st.sampled_from(
    ["token", "reasoning", "tool_start", "tool_end", "run_done", "error", "message", "weird", ""]
)
event_data = st.one_of(
    st.sampled_from(
        [
            '{"content": "Hi"}',
            '{"content": "Hi", "run_id": "run_1"}',
            '{"message": "boom"}',
            '{"tool": "t", "input": {}, "tool_call_id": "c"}',
            '{"tool": "t", "result": "r", "tool_call_id": "c"}',
            '{"type": "token", "content": "x"}',
            '{"type": "run_done", "content": "x", "run_id": "r"}',
        ]
    ),
    json_values.map(json.dumps),
    st.integers(10, 50_000).map(lambda n: deep_json(n).decode()),
    # Untyped events mentioning "error", nested past the recursion limit, and NaN.
    st.integers(10, 5_000).map(lambda n: deep_objects(n, "error").decode()),
    st.sampled_from(['{"type": "error", "message": NaN}', '{"type": "run_done", "x": Infinity}']),
    st.text(max_size=40),
)
sse_lines = st.one_of(
    event_names.map(lambda name: f"event: {name}"),
    event_data.map(lambda data: f"data: {data}".replace("\n", "\ndata: ")),
    st.text(max_size=20).map(lambda text: f"id: {text}"),
    st.sampled_from(["id: résumé:1", "id: \x01bad", "id: 7", "id:", ": ping", ""]),
    st.one_of(st.integers(0, 10**6).map(str), st.just("9" * 400), st.text(max_size=5)).map(
        lambda value: f"retry: {value}"
    ),
)


@st.composite
def sse_bodies(draw: st.DrawFn) -> list[bytes]:
    """An event stream's bytes, cut into random chunks (UTF-8 sequences may be split)."""
    lines = draw(st.lists(sse_lines, max_size=25))
    text = "\n".join(line.replace("\r", "") for line in lines)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    raw = (text.replace("\n", newline) + newline * 2).encode("utf-8", "surrogatepass")
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=6)))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True) if raw[a:b]]


@dataclass
class Reply:
    """One response the fake server gives (or a transport failure instead)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    chunks: list[bytes]
    breaks: bool = False
    fails: bool = False

    def response(self) -> httpx.Response:
        if self.fails:
            raise httpx.ConnectError("connection refused")
        stream = (
            BreakingStream(self.chunks, httpx.ReadError("connection reset"))
            if self.breaks
            else RecordingStream(self.chunks)
        )
        return httpx.Response(self.status, headers=self.headers, stream=stream)


@st.composite
def replies(draw: st.DrawFn) -> Reply:
    status = draw(
        st.one_of(
            st.sampled_from([200, 201, 204, 301, 400, 401, 404, 409, 422, 429, 500, 503]),
            st.integers(200, 599),
        )
    )
    headers: list[tuple[bytes, bytes]] = []
    content_type = draw(content_types)
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    if draw(st.booleans()):
        headers.append((b"retry-after", draw(retry_after).encode("latin-1", "replace")))
    if draw(st.booleans()):
        headers.append((b"retry-after-ms", draw(retry_after).encode("latin-1", "replace")))
    if draw(st.booleans()):
        headers.append((b"x-request-id", draw(header_bytes)))
    if draw(st.booleans()):
        value = draw(st.sampled_from([b"true", b"false", b"TRUE", b"maybe", b""]))
        headers.append((b"x-should-retry", value))
    if draw(st.booleans()):
        headers.append((b"location", draw(header_bytes)))
    chunks = draw(sse_bodies()) if "event-stream" in content_type else [draw(json_bodies)]
    return Reply(
        status,
        headers,
        chunks,
        breaks=draw(st.booleans()) and status < 300,
        fails=draw(st.integers(0, 9)) == 0,
    )


@dataclass
class FakeServer:
    """Answers requests from a script of replies; past the script, 503 with no retry."""

    script: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert len(self.requests) <= REQUEST_BUDGET, "the SDK keeps sending: a hang"
        index = len(self.requests) - 1
        if index < len(self.script):
            return self.script[index].response()
        return httpx.Response(503, json={"detail": "done"}, headers={"x-should-retry": "false"})


CALLS = ["agents.get", "agents.list", "agents.create", "messages.send", "stream", "stream.sse"]


def make_call(client: PhosonClient, name: str) -> Any:
    """Make one call and return its result (for a stream: what its iteration yields)."""
    if name == "agents.get":
        return client.agents.get("agt_1")
    if name == "agents.list":
        return client.agents.list()
    if name == "agents.create":
        return client.agents.create(name="n", description="d")
    if name == "messages.send":
        return client.messages.send("conv_1", "Hi")
    if name == "stream":
        return client.messages.stream("conv_1", "Hi").until_done()
    return [sse for sse in client.messages.stream("conv_1", "Hi").iter_sse()]


def documented(name: str, result: Any) -> bool:
    """Whether a successful call's result is what its method promises."""
    if name in ("agents.get", "agents.create"):
        return isinstance(result, Agent)
    if name == "agents.list":
        return isinstance(result, list) and all(
            isinstance(a, Agent) for a in cast("list[object]", result)
        )
    if name == "messages.send":
        return isinstance(result, Message)
    if name == "stream":
        return isinstance(result, RunDoneEvent)
    return isinstance(result, list)


@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 100,  # CI: the same examples every run; a long run explores
    database=None,
)
@given(name=st.sampled_from(CALLS), script=st.lists(replies(), min_size=1, max_size=4))
def test_any_server_reply_ends_in_a_result_or_a_readable_phoson_error(
    name: str, script: list[Reply], sleeps: list[float]
) -> None:
    """Random statuses, headers, bodies and event streams end in the documented result or a
    PhosonError with a readable one-line message, within a bounded number of requests."""
    sleeps.clear()
    server = FakeServer(script)
    http = httpx.Client(transport=httpx.MockTransport(server))
    with PhosonClient(
        api_key="pk_fuzz_0123456789", base_url=BASE_URL, http_client=http, max_retries=MAX_RETRIES
    ) as client:
        try:
            result = make_call(client, name)
        except PhosonError as error:
            message = str(error)
            assert message.strip() and "\n" not in message, repr(message)
            assert repr(error)
        else:
            assert documented(name, result), (name, result)
    http.close()
    assert all(0.0 <= wait <= 60.0 for wait in sleeps), sleeps
    assert 1 <= len(server.requests) <= REQUEST_BUDGET


@pytest.mark.parametrize("name", CALLS)
def test_the_fuzz_servers_happy_path_is_a_result(name: str) -> None:
    """The harness itself: a well-formed reply gives each call its documented result."""
    body = {
        "agents.get": AGENT,
        "agents.create": AGENT,
        "agents.list": [AGENT],
        "messages.send": MESSAGE,
    }.get(name)
    if body is None:
        chunks = [
            b'event: token\ndata: {"content": "Hi"}\n\n'
            b'event: run_done\ndata: {"content": "Hi", "run_id": "r"}\n\n'
        ]
        reply = Reply(200, [(b"content-type", b"text/event-stream")], chunks)
    else:
        reply = Reply(200, [(b"content-type", b"application/json")], [json.dumps(body).encode()])
    server = FakeServer([reply])
    http = httpx.Client(transport=httpx.MockTransport(server))
    with PhosonClient(api_key="pk_fuzz_0123456789", base_url=BASE_URL, http_client=http) as client:
        assert documented(name, make_call(client, name))
    http.close()
    assert len(server.requests) == 1
