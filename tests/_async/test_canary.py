"""The canary harness: a distinctive key, planted in every form a caller can give it, never
shows in any output, whatever the server does and whichever public entry point is used.

Hypothesis draws the key's form (a string, a function, a rotating function, an `Authorization`
header in `default_headers`, `extra_headers` or `with_options`), the entry point (every
resource method, their `with_raw_response` twins, `request`/`get`/`post`/`patch`/`delete`,
`stream_sse` and the stream's three ways of reading) and a hostile server's script: statuses,
headers, error bodies and SSE bytes that echo the key it was sent (as is, percent-encoded,
base64), Retry-After values, cut streams and transport failures quoting it. Every output
channel is then searched for every form of every key the client held (tests/canary.py):
str/repr of the result or error, the whole exception chain as `traceback.format_exception`
prints it, the `phoson` logger's records at DEBUG (tracebacks included), the spans with their
events and attributes (content capture on), and the pickle of every public object reached.
The CLI's stdout and stderr are searched by tests/test_canary_cli.py.

Budget: `examples(150, full=300)` derandomized examples per client: 150 in the everyday run,
300 in CI's step 5 (PHOSON_TEST_SCALE=full); `PHOSON_TEST_PROFILE=release` runs 20 times as
many with random seeds.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import Agent, AsyncPhosonClient, PhosonError
from tests.budget import examples
from tests.canary import ECHOES, Channels, canary_key, fill, tracing
from tests.payloads import AGENT, BASE_URL, CONVERSATION, MESSAGE, BreakingStream, RecordingStream

# Imported now: hypothesis imports it lazily, in the middle of a long run, where CPython 3.11.7
# can fail to compile it ("SystemError: AST constructor recursion depth mismatch").
importlib.import_module("hypothesis.internal.conjecture.optimiser")

#: The most requests one example may make (1 + retries per attempt, per reconnection).
REQUEST_BUDGET = 30

echo = st.sampled_from(ECHOES)


def _joined(a: str, b: str, c: str) -> str:
    return f"{a}{b}{c}"


echoing_text = st.builds(
    _joined,
    st.sampled_from(["", "bad ", "key="]),
    echo,
    st.sampled_from(["", " rejected", "\u00e9"]),
)
retry_after = st.sampled_from(
    ["0", "1", "-1", "nan", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT", "{KEY}", ""]
)


@st.composite
def error_bodies(draw: st.DrawFn) -> bytes:
    """An error body quoting the key: a detail string, FastAPI items, HTML, plain text."""
    text = draw(echoing_text)
    kind = draw(st.sampled_from(["detail", "items", "whole", "html", "text", "nested"]))
    if kind == "detail":
        return json.dumps({"detail": text}).encode()
    if kind == "items":
        item = {"loc": ["body", text], "msg": text, "input": {"authorization": text}}
        return json.dumps({"detail": [item, {"loc": None}]}).encode()
    if kind == "whole":
        return json.dumps({"error": {"message": text, "code": "bad_key"}}).encode()
    if kind == "html":
        return f"<html><body><h1>502</h1><p>{text}</p></body></html>".encode()
    if kind == "nested":
        return b'{"detail": ' * 30 + json.dumps(text).encode() + b"}" * 30
    return text.encode()


@st.composite
def event_streams(draw: st.DrawFn) -> bytes:
    """SSE bytes whose ids, data and error events quote the key."""
    lines: list[str] = []
    for number in range(draw(st.integers(0, 4))):
        name = draw(
            st.sampled_from(
                ["token", "reasoning", "error", "message", "weird", "tool_start", "tool_end"]
            )
        )
        text = draw(echoing_text)
        data: dict[str, Any] = {"message": text} if name == "error" else {"content": text}
        if name == "message":
            data = {"type": "token", "content": text}
        elif name == "tool_start":
            data = {"tool": "search", "input": {"q": text}, "tool_call_id": "c1"}
        elif name == "tool_end":
            data = {"tool": "search", "result": text, "tool_call_id": "c1"}
        event_id = draw(st.sampled_from([f"{number}", text, f"run:{number}"]))
        lines += [f"event: {name}", f"data: {json.dumps(data)}", f"id: {event_id}", ""]
    if draw(st.booleans()):
        done = {"content": draw(echoing_text), "run_id": draw(st.sampled_from(["run_1", "{KEY}"]))}
        lines += ["event: run_done", f"data: {json.dumps(done)}", "id: done", ""]
    return ("\n".join(lines) + "\n").encode()


#: A 2xx body of each model, the key quoted in a text field and an unknown field.
BODIES: list[Any] = [
    {**AGENT, "name": "{KEY}", "note": "{AUTH}"},
    [{**AGENT, "description": "{KEY_B64}"}],
    {**CONVERSATION, "title": "{KEY}"},
    [{**CONVERSATION, "title": "{KEY_PCT}"}],
    {**MESSAGE, "content": "{AUTH}"},
    [{**MESSAGE, "content": "{KEY}"}],
]
#: Marks a 2xx body the server picks to fit the request (`fitting_body`).
FITTING = b"<fitting>"


def fitting_body(request: httpx.Request) -> bytes:
    """The body of the model the request's call returns, quoting the key."""
    path, method = request.url.path, request.method
    if "/messages" in path:
        index = 5 if method == "GET" else 4
    elif path.startswith("/conversations"):
        index = 3 if method == "GET" and path == "/conversations" else 2
    else:
        index = 1 if method == "GET" and path == "/agents" else 0
    return json.dumps(BODIES[index]).encode()


