"""Client settings: the constructor's arguments resolved against the environment. No I/O.

Both clients build one `ClientConfig` and derive copies from it for `with_options`. The API key
lives here and nowhere else; `repr` shows only that one is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ._exceptions import PhosonError
from ._sse import DEFAULT_MAX_EVENT_SIZE
from ._tracing import OTEL_ENV, env_flag
from ._types import RequestOptions, TimeoutTypes
from ._wire import JSON, USER_AGENT, Call, encode_body

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "as_timeout",
    "build_request",
    "new_idempotency_key",
    "resolve_config",
]

DEFAULT_BASE_URL = "https://api.phoson.ai"
API_KEY_ENV = "PHOSON_API_KEY"
BASE_URL_ENV = "PHOSON_BASE_URL"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything a client needs to build a request, besides the connection pool."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    default_headers: Mapping[str, str] = field(default_factory=dict)
    #: The largest single stream event accepted, in bytes.
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    #: One OpenTelemetry span per call (`phoson._tracing`), over this provider (None: global).
    open_telemetry: bool = False
    tracer_provider: object | None = field(default=None, repr=False)

    def copy_with(self, **changes: Any) -> ClientConfig:
        """A copy with the given settings changed, checked as the constructor checks them."""
        if "timeout" in changes:
            changes["timeout"] = as_timeout(changes["timeout"])
        if "base_url" in changes:
            changes["base_url"] = _clean_base_url(changes["base_url"])
        if "max_retries" in changes:
            _check_retries(changes["max_retries"])
        if "default_headers" in changes:
            changes["default_headers"] = dict(changes["default_headers"])
        if "open_telemetry" in changes and not isinstance(changes["open_telemetry"], bool):
            raise PhosonError(
                f"open_telemetry must be True or False, got {changes['open_telemetry']!r}"
            )
        return replace(self, **changes)

    def headers_for(self, call: Call) -> dict[str, str]:
        """The headers every request of `call` carries (the key, Accept, User-Agent, defaults)."""
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": call.accept,
            "User-Agent": USER_AGENT,
        }
        if call.body is not None:
            headers["Content-Type"] = JSON
        if self.default_headers:
            headers.update(self.default_headers)
        return headers


def as_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """Normalise a timeout argument: a number is a total, an `httpx.Timeout` is kept."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


def _clean_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise PhosonError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL!r}, got {base_url!r}"
        )
    return str(url).rstrip("/")


def _check_retries(max_retries: int) -> None:
    if not isinstance(max_retries, int) or max_retries < 0:
        raise PhosonError(f"max_retries must be a whole number >= 0, got {max_retries!r}")


def resolve_config(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: TimeoutTypes,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    open_telemetry: bool | None = None,
    tracer_provider: object | None = None,
) -> ClientConfig:
    """Resolve constructor arguments: explicit values, then `PHOSON_*` variables, then defaults."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    if not api_key:
        raise PhosonError(
            f"No API key: pass api_key=... to the client or set the {API_KEY_ENV} environment "
            "variable (get a key from the dashboard settings)."
        )
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    _check_retries(max_retries)
    if open_telemetry is None:
        # Tracing: PHOSON_OTEL decides, else giving a tracer provider turns it on.
        open_telemetry = env_flag(OTEL_ENV)
        if open_telemetry is None:
            open_telemetry = tracer_provider is not None
    return ClientConfig(
        api_key=api_key,
        base_url=_clean_base_url(base_url),
        timeout=as_timeout(timeout),
        max_retries=max_retries,
        default_headers=dict(default_headers or {}),
        max_event_size=max_event_size,
        open_telemetry=open_telemetry,
        tracer_provider=tracer_provider,
    )


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
    """Turn a `Call` and its per-call options into the `httpx.Request` to send. No I/O."""
    # 1. The SDK's headers, then the call's own, then what the caller added.
    headers = config.headers_for(call)
    if call.changes_state:
        given = options.get("idempotency_key")
        headers["Idempotency-Key"] = (
            given if isinstance(given, str) and given else idempotency_key or new_idempotency_key()
        )
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    extra_headers = options.get("extra_headers")
    if extra_headers:
        headers.update(extra_headers)
    # 2. Query parameters: the call's, then `extra_query`.
    params: dict[str, Any] | None = call.params
    extra_query = options.get("extra_query")
    if extra_query:
        params = {**(params or {}), **extra_query}
    # 3. The timeout of this call, else the client's.
    timeout = as_timeout(options["timeout"]) if "timeout" in options else config.timeout
    return http.build_request(
        call.method,
        config.base_url + call.path,
        params=params,
        content=encode_body(call, options.get("extra_body")),
        headers=headers,
        timeout=timeout,
    )
