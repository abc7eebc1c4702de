"""Client settings: the constructor's arguments resolved against the environment. No I/O.

Both clients build one `ClientConfig` and derive copies from it for `with_options`. The API key
lives here and nowhere else; `repr` shows only that one is set. Every setting is checked here,
when the client is made, so a mistake fails early with a `PhosonError` rather than mid-request.
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import re
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias, cast
from urllib.parse import parse_qsl

import httpx

from ._deadline import Deadline, deadline_for
from ._exceptions import InsecureTransportWarning, InvalidArgumentError, PhosonError
from ._options import (
    SECRET_HEADERS,
    check_bool,
    check_header_value,
    check_headers,
    check_idempotency_key,
    check_key_function,
    check_max_event_size,
    check_max_retries,
    check_query,
    check_seconds,
    check_timeout,
    option_error,
)
from ._redact import REDACTED, clean_cause, redact, remember_key
from ._sse import DEFAULT_MAX_EVENT_SIZE
from ._tracing import OTEL_ENV, env_flag
from ._types import NOT_GIVEN, HeaderValue, NotGiven, RequestOptions, TimeoutTypes
from ._wire import EVENT_STREAM, JSON, USER_AGENT, Call, encode_body

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiKey",
    "ClientConfig",
    "as_timeout",
    "build_request",
    "call_deadline",
    "check_api_key",
    "check_header_value",
    "forget_credentials",
    "merge_headers",
    "merge_query",
    "new_idempotency_key",
    "refresh_attempt_headers",
    "resolve_config",
]

#: An API key, or a function returning the current one (rotating credentials): called once
#: per attempt (each retry and each stream resume asks again), never logged.
ApiKey: TypeAlias = str | Callable[[], str]

DEFAULT_BASE_URL = "https://api.phoson.ai"
API_KEY_ENV = "PHOSON_API_KEY"
BASE_URL_ENV = "PHOSON_BASE_URL"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything a client needs to build a request, besides the connection pool."""

    api_key: ApiKey = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    #: The caller's headers for every request, one per name (a None value removes that header,
    #: the SDK's own included).
    default_headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    #: The largest single stream event accepted, in bytes.
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    #: Query parameters sent with every request (a call's own and `extra_query` win).
    default_query: Mapping[str, Any] = field(default_factory=dict)
    #: False: a response item of the wrong shape is built without validation (and logged)
    #: instead of failing the whole call.
    strict_response_validation: bool = True
    #: One OpenTelemetry span per call (`phoson._tracing`), over this provider (None: global).
    open_telemetry: bool = False
    tracer_provider: object | None = field(default=None, repr=False)
    #: Seconds for a whole call, every retry, wait and resume included (None: no deadline).
    deadline: float | None = None
    #: The longest silence between two bytes of a stream before it resumes (None: the read
    #: timeout).
    stream_idle_timeout: float | None = None

    def __repr__(self) -> str:
        shown = {
            name: REDACTED if name.lower() in SECRET_HEADERS and value else value
            for name, value in self.default_headers.items()
        }
        return redact(
            f"ClientConfig(base_url={self.base_url!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, default_headers={shown!r}, "
            f"max_event_size={self.max_event_size!r}, default_query={self.default_query!r}, "
            f"strict_response_validation={self.strict_response_validation!r}, "
            f"open_telemetry={self.open_telemetry!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            "a ClientConfig holds the API key and is not pickled; make a client in each process"
        )

    def copy_with(self, **changes: Any) -> ClientConfig:
        """A copy with the given settings changed, checked as the constructor checks them.

        `default_headers` are merged into this config's (a None value removes one).
        """
        if "api_key" in changes:
            changes["api_key"] = _check_key_source(changes["api_key"])
        if "timeout" in changes:
            changes["timeout"] = check_timeout(changes["timeout"])
        if "base_url" in changes:
            changes["base_url"] = _clean_base_url(changes["base_url"])
        if "max_retries" in changes:
            check_max_retries(changes["max_retries"])
        if "max_event_size" in changes:
            check_max_event_size(changes["max_event_size"])
        for name in ("deadline", "stream_idle_timeout"):
            if name in changes:
                check_seconds(changes[name], name)
        if "default_headers" in changes:
            given = check_headers(changes["default_headers"], "default_headers")
            changes["default_headers"] = merge_headers(self.default_headers, given)
        if "default_query" in changes:
            changes["default_query"] = _merged_query(self.default_query, changes["default_query"])
        if "strict_response_validation" in changes:
            check_bool(changes["strict_response_validation"], "strict_response_validation")
        if "open_telemetry" in changes:
            check_bool(changes["open_telemetry"], "open_telemetry")
        config = replace(self, **changes)
        if "base_url" in changes or "api_key" in changes:
            _warn_if_insecure(config.base_url)
        return config

    def authorization(self) -> str:
        """The `Authorization` value: the key, or what the key function returns now."""
        api_key = self.api_key
        if callable(api_key):
            api_key = _call_key_function(api_key)
        else:
            remember_key(api_key)  # used again: it stays among the keys redacted
        return f"Bearer {api_key}"


