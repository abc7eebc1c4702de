"""`LocalPhosonServer`: the public face of the local server."""

from __future__ import annotations

import json
import threading
from types import TracebackType
from typing import Any

from ._app import App, Script, ServerStats, fail_response
from ._faults import BODY_KINDS, EVENT_KINDS, Fault
from ._http import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY_SIZE, HTTPServer
from ._requestlog import DEFAULT_MAX_ENTRIES
from ._transport import LocalAsyncTransport, LocalTransport

__all__ = ["LocalPhosonServer"]


class LocalPhosonServer:
    """A real Phoson Core API on this machine, in memory, for tests (like moto or stripe-mock).

    It serves every endpoint of docs/wire-contract.md over real sockets from a background
    thread, with FastAPI's status codes and error shapes, a deterministic model, idempotent
    replays, resumable streams, scripted runs and fault injection::

        with LocalPhosonServer() as server:
            client = PhosonClient(api_key=server.api_key, base_url=server.url)

    The model answers `content` with `reply_text(content)` = "You said: <content>. This is a
    deterministic reply from the local Phoson server." (no "." added after `?`, `!` or `.`).
    A stream sends `retry: 100` and `: ping`, then one `reasoning` event if `reasoning_effort` was given, a `tool_start`/`tool_end` pair
    (tool "<mcp_id>.lookup") for each MCP attached to the agent, the reply word by word as
    `token` events, and `run_done`. Every event has `id: <run_id>:<n>` (n counts from 1).

    Repeating a POST/PATCH/DELETE with an `Idempotency-Key` already used on the same method
    and path answers the first response again (with `idempotent-replayed: true`) without
    doing the work; for a stream it replays the same run, from after event n when
    `Last-Event-ID: <run_id>:<n>` is sent. Responses are kept once the endpoint ran (success,
    404 for a missing object, a failed run's 502); 401, 422 and injected faults are not kept.

    `transport()` and `async_transport()` reach the same API without a socket (the server
    need not be started). It stays bounded when left running: it records only the latest
    `request_log_size` requests (and at most 32 MiB of their bodies), remembers the latest
    1,000 idempotency keys, closes a keep-alive connection idle for `idle_timeout` seconds,
    and answers 413 to a body over `max_body_size` bytes.

    `api_key`, `event_delay` and `ping_interval` may be changed while the server runs.
    """

    def __init__(
        self,
        *,
        api_key: str = "pk_test",
        host: str = "127.0.0.1",
        port: int = 0,
        event_delay: float = 0.0,
        ping_interval: float | None = None,
        verbose: bool = False,
        request_log_size: int = DEFAULT_MAX_ENTRIES,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if event_delay < 0:
            raise ValueError("event_delay must be >= 0")
        if ping_interval is not None and ping_interval <= 0:
            raise ValueError("ping_interval must be > 0 (or None for no periodic pings)")
        if request_log_size < 1:
            raise ValueError("request_log_size must be >= 1")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError("idle_timeout must be > 0 (or None to keep idle connections)")
        if max_body_size < 0:
            raise ValueError("max_body_size must be >= 0")
        self._app = App(api_key, event_delay, ping_interval)
        self._app.requests.max_entries = request_log_size
        self._host = host
        self._port = port
        self._verbose = verbose
        self._idle_timeout = idle_timeout
        self._max_body_size = max_body_size
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # -- configuration ----------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The one key the server accepts (`Authorization: Bearer <api_key>`)."""
        return self._app.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self._app.api_key = value

    @property
    def event_delay(self) -> float:
        """Seconds between two stream events (a scripted run's `delay` wins)."""
        return self._app.event_delay

    @event_delay.setter
    def event_delay(self, value: float) -> None:
        if value < 0:
            raise ValueError("event_delay must be >= 0")
        self._app.event_delay = value

    @property
    def ping_interval(self) -> float | None:
        """Seconds between `: ping` heartbeats while a stream waits between events (None: only
        the ping at the start of each stream)."""
        return self._app.ping_interval

    @ping_interval.setter
    def ping_interval(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("ping_interval must be > 0 (or None)")
        self._app.ping_interval = value

    @property
    def url(self) -> str:
        """The base URL, e.g. "http://127.0.0.1:54321" (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: call start() or use `with`")
        host = self._httpd.server_name
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose when created with port=0)."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: call start() or use `with`")
        return self._httpd.server_port

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def stats(self) -> ServerStats:
        """A snapshot of the counters: runs_created, requests (+ request_bodies),
        active_streams, disconnects, streams_completed, open_connections."""
        with self._app.lock:
            return self._app.stats()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "stopped"
        return f"<LocalPhosonServer {where}>"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalPhosonServer:
        """Bind and serve from a daemon thread; returns self. Starting a running server does
        nothing; a stopped one starts again (with its data, on a new port if port was 0)."""
        with self._lifecycle:
            if self._httpd is not None:
                return self
            self._app.stopping.clear()
            httpd = HTTPServer(
                (self._host, self._port),
                self._app,
                verbose=self._verbose,
                max_body_size=self._max_body_size,
                idle_timeout=self._idle_timeout,
            )
            thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"phoson-local-server:{httpd.server_port}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
            return self

    def stop(self) -> None:
        """Stop serving and close every open connection (streams end at once). Idempotent."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            if httpd is None or thread is None:
                return
            self._httpd = self._thread = None
            self._app.stopping.set()
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections(timeout=2)
            thread.join(timeout=2)

    def __enter__(self) -> LocalPhosonServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- in-process transports --------------------------------------------------------------

    def transport(self) -> LocalTransport:
        """An `httpx` transport that hands requests straight to this server's API: no socket,
        no thread, and the server need not be started. Streams still arrive event by event
        and faults still apply::

            http = httpx.Client(transport=server.transport())
            client = PhosonClient(api_key=server.api_key, base_url="http://phoson.localhost",
                                  http_client=http)
        """
        return LocalTransport(self._app, self._max_body_size)

    def async_transport(self) -> LocalAsyncTransport:
        """`transport()` for an `httpx.AsyncClient` (asyncio or trio)."""
        return LocalAsyncTransport(self._app, self._max_body_size)

    def reset(self) -> None:
        """Forget everything: agents, conversations, messages, runs, idempotency records,
        scripts, armed faults, and the counters (except the live `active_streams` and
        `open_connections`)."""
        with self._app.lock:
            self._app.reset()

    # -- scripting --------------------------------------------------------------------------

    def script_next_run(
        self,
        conversation_id: str,
        *,
        events: list[tuple[str, dict[str, Any]]] | None = None,
        error: str | None = None,
        delay: float | None = None,
        raw: bytes | None = None,
    ) -> None:
        """Decide what the next run in this conversation does (scripts queue up, one per run).

        - `events`: the run emits exactly these `(type, fields)` events (any type name, even
          unknown ones such as "usage"; `"type"` is added to the JSON unless given), then
          `error` if given. Nothing is added: leave out `run_done` to end without one.
        - `error` alone: the model's normal events, but an `error` event `{"message": error}`
          instead of `run_done`.
        - `delay`: seconds between this run's events (instead of `event_delay`).
        - `raw`: these exact bytes are the whole stream body (no retry line, ping or ids).

        The user message is stored in every case; the assistant message only when the run
        ends with `run_done` (its `content`, the server's run id as `run_id`).
        `messages.send` answers such a run with: 200 and the assistant message after
        `run_done`; 502 `{"detail": <message>}` after `error` (502: the model provider behind
        the API failed; the SDK retries it with the same Idempotency-Key and gets the same
        502, the run is not repeated); 502 when the events end without either; 200 with `raw`
        as the body (content-type application/json) for a raw script.

        Raises KeyError for an unknown conversation, ValueError for an unusable script.
        """
        if raw is not None and (events is not None or error is not None):
            raise ValueError("raw replaces the whole stream: give it without events or error")
        if delay is not None and delay < 0:
            raise ValueError("delay must be >= 0")
        checked: list[tuple[str, dict[str, Any]]] | None = None
        if events is not None:
            checked = []
            for type_, fields in events:
                if not type_ or "\n" in type_ or "\r" in type_:
                    raise ValueError(f"unusable event type {type_!r}")
                json.dumps(fields)  # fail now, not in the server thread
                checked.append((type_, dict(fields)))
        with self._app.lock:
            self._app.add_script(conversation_id, Script(checked, error, delay, raw))

    # -- fault injection --------------------------------------------------------------------
    # Armed faults wait in one queue, oldest first; each request takes the oldest one that
    # matches it (`path`: prefix of the request path, without the query). Stream faults
    # (cut_stream_after, malformed_next's event kinds) match only stream requests, and a
    # stream request they match is served normally and then spoiled. delay_headers adds to
    # whatever else happens. Faults act before routing and auth, like a proxy in front.

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: str | None = None,
        retry_after_ms: int | None = None,
        detail: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next `times` requests get `status` without any work done: body `{"detail":
        detail}` (detail defaults to the status phrase, e.g. "Service Unavailable"), or `body`
        as is with `content_type` (none by default); `Retry-After` / `retry-after-ms`
        headers when given."""
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), not {status!r}")
        data, media, headers = fail_response(
            status,
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
            detail=detail,
            body=body,
            content_type=content_type,
        )
        self._arm(
            Fault(
                "fail", times, path, status=status, headers=headers, body=data, content_type=media
            )
        )

    def drop_next(self, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` requests are read, then their connection is closed with no response."""
        self._arm(Fault("drop", times, path))

    def cut_stream_after(self, k: int, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` streams (resumed ones included) break after `k` events: the
        connection closes with no terminating chunk. k=0 cuts right after the headers."""
        if k < 0:
            raise ValueError("k must be >= 0")
        self._arm(Fault("cut", times, path, cut_after=k))

    def stall_stream_after(
        self, k: int, seconds: float, *, times: int = 1, path: str | None = None
    ) -> None:
        """The next `times` streams (resumed ones included) fall silent for `seconds` after
        `k` events (no byte, not even a ping), then go on. k=0: right after the headers."""
        if k < 0:
            raise ValueError("k must be >= 0")
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._arm(Fault("stall", times, path, cut_after=k, seconds=seconds))

    def delay_headers(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` requests wait `seconds` before their response starts."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._arm(Fault("delay", times, path, seconds=seconds))

    def malformed_next(self, kind: str, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` requests (streams, for the event kinds) get a broken answer:

        - "not_json": 200, text/html page.
        - "wrong_shape": 200 JSON with missing fields and wrong types (a list of one such
          item for list endpoints).
        - "empty_error": 500 with an empty body. "html_error": 502 with an HTML page.
        - "bad_event_json" / "bad_event_fields": the stream runs for real, but its first
          `token` event (the first event if it has none) carries data that is not JSON, or
          JSON with none of the event's fields.
        """
        if kind not in BODY_KINDS | EVENT_KINDS:
            raise ValueError(f"unknown kind {kind!r}: one of {sorted(BODY_KINDS | EVENT_KINDS)}")
        self._arm(Fault("malformed", times, path, malformed=kind))

    def _arm(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("a fault must apply to at least one request")
        with self._app.lock:
            self._app.faults.arm(fault)
