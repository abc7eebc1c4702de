"""The client: the entry point. Holds the settings and the connection pool, and
exposes the resource managers `agents`, `conversations` and `messages`."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from .._config import ApiKey, ClientConfig, resolve_config
from .._exceptions import InvalidArgumentError
from .._logging import configure_from_env
from .._options import check_limits, remember_secret_headers
from .._sse import DEFAULT_MAX_EVENT_SIZE
from .._types import DEFAULT_TIMEOUT, NOT_GIVEN, HeaderValue, NotGiven, TimeoutTypes
from ._custom import AsyncCustomCalls
from ._pool import AsyncPool
from ._requester import AsyncRequester
from ._resources import AsyncAgents, AsyncConversations, AsyncMessages

__all__ = ["AsyncPhosonClient"]


class AsyncPhosonClient(AsyncCustomCalls):
    """A client for the Phoson Core API.

    Every argument is optional and keyword-only: `api_key` falls back to `PHOSON_API_KEY`,
    `base_url` to `PHOSON_BASE_URL` and then `https://api.phoson.ai`. `timeout` defaults to
    600 s (5 s to connect), or to the timeout of `http_client` when one is given. Use it as a
    context manager, or call `close()` when done, to release its connections. One client is
    safe to share between tasks.

    `deadline` (seconds, default none) bounds each whole call, its retries, waits and stream
    resumes included; `stream_idle_timeout` is the longest silence between two bytes of a
    stream before it resumes (default: the read timeout). Both can be set per call.

    `open_telemetry=True` (or `PHOSON_OTEL=true`) traces each call as one OpenTelemetry span,
    over the global tracer provider or `tracer_provider=` (which alone also turns it on);
    it needs `pip install 'phoson-sdk[otel]'`.
    """

    agents: AsyncAgents
    conversations: AsyncConversations
    messages: AsyncMessages

    def __init__(
        self,
        *,
        api_key: ApiKey | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = 2,
        default_headers: Mapping[str, HeaderValue] | None = None,
        default_query: Mapping[str, Any] | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        strict_response_validation: bool = True,
        open_telemetry: bool | None = None,
        tracer_provider: object | None = None,
        limits: httpx.Limits | None = None,
        deadline: float | None = None,
        stream_idle_timeout: float | None = None,
    ) -> None:
        configure_from_env()
        expected = httpx.AsyncClient
        if http_client is not None and not isinstance(http_client, expected):
            # The other kind of httpx client would fail mid-request: refuse it now.
            raise TypeError(
                f"http_client must be an httpx.{expected.__name__} for {type(self).__name__}, "
                f"not {type(http_client).__module__}.{type(http_client).__qualname__}"
            )
        if isinstance(timeout, NotGiven):
            # A caller's own httpx client keeps its timeout unless `timeout=` says otherwise.
            timeout = http_client.timeout if http_client is not None else DEFAULT_TIMEOUT
        config = resolve_config(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            max_event_size=max_event_size,
            default_query=default_query,
            strict_response_validation=strict_response_validation,
            open_telemetry=open_telemetry,
            tracer_provider=tracer_provider,
            deadline=deadline,
            stream_idle_timeout=stream_idle_timeout,
        )
        check_limits(limits)
        if http_client is not None:
            remember_secret_headers(http_client.headers)  # its own Authorization, if any
        if limits is not None and http_client is not None:
            raise InvalidArgumentError(
                "limits= sets up the connection pool phoson creates; with http_client= set "
                "the limits on your own httpx client instead"
            )
        # A caller's own httpx client stays theirs: `close()` leaves it open.
        pool = AsyncPool(config.timeout, limits=limits, http_client=http_client)
        self._setup(AsyncRequester(config, pool, owns_pool=True))

    def _setup(self, requester: AsyncRequester) -> None:
        self._requester = requester
        self.agents = AsyncAgents(requester)
        self.conversations = AsyncConversations(requester)
        self.messages = AsyncMessages(requester)

    def with_options(
        self,
        *,
        api_key: ApiKey | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, HeaderValue] | None = None,
        default_query: Mapping[str, Any] | None = None,
        strict_response_validation: bool | None = None,
        open_telemetry: bool | None = None,
        tracer_provider: object | None = None,
        deadline: float | NotGiven | None = NOT_GIVEN,
        stream_idle_timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A client with some settings changed that shares this one's connection pool.

        `default_headers` and `default_query` are merged into this client's (a None value
        removes one). The copy is of this client's class, with the attributes its `__init__`
        set (a subclass's own included): `__init__` is not run again.

        Cheap enough to call per request. Closing the copy leaves the pool open; closing the
        original closes it for both.
        """
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("api_key", api_key),
                ("base_url", base_url),
                ("max_retries", max_retries),
                ("default_headers", default_headers),
                ("default_query", default_query),
                ("strict_response_validation", strict_response_validation),
                ("open_telemetry", open_telemetry),
                ("tracer_provider", tracer_provider),
            )
            if value is not None
        }
        if tracer_provider is not None and open_telemetry is None:
            changes["open_telemetry"] = True  # as in the constructor: a provider turns it on
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = timeout
        if not isinstance(deadline, NotGiven):
            changes["deadline"] = deadline  # None: no deadline
        if not isinstance(stream_idle_timeout, NotGiven):
            changes["stream_idle_timeout"] = stream_idle_timeout
        config = self._requester.config.copy_with(**changes)
        # A shallow copy keeps what a subclass's `__init__` set on this client (its own
        # attributes, shared as they are); only the requester and the resources are new.
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._setup(self._requester.derive(config))
        return copy

    @property
    def config(self) -> ClientConfig:
        return self._requester.config

    @property
    def api_key(self) -> ApiKey:
        """The key, or the key function, the client was given."""
        return self._requester.config.api_key

    @property
    def base_url(self) -> str:
        return self._requester.config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        return self._requester.config.timeout

    @property
    def deadline(self) -> float | None:
        """Seconds each call may take in all, retries and waits included (None: no limit)."""
        return self._requester.config.deadline

    @property
    def max_retries(self) -> int:
        return self._requester.config.max_retries

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying `httpx` client (shared with copies from `with_options`): the one
        given as `http_client=`, or the first of the pool's own.

        phoson's own pool splits more than 100 connections among several `httpx` clients of
        100 (docs/scaling.md), and replaces them when the client is used from another event
        loop, or in a child process after `os.fork()`; this is the current first one.
        """
        return self._requester.pool.http_client

    @property
    def closed(self) -> bool:
        """Whether `close()` was called (on this client, or on the one it was copied from)."""
        return self._requester.closed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    async def close(self) -> None:
        """Close the connection pool (unless it came from `http_client=`). Safe to repeat.

        Afterwards every call raises `PhosonError` ("... client is closed ..."). Closing a
        copy from `with_options` closes only the copy; closing the original closes the pool
        for every copy.
        """
        await self._requester.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