@dataclass
class Reply:
    """One templated reply of the hostile server."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    breaks: bool = False
    fails: bool = False

    def response(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization", "")
        if self.fails:
            raise httpx.ConnectError(fill("connection refused for {AUTH}", authorization))
        body = fitting_body(request) if self.body == FITTING else self.body
        body = fill(body.decode(), authorization).encode()
        headers = [
            (name.encode(), fill(value, authorization).encode()) for name, value in self.headers
        ]
        stream = (
            BreakingStream([body], httpx.ReadError(fill("reset ({KEY_PCT})", authorization)))
            if self.breaks
            else RecordingStream([body])
        )
        return httpx.Response(self.status, headers=headers, stream=stream)


@st.composite
def replies(draw: st.DrawFn, streaming: bool = False) -> Reply:
    """One reply; for a stream's request (`streaming`) mostly a 200 event stream."""
    statuses = [200, 200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503]
    status = draw(st.sampled_from([200] * 12 + statuses if streaming else statuses))
    headers = [("x-request-id", draw(echoing_text))]
    if draw(st.booleans()):
        headers.append(("retry-after", draw(retry_after)))
    if draw(st.booleans()):
        headers.append(("x-echo-authorization", "{AUTH}"))
    if status >= 300:
        headers.append(
            ("content-type", draw(st.sampled_from(["application/json", "text/html", "text/plain"])))
        )
        body = draw(error_bodies())
    elif draw(st.integers(0, 9)) < (8 if streaming else 5):
        headers.append(("content-type", "text/event-stream"))
        body = draw(event_streams())
    else:
        headers.append(("content-type", "application/json"))
        # The body the call expects (its fields quoting the key), or another call's.
        body = (
            FITTING if draw(st.booleans()) else json.dumps(draw(st.sampled_from(BODIES))).encode()
        )
    return Reply(
        status,
        headers,
        body,
        breaks=status < 300 and draw(st.integers(0, 3)) == 0,
        fails=draw(st.integers(0, 7)) == 0,
    )


@dataclass
class HostileServer:
    """Answers from the script (echoing what it was sent); past it, a 503 that ends retries."""

    script: list[Reply]
    requests: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        assert self.requests <= REQUEST_BUDGET, "the SDK keeps sending"
        authorization = request.headers.get("authorization", "")
        if self.requests <= len(self.script):
            return self.script[self.requests - 1].response(request)
        return httpx.Response(
            503,
            json={"detail": fill("done, {AUTH}", authorization)},
            headers={"x-should-retry": "false"},
        )


# -- The key's forms -----------------------------------------------------------------------------


