"""Client settings: the constructor's arguments resolved against the environment. No I/O.

Both clients build one `ClientConfig` and derive copies from it for `with_options`. The API key
lives here and nowhere else; `repr` shows only that one is set. Every setting is checked here,
when the client is made, so a mistake fails early with a `PhosonError` rather than mid-request.
"""

from __future__ import annotations

import ipaddress
import os
import re
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias, cast

import httpx

from ._exceptions import InsecureTransportWarning, PhosonError
from ._redact import remember_key
from ._sse import DEFAULT_MAX_EVENT_SIZE
from ._tracing import OTEL_ENV, env_flag
from ._types import HeaderValue, RequestOptions, TimeoutTypes
from ._wire import JSON, USER_AGENT, Call, encode_body

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiKey",
    "ClientConfig",
    "as_timeout",
    "build_request",
    "check_api_key",
    "check_header_value",
    "merge_headers",
    "new_idempotency_key",
    "refresh_authorization",
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
    default_headers: Mapping[str, str] = field(default_factory=dict)
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

    def copy_with(self, **changes: Any) -> ClientConfig:
        """A copy with the given settings changed, checked as the constructor checks them.

        `default_headers` are merged into this config's (a None value removes one).
        """
        if "api_key" in changes:
            changes["api_key"] = _check_key_source(changes["api_key"])
        if "timeout" in changes:
            changes["timeout"] = as_timeout(changes["timeout"])
        if "base_url" in changes:
            changes["base_url"] = _clean_base_url(changes["base_url"])
        if "max_retries" in changes:
            _check_retries(changes["max_retries"])
        if "default_headers" in changes:
            merged = dict(self.default_headers)
            merge_headers(merged, _checked_headers(changes["default_headers"]))
            changes["default_headers"] = merged
        if "default_query" in changes:
            changes["default_query"] = _merged_query(self.default_query, changes["default_query"])
        if "strict_response_validation" in changes:
            _check_bool("strict_response_validation", changes["strict_response_validation"])
        if "open_telemetry" in changes and not isinstance(changes["open_telemetry"], bool):
            raise PhosonError(
                f"open_telemetry must be True or False, got {changes['open_telemetry']!r}"
            )
        config = replace(self, **changes)
        if "base_url" in changes or "api_key" in changes:
            _warn_if_insecure(config.base_url)
        return config

    def headers_for(self, call: Call) -> dict[str, Any]:
        """The headers every request of `call` carries (the key, Accept, User-Agent, defaults)."""
        headers: dict[str, Any] = {
            "Authorization": self.authorization(),
            "Accept": call.accept,
            "User-Agent": USER_AGENT,
        }
        if self.default_headers:
            merge_headers(headers, self.default_headers)
        return headers

    def authorization(self) -> str:
        """The `Authorization` value: the key, or what the key function returns now."""
        api_key = self.api_key
        if callable(api_key):
            api_key = _call_key_function(api_key)
        return f"Bearer {api_key}"


def _call_key_function(function: Callable[[], str]) -> str:
    """The key a key function returns, checked (and registered for redaction) like any key."""
    try:
        key = function()
    except Exception as exc:
        # Only the exception's type: its message might quote a secret.
        raise PhosonError(
            f"the api_key function raised {type(exc).__name__}; no request was sent"
        ) from exc
    if not isinstance(key, str):
        raise PhosonError(f"the api_key function must return a str, not {type(key).__name__}")
    return check_api_key(key)


def refresh_authorization(
    request: httpx.Request, config: ClientConfig, options: RequestOptions
) -> None:
    """Before a retry: ask a key function for the key again (a rotated key takes effect at
    once), unless the caller set `Authorization` themselves. A plain key is left alone."""
    if not callable(config.api_key):
        return
    given = [*config.default_headers, *(options.get("extra_headers") or {})]
    if any(name.lower() == "authorization" for name in given):
        return
    request.headers["Authorization"] = config.authorization()


