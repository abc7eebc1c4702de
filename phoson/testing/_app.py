"""The API behind the local server: routing, auth, idempotency, the in-memory store and the
deterministic model. No sockets here; `_server.py` does the HTTP.

Everything runs under one lock (`App.lock`); `handle` takes it for the whole request, which is
short because no I/O happens inside.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

from . import _validation as v
from ._faults import Fault, FaultQueue
from ._requestlog import RecordedRequest, RequestLog
from ._requests import (
    AgentCreate,
    AgentUpdate,
    ConversationCreate,
    ConversationUpdate,
    MessageCreate,
    RequestBody,
)

__all__ = [
    "App",
    "RecordedRequest",
    "Request",
    "Response",
    "Run",
    "Script",
    "ServerStats",
    "StreamPlan",
    "dumps",
    "fail_response",
    "is_stream_request",
    "new_id",
    "reply_text",
    "route",
    "split_tokens",
]

Event = tuple[str, dict[str, Any]]
JSON_TYPE = "application/json"
#: Idempotency keys remembered (a real API keeps them for a day; a test server, the latest).
MAX_IDEMPOTENCY_RECORDS = 1000


@dataclass(frozen=True, slots=True)
class ServerStats:
    """A snapshot of the server's counters (each `server.stats` read takes a new one)."""

    runs_created: int
    """Runs started by `messages.send`/`messages.stream` (replays and resumes start none)."""
    requests: list[RecordedRequest]
    """The latest requests received since the last `reset()`, oldest first (the server keeps
    the last `request_log_size`, and fewer when their bodies exceed 32 MiB)."""
    request_bodies: list[bytes]
    """The body of each request in `requests`, at the same index."""
    active_streams: int
    """Event-stream responses being written right now."""
    disconnects: int
    """Streams whose client went away before the end (not counting `cut_stream_after`), of
    those started since the last `reset()`."""
    streams_completed: int
    """Streams written to the end, terminating chunk included, of those started since the last
    `reset()`."""
    open_connections: int
    """TCP connections open right now."""


@dataclass(slots=True)
class Response:
    """A whole (non-stream) response. `body=None` means no body at all (204)."""

    status: int
    body: bytes | None
    content_type: str | None = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Run:
    """One run's events, kept so a repeated request can replay or resume it. `raw`, when set,
    is the exact stream body instead."""

    id: str
    conversation_id: str
    events: list[Event]
    raw: bytes | None = None
    delay: float | None = None
    result: Response | None = None  # what `messages.send` answers for this run

    def frame(self, index: int, malformed: str | None = None) -> bytes:
        """Event `index` (0-based) as SSE bytes, with id `<run id>:<index + 1>`."""
        type_, data = self.events[index]
        payload = dumps({"type": type_, **data}).decode()
        if malformed == "bad_event_json":
            payload = payload[: max(1, len(payload) - 2)]  # cut inside the JSON: not parseable
        elif malformed == "bad_event_fields":
            payload = dumps({"type": type_}).decode()  # none of the event's required fields
        return f"event: {type_}\ndata: {payload}\nid: {self.id}:{index + 1}\n\n".encode()


@dataclass(slots=True)
class StreamPlan:
    """Write `run` as an event stream, starting after its first `after` events."""

    run: Run
    after: int = 0


@dataclass(frozen=True, slots=True)
class Request:
    """What an endpoint sees of a request: the decoded path ids, query, headers, body."""

    ids: list[str]
    query: str
    headers: dict[str, str]
    body: bytes

    def validate(self, model: type[RequestBody]) -> dict[str, Any]:
        """The body's fields (defaults filled in), or RequestError: 400/422 as FastAPI says."""
        body = v.decode_body(self.body, self.headers.get("content-type"))
        return v.validate(body, model).model_dump()


@dataclass(frozen=True, slots=True)
class Script:
    events: list[Event] | None = None
    error: str | None = None
    delay: float | None = None
    raw: bytes | None = None


def dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8, non-ASCII kept as is (as FastAPI answers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


#: Marks that already end a sentence: the reply adds no full stop after them.
_SENTENCE_ENDS = (".", "!", "?", "…")


def reply_text(content: str) -> str:
    """The deterministic model's reply to `content`: `content` quoted as one sentence (ended
    with a full stop unless it ends in `.`, `!`, `?` or `…` already), then a fixed sentence."""
    said = content.rstrip()
    if not said.endswith(_SENTENCE_ENDS):
        said += "."
    return f"You said: {said} This is a deterministic reply from the local Phoson server."


_TOKEN = re.compile(r"\s*\S+\s*|\s+")


def split_tokens(text: str) -> list[str]:
    """`text` word by word, each word with its trailing whitespace: they join back to `text`."""
    return _TOKEN.findall(text)


def _detail(status: int, detail: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, dumps({"detail": detail}), headers=headers)


def _same_body(first: bytes, again: bytes) -> bool:
    """Whether two request bodies are the same request (equal JSON, else equal bytes)."""
    if first == again:
        return True
    try:
        return bool(json.loads(first or b"null") == json.loads(again or b"null"))
    except ValueError:
        return False


def _idempotency_key_reused(key: str) -> Response:
    """422 for a key reused with another body (the SDK raises IdempotencyKeyReusedError)."""
    detail = (
        f"Idempotency-Key {key!r} was already used with a different request body; "
        "use a new key for a new request"
    )
    return Response(422, dumps({"detail": detail, "code": "idempotency_key_reused"}))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_AGENT_NOT_FOUND = "Agent not found"
_CONVERSATION_NOT_FOUND = "Conversation not found"

# (path template, {method: endpoint}); None marks an id segment.
_ROUTES: tuple[tuple[tuple[str | None, ...], dict[str, str]], ...] = (
    (("agents",), {"GET": "agents_list", "POST": "agents_create"}),
    (("agents", None), {"GET": "agents_get", "PATCH": "agents_update", "DELETE": "agents_delete"}),
    (("agents", None, "mcps", None), {"POST": "agents_attach_mcp", "DELETE": "agents_detach_mcp"}),
    (("conversations",), {"GET": "conversations_list", "POST": "conversations_create"}),
    (
        ("conversations", None),
        {
            "GET": "conversations_get",
            "PATCH": "conversations_update",
            "DELETE": "conversations_delete",
        },
    ),
    (("conversations", None, "messages"), {"GET": "messages_list", "POST": "messages_create"}),
)


def route(path: str) -> tuple[dict[str, str], list[str]] | None:
    """The route's {method: endpoint} and its decoded ids, or None for an unknown path.

    The path is split on "/" first and each segment decoded after, so an encoded "/" stays
    inside its id."""
    if not path.startswith("/"):
        return None
    segments = [unquote(segment) for segment in path[1:].split("/")]
    for template, methods in _ROUTES:
        if len(template) != len(segments):
            continue
        ids: list[str] = []
        for expected, segment in zip(template, segments, strict=True):
            if expected is None and segment:
                ids.append(segment)
            elif expected != segment:
                break
        else:
            return methods, ids
    return None


def is_stream_request(method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether this request will be answered with an event stream: a valid message body with
    `"stream": true` (decided exactly as the endpoint decides)."""
    if method != "POST" or not path.endswith("/messages"):
        return False
    try:
        values = v.validate(v.decode_body(body, headers.get("content-type")), MessageCreate)
    except v.RequestError:
        return False
    return values.stream


class App:
    """State and behaviour of one local server."""

    lock: threading.Lock
    connections_changed: threading.Condition
    stopping: threading.Event
    faults: FaultQueue
    requests: RequestLog
    runs_created: int
    epoch: int

    def __init__(self, api_key: str, event_delay: float, ping_interval: float | None) -> None:
        self.lock = threading.Lock()
        self.connections_changed = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self.api_key = api_key
        self.event_delay = event_delay
        self.ping_interval = ping_interval
        self.faults = FaultQueue()
        self.active_streams = 0
        self.open_connections = 0
        self._last_time = datetime.now(UTC)
        self.requests = RequestLog()
        self.epoch = 0  # how many resets: see StreamWriter.finish
        self.reset()

    # -- bookkeeping (caller holds the lock) ----------------------------------------------

    def reset(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.runs: dict[str, Run] = {}
        self.scripts: dict[str, deque[Script]] = {}
        self.idempotent: dict[tuple[str, str, str], Response | Run] = {}
        #: The body each idempotency key was first used with: one key means one request.
        self.idempotent_bodies: dict[tuple[str, str, str], bytes] = {}
        self.faults.clear()
        self.runs_created = 0
        self.requests.clear()
        self.disconnects = 0
        self.streams_completed = 0
        # Streams started before this reset may end after it: they are not counted (`epoch`).
        self.epoch += 1

    def stats(self) -> ServerStats:
        return ServerStats(
            runs_created=self.runs_created,
            requests=self.requests.requests(),
            request_bodies=self.requests.bodies(),
            active_streams=self.active_streams,
            disconnects=self.disconnects,
            streams_completed=self.streams_completed,
            open_connections=self.open_connections,
        )

    def _now(self) -> str:
        now = datetime.now(UTC)
        if now <= self._last_time:  # strictly increasing, so ordering by time is stable
            now = self._last_time + timedelta(microseconds=1)
        self._last_time = now
        return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def add_script(self, conversation_id: str, script: Script) -> None:
        if conversation_id not in self.conversations:
            raise KeyError(f"no conversation {conversation_id!r} on this server")
        self.scripts.setdefault(conversation_id, deque()).append(script)

    # -- requests ---------------------------------------------------------------------------

    def fault_response(self, fault: Fault, method: str, path: str) -> Response:
        """The response a request-time fault (fail_next, malformed_next body kinds) sends."""
        if fault.kind == "fail":
            return Response(fault.status, fault.body, fault.content_type, fault.headers)
        if fault.malformed == "not_json":
            page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>Hi</body></html>"
            return Response(200, page, "text/html; charset=utf-8")
        if fault.malformed == "wrong_shape":
            found = route(path)
            listing = found is not None and found[0].get(method, "").endswith("_list")
            item = {"id": 42, "name": None, "created_at": "yesterday"}
            return Response(200, dumps([item] if listing else item))
        if fault.malformed == "empty_error":
            return Response(500, b"", None)
        page = (
            b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
            b"</h1></center><hr><center>nginx</center></body></html>"
        )
        return Response(502, page, "text/html")

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Response | StreamPlan:
        """Route, authenticate, replay or run one request, as FastAPI would answer it."""
        path, _, query = target.partition("?")
        found = route(path)
        if found is None:
            return _detail(404, "Not Found")
        methods, ids = found
        endpoint = methods.get(method)
        if endpoint is None:
            return _detail(405, "Method Not Allowed", (("allow", ", ".join(methods)),))
        with self.lock:
            denied = self._authenticate(headers)
            if denied is not None:
                return denied
            key = headers.get("idempotency-key")
            record_key = (key, method, path) if key and method != "GET" else None
            if record_key is not None and record_key in self.idempotent:
                if not _same_body(self.idempotent_bodies.get(record_key, b""), body):
                    return _idempotency_key_reused(key or "")
                return self._replay(self.idempotent[record_key], headers)
            try:
                request = Request(ids, query, headers, body)
                result: Response | StreamPlan = getattr(self, "_" + endpoint)(request)
            except v.RequestError as refused:
                return _detail(refused.status, refused.detail, refused.headers)
            if record_key is not None:
                self.idempotent[record_key] = (
                    result.run if isinstance(result, StreamPlan) else result
                )
                self.idempotent_bodies[record_key] = body
                if len(self.idempotent) > MAX_IDEMPOTENCY_RECORDS:  # forget the oldest key
                    oldest = next(iter(self.idempotent))
                    del self.idempotent[oldest]
                    self.idempotent_bodies.pop(oldest, None)
            return result

    def _authenticate(self, headers: dict[str, str]) -> Response | None:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        challenge = (("www-authenticate", "Bearer"),)
        if scheme.lower() != "bearer" or not token.strip():
            return _detail(401, "Not authenticated", challenge)
        if not hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            return _detail(401, "Invalid API key", challenge)
        return None

    def _replay(self, record: Response | Run, headers: dict[str, str]) -> Response | StreamPlan:
        replayed = (("idempotent-replayed", "true"),)
        if isinstance(record, Response):
            return Response(
                record.status, record.body, record.content_type, record.headers + replayed
            )
        return StreamPlan(record, _resume_point(headers.get("last-event-id"), record))

    # -- agents -----------------------------------------------------------------------------

    def _agents_list(self, req: Request) -> Response:
        return Response(200, dumps(list(self.agents.values())))

    def _agents_create(self, req: Request) -> Response:
        values = req.validate(AgentCreate)
        now = self._now()
        agent = {
            "id": new_id("agt"),
            "name": values["name"],
            "description": values["description"],
            "memory_type": values["memory_type"],
            "mcp_ids": [],
            "created_at": now,
            "updated_at": now,
        }
        self.agents[agent["id"]] = agent
        return Response(201, dumps(agent))

    def _agents_get(self, req: Request) -> Response:
        agent = self.agents.get(req.ids[0])
        return _detail(404, _AGENT_NOT_FOUND) if agent is None else Response(200, dumps(agent))

    def _agents_update(self, req: Request) -> Response:
        values = req.validate(AgentUpdate)
        agent = self.agents.get(req.ids[0])
        if agent is None:
            return _detail(404, _AGENT_NOT_FOUND)
        agent.update({name: value for name, value in values.items() if value is not None})
        agent["updated_at"] = self._now()
        return Response(200, dumps(agent))

    def _agents_delete(self, req: Request) -> Response:
        if self.agents.pop(req.ids[0], None) is None:
            return _detail(404, _AGENT_NOT_FOUND)
        for conversation in list(self.conversations.values()):
            if conversation["agent_id"] == req.ids[0]:
                self._drop_conversation(conversation["id"])
        return Response(204, None, None)

    def _agents_attach_mcp(self, req: Request) -> Response:
        agent = self.agents.get(req.ids[0])
        if agent is None:
            return _detail(404, _AGENT_NOT_FOUND)
        if req.ids[1] not in agent["mcp_ids"]:
            agent["mcp_ids"].append(req.ids[1])
            agent["updated_at"] = self._now()
        return Response(200, dumps(agent))

    def _agents_detach_mcp(self, req: Request) -> Response:
        agent = self.agents.get(req.ids[0])
        if agent is None:
            return _detail(404, _AGENT_NOT_FOUND)
        if req.ids[1] in agent["mcp_ids"]:
            agent["mcp_ids"].remove(req.ids[1])
            agent["updated_at"] = self._now()
        return Response(200, dumps(agent))

    # -- conversations ----------------------------------------------------------------------

    def _conversations_list(self, req: Request) -> Response:
        agent_ids = parse_qs(req.query, keep_blank_values=True).get("agent_id")
        found = [
            c
            for c in self.conversations.values()
            if agent_ids is None or c["agent_id"] == agent_ids[-1]
        ]
        return Response(200, dumps(found))

    def _conversations_create(self, req: Request) -> Response:
        values = req.validate(ConversationCreate)
        if values["agent_id"] not in self.agents:
            return _detail(404, _AGENT_NOT_FOUND)
        now = self._now()
        conversation = {
            "id": new_id("conv"),
            "agent_id": values["agent_id"],
            "title": values["title"],
            "thread_id": values["thread_id"],
            "created_at": now,
            "updated_at": now,
        }
        self.conversations[conversation["id"]] = conversation
        self.messages[conversation["id"]] = []
        return Response(201, dumps(conversation))

    def _conversations_get(self, req: Request) -> Response:
        conversation = self.conversations.get(req.ids[0])
        if conversation is None:
            return _detail(404, _CONVERSATION_NOT_FOUND)
        return Response(200, dumps(conversation))

    def _conversations_update(self, req: Request) -> Response:
        values = req.validate(ConversationUpdate)
        conversation = self.conversations.get(req.ids[0])
        if conversation is None:
            return _detail(404, _CONVERSATION_NOT_FOUND)
        if values["title"] is not None:
            conversation["title"] = values["title"]
        conversation["updated_at"] = self._now()
        return Response(200, dumps(conversation))

    def _conversations_delete(self, req: Request) -> Response:
        if req.ids[0] not in self.conversations:
            return _detail(404, _CONVERSATION_NOT_FOUND)
        self._drop_conversation(req.ids[0])
        return Response(204, None, None)

    def _drop_conversation(self, conversation_id: str) -> None:
        del self.conversations[conversation_id]
        self.messages.pop(conversation_id, None)
        self.scripts.pop(conversation_id, None)
        for run_id in [
            key for key, run in self.runs.items() if run.conversation_id == conversation_id
        ]:
            del self.runs[run_id]

    # -- messages and runs ------------------------------------------------------------------

    def _messages_list(self, req: Request) -> Response:
        if req.ids[0] not in self.conversations:
            return _detail(404, _CONVERSATION_NOT_FOUND)
        return Response(200, dumps(self.messages[req.ids[0]]))

    def _messages_create(self, req: Request) -> Response | StreamPlan:
        values = req.validate(MessageCreate)
        conversation = self.conversations.get(req.ids[0])
        if conversation is None:
            return _detail(404, _CONVERSATION_NOT_FOUND)
        if values["stream"]:
            # A resume that lost its Idempotency-Key still names its run in Last-Event-ID.
            run_id = (req.headers.get("last-event-id") or "").strip().rpartition(":")[0]
            run = self.runs.get(run_id)
            if run is not None and run.conversation_id == conversation["id"]:
                return StreamPlan(run, _resume_point(req.headers.get("last-event-id"), run))
        run = self._start_run(conversation, values)
        if values["stream"]:
            return StreamPlan(run)
        assert run.result is not None
        return run.result

    def _start_run(self, conversation: dict[str, Any], values: dict[str, Any]) -> Run:
        """Create a run (scripted, or the deterministic model's) and store its messages."""
        conversation_id = conversation["id"]
        queued = self.scripts.get(conversation_id)
        script = queued.popleft() if queued else Script()
        run_id = new_id("run")
        content: str = values["content"]
        history = self.messages[conversation_id]
        history.append(self._message(conversation_id, "user", content, None))
        if script.raw is not None:
            run = Run(run_id, conversation_id, [], script.raw, script.delay)
            run.result = Response(200, script.raw)
        else:
            if script.events is not None:
                events = list(script.events)
                if script.error is not None:
                    events.append(("error", {"message": script.error}))
            else:
                events = self._model_events(conversation, values, run_id)
                if script.error is not None:
                    events[-1] = ("error", {"message": script.error})
            run = Run(run_id, conversation_id, events, None, script.delay)
            run.result = self._settle(run, history)
        self.runs[run_id] = run
        self.runs_created += 1
        conversation["updated_at"] = self._now()
        return run

    def _settle(self, run: Run, history: list[dict[str, Any]]) -> Response:
        """Store the reply of a run that ends with `run_done`, and what `send` answers."""
        for type_, data in run.events:
            if type_ == "run_done":
                text = data.get("content")
                reply = self._message(
                    run.conversation_id, "assistant", text if isinstance(text, str) else "", run.id
                )
                history.append(reply)
                return Response(200, dumps(reply))
            if type_ == "error":
                # A failed run: the same run would fail again, so the SDK must not retry it.
                failed = {"detail": str(data.get("message", "")), "code": "run_failed"}
                return Response(502, dumps(failed), headers=(("x-should-retry", "false"),))
        return _detail(502, "The run ended without a run_done or error event")

    def _message(
        self, conversation_id: str, role: str, content: str, run_id: str | None
    ) -> dict[str, Any]:
        return {
            "id": new_id("msg"),
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "run_id": run_id,
            "created_at": self._now(),
        }

    def _model_events(
        self, conversation: dict[str, Any], values: dict[str, Any], run_id: str
    ) -> list[Event]:
        """The deterministic model's run: reasoning, one lookup per attached MCP, the reply
        word by word, run_done."""
        content: str = values["content"]
        events: list[Event] = []
        effort = values["reasoning_effort"]
        if effort is not None:
            thought = f"Thinking ({effort} effort): the user said {content!r}; repeat it back."
            events.append(("reasoning", {"content": thought}))
        for mcp_id in self.agents[conversation["agent_id"]]["mcp_ids"]:
            tool, call_id = f"{mcp_id}.lookup", new_id("call")
            events.append(
                ("tool_start", {"tool": tool, "input": {"query": content}, "tool_call_id": call_id})
            )
            result = f"{mcp_id} looked up {content!r}: nothing found (local Phoson server)."
            events.append(("tool_end", {"tool": tool, "result": result, "tool_call_id": call_id}))
        reply = reply_text(content)
        events.extend(("token", {"content": token}) for token in split_tokens(reply))
        events.append(("run_done", {"content": reply, "run_id": run_id}))
        return events


def _resume_point(last_event_id: str | None, run: Run) -> int:
    """How many of `run`'s events the client has: n from `Last-Event-ID: <run id>:<n>`, or 0
    (replay everything) when the header is absent or names another run."""
    run_id, sep, number = (last_event_id or "").strip().rpartition(":")
    if sep and run_id == run.id and number.isascii() and number.isdigit():
        return min(int(number), len(run.events))
    return 0


def fail_response(
    status: int,
    *,
    retry_after: str | None,
    retry_after_ms: int | None,
    detail: str | None,
    body: bytes | None,
    content_type: str | None,
) -> tuple[bytes, str | None, tuple[tuple[str, str], ...]]:
    """Body, content type and headers of a `fail_next` response."""
    headers: list[tuple[str, str]] = []
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    if retry_after_ms is not None:
        headers.append(("retry-after-ms", str(retry_after_ms)))
    if body is None:
        body = dumps({"detail": detail if detail is not None else _phrase(status)})
        content_type = content_type or JSON_TYPE
    return body, content_type, tuple(headers)