@dataclass
class Planted:
    """The keys a client holds, and how they were given."""

    form: str
    keys: list[str] = field(default_factory=list)
    call_options: dict[str, Any] = field(default_factory=dict)

    def new(self, tag: str = "") -> str:
        key = canary_key(tag)
        self.keys.append(key)
        return key

    def client(self, http: httpx.AsyncClient, **kwargs: Any) -> AsyncPhosonClient:
        """A client holding the planted key in this form (`keys[0]` is one it sends)."""
        form = self.form
        api_key: Any = self.new("api")
        if form == "function":
            api_key = lambda: self.keys[0]  # noqa: E731
        elif form == "rotating":
            turns = iter(range(10**6))
            api_key = lambda: self.keys[0] if next(turns) == 0 else self.new("rot")  # noqa: E731
        headers: dict[str, str] = {}
        if form in ("default_headers", "extra_headers", "with_options"):
            headers = {"Authorization": f"Bearer {self.new('hdr')}"}
            if form == "default_headers":
                kwargs["default_headers"] = headers
            elif form == "extra_headers":
                self.call_options["extra_headers"] = headers
        client = AsyncPhosonClient(api_key=api_key, base_url=BASE_URL, http_client=http, **kwargs)
        if form == "with_options":
            return client.with_options(default_headers=headers)
        if form == "with_options_key":
            return client.with_options(api_key=self.new("copy"))
        return client


FORMS = [
    "string",
    "function",
    "rotating",
    "default_headers",
    "extra_headers",
    "with_options",
    "with_options_key",
]


# -- Every public entry point ---------------------------------------------------------------------

#: (client, per-call options, channels, a message text quoting the key) -> the call's result.
Entry = Callable[[AsyncPhosonClient, dict[str, Any], Channels, str], Awaitable[Any]]


async def _stream(
    client: AsyncPhosonClient,
    o: dict[str, Any],
    seen: Channels,
    text: str,
    how: str,
    custom: bool = False,
) -> Any:
    if custom:
        body = {"content": text, "stream": True}
        stream = client.stream_sse("POST", "/conversations/conv_1/messages", body=body, **o)
    else:
        stream = client.messages.stream("conv_1", text, **o)
    try:
        if how == "until_done":
            return await stream.until_done()
        if how == "text":
            # The pieces are the server's text, plain strs handed over as sent: the stream
            # and its errors are what is checked.
            return len([piece async for piece in stream.text_stream])
        return [sse async for sse in stream.iter_sse()]
    finally:
        seen.see(stream, getattr(stream, "resume_token", None), stream.response, stream.tool_calls)
        seen.see(*stream.tool_calls)
        await stream.close()


ENTRIES: dict[str, Entry] = {
    "agents.create": lambda c, o, s, t: c.agents.create(name="n", description="d", **o),
    "agents.list": lambda c, o, s, t: c.agents.list(**o),
    "agents.get": lambda c, o, s, t: c.agents.get("agt_1", **o),
    "agents.update": lambda c, o, s, t: c.agents.update("agt_1", name="x", **o),
    "agents.delete": lambda c, o, s, t: c.agents.delete("agt_1", **o),
    "agents.attach_mcp": lambda c, o, s, t: c.agents.attach_mcp("agt_1", "mcp_1", **o),
    "agents.detach_mcp": lambda c, o, s, t: c.agents.detach_mcp("agt_1", "mcp_1", **o),
    "conversations.create": lambda c, o, s, t: c.conversations.create("agt_1", **o),
    "conversations.list": lambda c, o, s, t: c.conversations.list(**o),
    "conversations.get": lambda c, o, s, t: c.conversations.get("conv_1", **o),
    "conversations.update": lambda c, o, s, t: c.conversations.update("conv_1", title="t", **o),
    "conversations.delete": lambda c, o, s, t: c.conversations.delete("conv_1", **o),
    "messages.send": lambda c, o, s, t: c.messages.send("conv_1", t, **o),
    "messages.list": lambda c, o, s, t: c.messages.list("conv_1", **o),
    "raw.agents.get": lambda c, o, s, t: c.agents.with_raw_response.get("agt_1", **o),
    "raw.agents.list": lambda c, o, s, t: c.agents.with_raw_response.list(**o),
    "raw.agents.update": lambda c, o, s, t: c.agents.with_raw_response.update(
        "agt_1", name="x", **o
    ),
    "raw.agents.delete": lambda c, o, s, t: c.agents.with_raw_response.delete("agt_1", **o),
    "raw.agents.attach_mcp": lambda c, o, s, t: c.agents.with_raw_response.attach_mcp(
        "agt_1", "mcp_1", **o
    ),
    "raw.agents.detach_mcp": lambda c, o, s, t: c.agents.with_raw_response.detach_mcp(
        "agt_1", "mcp_1", **o
    ),
    "raw.conversations.create": lambda c, o, s, t: c.conversations.with_raw_response.create(
        "agt_1", **o
    ),
    "raw.conversations.get": lambda c, o, s, t: c.conversations.with_raw_response.get(
        "conv_1", **o
    ),
    "raw.conversations.update": lambda c, o, s, t: c.conversations.with_raw_response.update(
        "conv_1", title="t", **o
    ),
    "raw.conversations.delete": lambda c, o, s, t: c.conversations.with_raw_response.delete(
        "conv_1", **o
    ),
    "raw.messages.list": lambda c, o, s, t: c.messages.with_raw_response.list("conv_1", **o),
    "raw.agents.create": lambda c, o, s, t: c.agents.with_raw_response.create(
        name="n", description="d", **o
    ),
    "raw.conversations.list": lambda c, o, s, t: c.conversations.with_raw_response.list(**o),
    "raw.messages.send": lambda c, o, s, t: c.messages.with_raw_response.send("conv_1", "hi", **o),
    "request": lambda c, o, s, t: c.request(
        "PUT", "/agents/agt_1", body={"a": 1}, cast_to=httpx.Response, **o
    ),
    "get": lambda c, o, s, t: c.get("/agents?a=1", params={"b": 2}, cast_to=list[Agent], **o),
    "post": lambda c, o, s, t: c.post("/agents", body={"name": "n"}, **o),
    "patch": lambda c, o, s, t: c.patch("/agents/agt_1", body={"name": "n"}, **o),
    "delete": lambda c, o, s, t: c.delete("/agents/agt_1", **o),
    "stream.until_done": lambda c, o, s, t: _stream(c, o, s, t, "until_done"),
    "stream.text_stream": lambda c, o, s, t: _stream(c, o, s, t, "text"),
    "stream.iter_sse": lambda c, o, s, t: _stream(c, o, s, t, "sse"),
    "stream_sse": lambda c, o, s, t: _stream(c, o, s, t, "until_done", custom=True),
}