def _call_key_function(function: Callable[[], str]) -> str:
    """The key a key function returns, checked (and registered for redaction) like any key."""
    try:
        key: object = function()
    except Exception as exc:
        # Only the exception's type: its message might quote a secret. It is chained redacted,
        # or not at all if its traceback would still show a key.
        cause = clean_cause(exc)
        error = PhosonError(
            f"the api_key function raised {type(exc).__name__}; no request was sent"
            + ("" if cause is not None else " (its message is not shown: it quoted an API key)")
        )
        raise error from cause
    if inspect.iscoroutine(key):
        key.close()  # never awaited: closed, so that Python does not warn about it
        raise option_error(
            "api_key",
            function,
            "a str or a plain function returning one (this one returned a coroutine)",
            wrong_type=False,
            show=False,
        )
    if not isinstance(key, str):
        raise TypeError(f"the api_key function must return a str, not {type(key).__name__}")
    return check_api_key(key)


#: The SDK's headers that change from one attempt of a call to the next.
_RETRY_COUNT = "X-Phoson-Retry-Count"


def refresh_attempt_headers(
    request: httpx.Request, config: ClientConfig, options: RequestOptions, retries_done: int
) -> None:
    """Before a retry: count it in `X-Phoson-Retry-Count`, and ask a key function for the key
    again (a rotated key takes effect at once). A header the caller set (in `default_headers`
    or `extra_headers`, any letter case) stays the caller's, on every attempt."""
    given = _caller_header_names(config, options)
    if _RETRY_COUNT.lower() not in given:
        request.headers[_RETRY_COUNT] = str(retries_done)
    if callable(config.api_key) and "authorization" not in given:
        request.headers["Authorization"] = config.authorization()


def forget_credentials(request: httpx.Request, response: httpx.Response | None = None) -> None:
    """Once a call's last attempt is over: blank the request's credential headers, so that the
    `httpx.Request` a caller can reach (`stream.response.request`, an error's `response`,
    `cast_to=httpx.Response`) holds no key. One pass over the headers (about 2 us a call).

    The response's headers stay as the server sent them (a `RawResponse` pickles them redacted).
    """
    found = [
        name.decode("latin-1")
        for name, _ in request.headers.raw
        if name.lower() in _SECRET_HEADER_BYTES
    ]
    for name in found:
        request.headers[name] = REDACTED


#: `SECRET_HEADERS` as the bytes `httpx.Headers.raw` holds.
_SECRET_HEADER_BYTES = frozenset(name.encode() for name in SECRET_HEADERS)


def _caller_header_names(config: ClientConfig, options: RequestOptions) -> set[str]:
    return {
        name.lower() for name in (*config.default_headers, *(options.get("extra_headers") or ()))
    }