def as_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """Normalise a timeout argument: a number is a total, an `httpx.Timeout` is kept."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


#: A host name or IPv4 address as it may appear in a URL (IPv6 literals are checked apart).
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9.])?")
#: What may appear in an HTTP header value: visible ASCII, spaces and tabs.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
#: What may appear in an HTTP header name (an RFC 9110 token).
#: What an echoed event id may contain: a header value's characters, plus any non-ASCII.
_EVENT_ID = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _clean_base_url(base_url: str) -> str:
    """Check `base_url` now, so that a typo fails at construction rather than on the first call."""
    if not isinstance(base_url, str):
        raise PhosonError(f"base_url must be a str, not {type(base_url).__name__}")
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
        raise PhosonError(
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
        raise PhosonError(f"api_key must be a str, not {type(api_key).__name__}")
    key = api_key.strip()
    for position, char in enumerate(key):
        if not ("!" <= char <= "~"):
            kind = "a non-ASCII character" if not char.isascii() else "a space or control character"
            raise PhosonError(
                f"api_key contains {kind} at position {position} (of {len(key)}); an API key "
                "is visible ASCII only. Check how the key was copied or read."
            )
    if not key:
        raise PhosonError("api_key is empty (or only whitespace)")
    remember_key(key)
    return key


def check_header_value(name: str, value: object) -> str:
    """`value` if it can be sent as header `name`, else a `PhosonError` naming the header.

    The value is never quoted in the error: it may be a secret.
    """
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise PhosonError(f"{name!r} is not a valid HTTP header name")
    if not isinstance(value, str):
        raise PhosonError(f"header {name!r} must be a str, not {type(value).__name__}")
    if not _HEADER_VALUE.fullmatch(value):
        position = next(i for i, ch in enumerate(value) if not _HEADER_VALUE.fullmatch(ch))
        kind = "a non-ASCII character" if not value[position].isascii() else "a control character"
        raise PhosonError(
            f"header {name!r} has {kind} at position {position}: header values are ASCII "
            "(encode other text, for example with urllib.parse.quote)"
        )
    return value


def _checked_headers(headers: Mapping[str, HeaderValue]) -> dict[str, HeaderValue]:
    """Headers given by the caller, each checked (None, which removes a header, passes)."""
    return {
        name: None if value is None else check_header_value(name, value)
        for name, value in headers.items()
    }


def merge_headers(headers: dict[str, Any], extra: Mapping[str, HeaderValue]) -> None:
    """Merge `extra` into `headers` in place: one header per name, in any letter case.

    A name in `extra` replaces every header of the same name whatever its case (so an
    `authorization` given by the caller replaces the SDK's `Authorization`); a None value
    removes the header.
    """
    for name, value in extra.items():
        lower = name.lower()
        for existing in [k for k in headers if k.lower() == lower]:
            del headers[existing]
        if value is not None:
            headers[name] = value


def _check_key_source(api_key: ApiKey) -> ApiKey:
    """A key is checked now; a key function only has to be callable (it is called per attempt)."""
    if callable(api_key):
        return api_key
    return check_api_key(api_key)


def _merged_query(query: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`query` with `changes` merged in; a None value removes a parameter."""
    if not isinstance(changes, Mapping):
        raise PhosonError(f"default_query must be a mapping, not {type(changes).__name__}")
    merged = dict(query)
    for name, value in changes.items():
        if not isinstance(name, str):
            raise PhosonError(f"default_query names must be str, got {name!r}")
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise PhosonError(f"{name} must be True or False, got {value!r}")


def _check_retries(max_retries: int) -> None:
    if not isinstance(max_retries, int) or max_retries < 0:
        raise PhosonError(f"max_retries must be a whole number >= 0, got {max_retries!r}")


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
    _check_retries(max_retries)
    if open_telemetry is None:
        # Tracing: PHOSON_OTEL decides, else giving a tracer provider turns it on.
        open_telemetry = env_flag(OTEL_ENV)
        if open_telemetry is None:
            open_telemetry = tracer_provider is not None
    headers: dict[str, str] = {}
    merge_headers(headers, _checked_headers(default_headers or {}))
    _check_bool("strict_response_validation", strict_response_validation)
    config = ClientConfig(
        api_key=_check_key_source(api_key),
        base_url=_clean_base_url(base_url),
        timeout=as_timeout(timeout),
        max_retries=max_retries,
        default_headers=headers,
        max_event_size=max_event_size,
        default_query=_merged_query({}, default_query or {}),
        strict_response_validation=strict_response_validation,
        open_telemetry=open_telemetry,
        tracer_provider=tracer_provider,
    )
    _warn_if_insecure(config.base_url)
    return config


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
    """Turn a `Call` and its per-call options into the `httpx.Request` to send. No I/O.

    Each header goes out once: a name the caller gives (in `default_headers` or
    `extra_headers`, in any letter case) replaces the SDK's own.
    """
    # 1. The body: the call's JSON with `extra_body` merged in (None when there is none).
    extra_body = cast("Mapping[str, Any] | None", options.get("extra_body"))  # write calls only
    content = encode_body(call, extra_body)
    # 2. The SDK's headers (with the client's default headers merged in), then the call's own,
    #    then what the caller added to this call.
    headers = config.headers_for(call)
    if content is not None:
        headers.setdefault("Content-Type", JSON)
    headers["X-Phoson-Retry-Count"] = "0"  # the requester counts up on each retry
    if call.changes_state:
        given = options.get("idempotency_key")
        headers["Idempotency-Key"] = (
            check_header_value("Idempotency-Key", given)
            if given
            else idempotency_key or new_idempotency_key()
        )
    if last_event_id:
        headers["Last-Event-ID"] = _last_event_id_header(last_event_id)
    extra_headers = options.get("extra_headers")
    if extra_headers:
        merge_headers(headers, _checked_headers(extra_headers))
    # 3. Query parameters: the client's `default_query`, the call's, then `extra_query`.
    params: dict[str, Any] | None = call.params
    extra_query = options.get("extra_query")
    if extra_query or config.default_query:
        params = {**config.default_query, **(params or {}), **(extra_query or {})}
    # 4. The timeout of this call, else the client's.
    timeout = as_timeout(options["timeout"]) if "timeout" in options else config.timeout
    return http.build_request(
        call.method,
        config.base_url + call.path,
        params=params,
        content=content,
        headers=headers,
        timeout=timeout,
    )


def _last_event_id_header(event_id: str) -> str | bytes:
    """The `Last-Event-ID` value for a server's event id: as is when ASCII, else its UTF-8
    bytes (as browsers send it). An id with a control character cannot be echoed in a header
    at all: the stream cannot resume (a `PhosonError`)."""
    if _EVENT_ID.fullmatch(event_id):
        return event_id if event_id.isascii() else event_id.encode()
    raise PhosonError(
        "cannot resume the stream: the server's last event id contains a control character"
    )