def _items_of(result: object) -> list[object]:
    """A list result's items (each is seen too); nothing for any other result."""
    return cast("list[object]", result) if isinstance(result, list) else []


@contextmanager
def content_capture() -> Generator[None, None, None]:
    """Spans record message contents (PHOSON_OTEL_CAPTURE_CONTENT=true) inside the block."""
    previous = os.environ.get("PHOSON_OTEL_CAPTURE_CONTENT")
    os.environ["PHOSON_OTEL_CAPTURE_CONTENT"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PHOSON_OTEL_CAPTURE_CONTENT"]
        else:
            os.environ["PHOSON_OTEL_CAPTURE_CONTENT"] = previous


@settings(
    max_examples=examples(150, full=300),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    form=st.sampled_from(FORMS),
    entry=st.sampled_from(sorted(ENTRIES)),
    data=st.data(),
    max_retries=st.sampled_from([0, 1, 2]),
)
async def test_the_planted_key_never_shows(
    form: str, entry: str, data: st.DataObject, max_retries: int, sleeps: list[float]
) -> None:
    """Whatever the hostile server answers, no form of any key the client held appears in the
    result's or error's str/repr, the printed exception chain, the DEBUG log, the spans, or the
    pickle of any public object reached."""
    streaming = entry.startswith("stream")
    script = data.draw(st.lists(replies(streaming), min_size=1, max_size=3), label="script")
    planted = Planted(form)
    seen = Channels()
    server = HostileServer(script)
    provider, exporter = tracing()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    with content_capture(), seen.logging():
        client = planted.client(
            http, max_retries=max_retries, open_telemetry=True, tracer_provider=provider
        )
        # The message text quotes the key too: content capture must not record it.
        options = dict(planted.call_options)
        try:
            result: object = await ENTRIES[entry](
                client, options, seen, f"my key is {planted.keys[0]}"
            )
        except PhosonError as error:
            seen.see(error, *(getattr(error, name, None) for name in ("detail", "request_id")))
        else:
            seen.see(result, *_items_of(result))
            parse = getattr(result, "parse", None)
            if callable(parse):
                try:
                    seen.see(parse())
                except PhosonError as error:
                    seen.see(error)
        seen.see(client, client.config)
        await client.close()
    await http.aclose()
    provider.shutdown()
    for key in planted.keys:
        seen.assert_clean(key, exporter)