def as_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """Normalise a timeout argument: a number is a total, an `httpx.Timeout` is kept."""
    return check_timeout(timeout)


#: A host name or IPv4 address as it may appear in a URL (IPv6 literals are checked apart).
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9.])?")
#: What an echoed event id may contain: a header value's characters, plus any non-ASCII.
_EVENT_ID = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


def _clean_base_url(base_url: str) -> str:
    """Check `base_url` now, so that a typo fails at construction rather than on the first call."""
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    text = base_url.strip()
    problem = None
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        problem = str(exc)
    else:
        host = url.raw_host.decode("ascii", "replace")
        if url.scheme not in ("http", "https"):
            problem = "it needs a scheme, http:// or https://"
        elif any(ch.isspace() or not ch.isprintable() for ch in text):
            problem = "it contains a space or a control character"
        elif not host:
            problem = "it has no host"
        elif not (_HOST.fullmatch(host) or (":" in host and _is_ip(host))):
            problem = f"{host!r} is not a valid host name"
        elif url.port is not None and not 0 < url.port < 65536:
            problem = f"port {url.port} is out of range (1-65535)"
    if problem is not None:
        raise InvalidArgumentError(
            f"base_url {base_url!r} is not a usable URL: {problem}; "
            f"expected something like {DEFAULT_BASE_URL!r}"
        )
    return str(url).rstrip("/")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    """localhost (and *.localhost), 127.0.0.0/8 and ::1: traffic that never leaves the machine."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warn_if_insecure(base_url: str) -> None:
    """Warn (once per client) that the key is about to travel in clear text."""
    url = httpx.URL(base_url)
    if url.scheme == "http" and not _is_loopback(url.host):
        warnings.warn(
            f"base_url {base_url!r} is plain http:// to a host that is not loopback: the API "
            "key will be sent unencrypted. Use https://, or filter "
            "phoson.InsecureTransportWarning if the network is trusted.",
            InsecureTransportWarning,
            stacklevel=4,
        )


def check_api_key(api_key: str) -> str:
    """The key as it will be sent: surrounding whitespace (a trailing newline from a file or a
    secret) stripped. Any other character that cannot go in a header is refused, with a
    message that shows neither the key nor the character."""
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
    key = api_key.strip()
    for position, char in enumerate(key):
        if not ("!" <= char <= "~"):
            kind = "a non-ASCII character" if not char.isascii() else "a space or control character"
            raise InvalidArgumentError(
                f"api_key contains {kind} at position {position} (of {len(key)}); an API key "
                "is visible ASCII only. Check how the key was copied or read."
            )
    if not key:
        raise InvalidArgumentError("api_key is empty (or only whitespace)")
    remember_key(key)
    return key


def merge_headers(*sources: Mapping[str, HeaderValue] | None) -> dict[str, HeaderValue]:
    """The one header merge: every source of headers, lowest precedence first, into one
    mapping with one entry per name in any letter case.

    A name in a later source replaces that name from every earlier one, whatever its case (so
    an `authorization` the caller gives replaces the SDK's `Authorization`, and the caller's
    spelling is the one sent). A None value removes the header; it is kept as None, so that a
    later merge (and the request, over `http_client`'s own headers) removes it too.
    """
    merged: dict[str, HeaderValue] = {}
    lower_to_name: dict[str, str] = {}
    for source in sources:
        if not source:
            continue
        for name, value in source.items():
            lower = name.lower()
            previous = lower_to_name.get(lower)
            if previous is not None:
                del merged[previous]
            lower_to_name[lower] = name
            merged[name] = value
    return merged


def _check_key_source(api_key: ApiKey) -> ApiKey:
    """A key is checked now; a key function only has to be a plain callable (it is called per
    attempt)."""
    if callable(api_key):
        return check_key_function(api_key)
    return check_api_key(api_key)


def _merged_query(query: Mapping[str, Any], changes: object) -> dict[str, Any]:
    """`query` with `changes` merged in; a None value removes a parameter."""
    merged = dict(query)
    for name, value in check_query(changes, "default_query").items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def resolve_config(
    *,
    api_key: ApiKey | None,
    base_url: str | None,
    timeout: TimeoutTypes,
    max_retries: int,
    default_headers: Mapping[str, HeaderValue] | None,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    default_query: Mapping[str, Any] | None = None,
    strict_response_validation: bool = True,
    open_telemetry: bool | None = None,
    tracer_provider: object | None = None,
    deadline: float | None = None,
    stream_idle_timeout: float | None = None,
) -> ClientConfig:
    """Resolve constructor arguments: explicit values, then `PHOSON_*` variables, then defaults."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    if api_key is None or (isinstance(api_key, str) and not api_key.strip()):
        raise PhosonError(
            f"No API key: pass api_key=... to the client or set the {API_KEY_ENV} environment "
            "variable (get a key from the dashboard settings). No account yet: "
            "`python -m phoson.testing` runs a local server and prints the PHOSON_API_KEY "
            "and PHOSON_BASE_URL to set (on the command line: `phoson --local`)."
        )
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    check_max_retries(max_retries)
    check_max_event_size(max_event_size)
    if open_telemetry is None:
        # Tracing: PHOSON_OTEL decides, else giving a tracer provider turns it on.
        open_telemetry = env_flag(OTEL_ENV)
        if open_telemetry is None:
            open_telemetry = tracer_provider is not None
    headers = merge_headers(check_headers(default_headers or {}, "default_headers"))
    check_bool(strict_response_validation, "strict_response_validation")
    if open_telemetry is not None:
        check_bool(open_telemetry, "open_telemetry")
    config = ClientConfig(
        api_key=_check_key_source(api_key),
        base_url=_clean_base_url(base_url),
        timeout=check_timeout(timeout),
        max_retries=max_retries,
        default_headers=headers,
        max_event_size=max_event_size,
        default_query=_merged_query({}, default_query or {}),
        strict_response_validation=strict_response_validation,
        open_telemetry=open_telemetry,
        tracer_provider=tracer_provider,
        deadline=check_seconds(deadline, "deadline"),
        stream_idle_timeout=check_seconds(stream_idle_timeout, "stream_idle_timeout"),
    )
    _warn_if_insecure(config.base_url)
    return config


def call_deadline(config: ClientConfig, options: RequestOptions) -> Deadline | None:
    """The deadline of a call starting now: the call's `deadline=`, else the client's."""
    if "deadline" in options:
        return deadline_for(check_seconds(options["deadline"], "deadline"))
    return deadline_for(config.deadline)


def new_idempotency_key() -> str:
    """A fresh `Idempotency-Key`: one per call, reused by every retry and resume of it."""
    return str(uuid.uuid4())


def build_request(
    http: httpx.Client | httpx.AsyncClient,
    config: ClientConfig,
    call: Call,
    options: RequestOptions,
    *,
    idempotency_key: str | None = None,
    last_event_id: str | None = None,
) -> httpx.Request:
    """Turn a `Call` and its per-call options (checked by `check_call_options`) into the
    `httpx.Request` to send. No I/O.

    Headers, lowest precedence first: `http_client`'s own, the SDK's, `default_headers`, then
    `extra_headers`; each name goes out once, in the winner's spelling (`merge_headers`).
    Query parameters: `http_client`'s own, `default_query`, the query written in the path, the
    call's `params`, then `extra_query` (`merge_query`).
    """
    # 1. The body: the call's JSON with `extra_body` merged in (None when there is none).
    extra_body = cast("Mapping[str, Any] | None", options.get("extra_body"))  # write calls only
    content = encode_body(call, extra_body)
    # 2. The headers: the SDK's for this attempt, then the caller's.
    sdk: dict[str, HeaderValue] = {
        "Authorization": config.authorization(),
        "Accept": call.accept,
        "User-Agent": USER_AGENT,
    }
    if content is not None:
        sdk["Content-Type"] = JSON
    sdk[_RETRY_COUNT] = "0"  # the requester counts up on each retry
    if call.changes_state:
        given = options.get("idempotency_key")
        sdk["Idempotency-Key"] = (
            check_idempotency_key(given)
            if given is not None
            else idempotency_key or new_idempotency_key()
        )
    if last_event_id:
        sdk["Last-Event-ID"] = _last_event_id_header(last_event_id)  # type: ignore[assignment]
    merged = merge_headers(sdk, config.default_headers, options.get("extra_headers"))
    headers = {name: value for name, value in merged.items() if value is not None}
    # 3. Query parameters, and the path without its query.
    path, params = merge_query(
        call.path,
        config.default_query,
        call.params,
        options.get("extra_query"),
        # httpx replaces a URL's query with its client's `params`: then the path's goes too.
        keep_as_written=not http.params,
    )
    # 4. The timeout of this call, else the client's (also for `timeout=NOT_GIVEN`).
    given = options.get("timeout", NOT_GIVEN)
    timeout = config.timeout if isinstance(given, NotGiven) else as_timeout(given)
    if call.accept == EVENT_STREAM:
        # A stream's read timeout is its idle timeout, when one is set.
        idle = options.get("stream_idle_timeout", config.stream_idle_timeout)
        if idle is not None:
            timeout = httpx.Timeout(
                connect=timeout.connect, read=idle, write=timeout.write, pool=timeout.pool
            )
    request = http.build_request(
        call.method,
        config.base_url + path,
        params=params,
        content=content,
        headers=headers,
        timeout=timeout,
    )
    if len(headers) != len(merged):
        # A None removes the header altogether: `http_client`'s own of that name too.
        for name, value in merged.items():
            if value is None:
                request.headers.pop(name, None)
    return request


def merge_query(
    path: str, *sources: Mapping[str, Any] | None, keep_as_written: bool = True
) -> tuple[str, list[tuple[str, Any]] | None]:
    """The one query merge: `path`'s own query (`/agents?a=1`) and every source of parameters
    (`default_query`, the call's `params`, `extra_query`, lowest precedence first) into the path
    to send and its parameters.

    A name in a later source replaces that name from every earlier one, the path's included; a
    None value removes it; a list value sends the name once per item. The path's query is
    placed after the first source (the client's `default_query`) and before the call's own.
    Nothing the caller wrote is dropped. With no sources the path is sent as written (unless
    `keep_as_written` is false: then its query comes back as parameters).
    """
    if not any(sources) and (keep_as_written or "?" not in path):
        return path, None
    path, mark, query = path.partition("?")
    layers: list[Iterable[tuple[str, Any]]] = []
    for index, source in enumerate(sources):
        if index == 1 and mark:
            layers.append(_path_query(query))
        if source:
            layers.append(source.items())
    if len(sources) < 2 and mark:
        layers.append(_path_query(query))
    merged: dict[str, list[Any]] = {}
    for layer in layers:
        replaced: set[str] = set()
        for name, value in layer:
            if name not in replaced:
                merged.pop(name, None)
                replaced.add(name)
            if value is None:
                continue
            values = value if isinstance(value, list | tuple) else [value]
            merged.setdefault(name, []).extend(values)
    return path, [(name, value) for name, values in merged.items() for value in values]


def _path_query(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query.partition("#")[0], keep_blank_values=True)


def _last_event_id_header(event_id: str) -> str | bytes:
    """The `Last-Event-ID` value for a server's event id: as is when ASCII, else its UTF-8
    bytes (as browsers send it). An id with a control character cannot be echoed in a header
    at all: the stream cannot resume (a `PhosonError`)."""
    if _EVENT_ID.fullmatch(event_id):
        return event_id if event_id.isascii() else event_id.encode()
    raise PhosonError(
        "cannot resume the stream: the server's last event id contains a control character"
    )
