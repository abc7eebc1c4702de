"""A plain call's request from a template made once per client configuration (bench `calls`).

`build_request` (phoson._config) then httpx's `build_request` merge the SDK's headers, the
client's default headers and the httpx client's own headers, and parse the URL, on every
call: about 20 µs of a 40 µs call over an in-process transport. Most calls carry nothing of
their own but their path (and, for a write, an `Idempotency-Key`), so `RequestTemplates`
builds the headers of each kind of call once, *with the general path itself*
(`build_request` on a call of that method and `Accept`), and then makes each request from a
copy: the same headers in the same order, the `Idempotency-Key` put in its place, the URL
made from the base URL's parsed form and the call's path without parsing it again.

The template is used only when the result is the general path's exactly: no body, query,
per-call option, key function, `default_query`, or httpx client params or cookies; a path of
characters httpx would leave as they are (no dot segment); an httpx whose `URL` keeps its parsed
form where this module expects it. A change of the httpx client's headers makes new templates.
tests/_async/test_fast_paths.py pins it to the general path (`build_request`) by a
differential property over paths, methods, headers and base URLs.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ._config import ClientConfig, build_request, new_idempotency_key
from ._redact import remember_key
from ._wire import Call

__all__ = ["RequestTemplates"]

#: What a template's `Idempotency-Key` holds until a request puts its own key in its place.
_PLACEHOLDER = "phoson-template-idempotency-key"
#: Paths httpx's URL parsing leaves unchanged: segments of unreserved characters, sub-delims,
#: ":" and "@", and upper-case percent escapes; no "." or ".." segment.
_SAFE_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})*)+")


class RequestTemplates:
    """The headers, timeout and parsed base URL every plain call of one configuration shares."""

    __slots__ = ("_base", "_client", "_config", "_templates")

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._base = _parsed(config.base_url)
        #: The httpx client the templates were made for, and its headers then.
        self._client: tuple[object, list[tuple[bytes, bytes]]] | None = None
        #: (method, accept) -> (headers, whether to put a key in, timeout extension)
        self._templates: dict[tuple[str, str], tuple[httpx.Headers, bool, dict[str, Any]]] = {}

    def request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: Call,
        idempotency_key: str | None,
    ) -> httpx.Request | None:
        """`call`'s request, or None when the general path must build it."""
        base = self._base
        config = self._config
        if (
            base is None
            or call.body is not None
            or call.params
            or config.default_query
            or callable(config.api_key)
            or http.params
            or http.cookies
            or not _SAFE_PATH.fullmatch(call.path)
        ):
            return None
        raw = http.headers.raw
        client = self._client
        if client is None or client[0] is not http or client[1] != raw:
            self._templates.clear()
            self._client = (http, raw)
        template = self._templates.get((call.method, call.accept))
        if template is None:
            template = self._template(http, call)
        headers, keyed, timeout = template
        remember_key(config.api_key)  # as `authorization()` does: the key stays redacted
        headers = httpx.Headers(headers)  # a copy: a list of three-item tuples
        if keyed:
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = base._replace(path=base.path + call.path)
        return httpx.Request(
            call.method, url, headers=headers, extensions={"timeout": dict(timeout)}
        )

    def _template(
        self, http: httpx.Client | httpx.AsyncClient, call: Call
    ) -> tuple[httpx.Headers, bool, dict[str, Any]]:
        """The general path's request for a call of this method and `Accept`: its headers
        (the key left as a placeholder) and timeout."""
        model = Call(call.method, "/", accept=call.accept)
        request = build_request(http, self._config, model, {}, idempotency_key=_PLACEHOLDER)
        keyed = request.headers.get("Idempotency-Key") == _PLACEHOLDER  # not the caller's own
        timeout: dict[str, Any] = request.extensions["timeout"]
        template = (request.headers, keyed, timeout)
        self._templates[(call.method, call.accept)] = template
        return template


def _parsed(base_url: str) -> Any:
    """The base URL's parsed form (httpx's `URL._uri_reference`, a named tuple), or None when
    this httpx keeps it elsewhere or the base URL has a query or fragment."""
    parsed: Any = getattr(httpx.URL(base_url), "_uri_reference", None)
    if not hasattr(parsed, "_replace") or not isinstance(getattr(parsed, "path", None), str):
        return None
    if parsed.query is not None or parsed.fragment is not None:
        return None
    return parsed
