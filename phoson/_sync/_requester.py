# DO NOT EDIT: generated from phoson/_async/_requester.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Sending one call: build the request, send it, retry what may be retried, map failures.

The policy (what to retry, how long to wait) lives in `phoson._retry`; this module only runs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import httpx

from .. import _sleep
from .._config import (
    ClientConfig,
    build_request,
    call_deadline,
    forget_credentials,
    refresh_attempt_headers,
)
from .._deadline import Deadline, timeout_phase
from .._exceptions import (
    PhosonError,
    PhosonTimeoutError,
    api_error_from_response,
    connection_error_from,
    run_failure,
)
from .._fast_request import RequestTemplates
from .._logging import logger
from .._misuse import loop_check
from .._models import PhosonModel
from .._options import check_call_options
from .._redact import clean_cause
from .._retry import (
    is_retryable_transport_error,
    retry_after,
    retry_delay,
    should_retry_response,
)
from .._stream_closer import StreamCloser, WaitInterrupted
from .._tracing import NO_SPAN, NO_TRACER, CallSpan, Tracer, make_tracer
from .._types import NOT_GIVEN, NotGiven, RequestOptions
from .._wire import Call, parse_model, parse_model_list
from ._pool import Pool, client_closed_error

__all__ = ["Requester"]

M = TypeVar("M", bound=PhosonModel)
T = TypeVar("T")


class _Lifetime:
    """Whether a requester was closed: shared with its `with_raw_response` views, which close
    with it."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


class Requester:
    """Sends calls with the settings of one `ClientConfig` over a shared connection pool.

    Copies made by `with_options` share the pool; only the requester that created it closes
    it. A closed requester (or one whose pool was closed) refuses to send; so do the
    raw-answering views of it (`with_raw_response`), which share its lifetime.
    """

    __slots__ = ("_lifetime", "_owns_pool", "_templates", "config", "pool", "tracer")

    config: ClientConfig
    pool: Pool
    tracer: Tracer

    def __init__(
        self,
        config: ClientConfig,
        pool: Pool,
        *,
        owns_pool: bool,
        tracer: Tracer | None = None,
    ) -> None:
        self.config = config
        self.pool = pool
        self._owns_pool = owns_pool
        self._lifetime = _Lifetime()
        #: The parts of a request every call of this configuration shares (`_fast_request`).
        self._templates = RequestTemplates(config)
        # Tracing off: a tracer whose spans do nothing, and OpenTelemetry is not imported.
        if tracer is None:
            tracer = make_tracer(config.open_telemetry, config.tracer_provider, config.base_url)
        self.tracer = tracer

    @property
    def closed(self) -> bool:
        return self._lifetime.closed or self.pool.closed

    @property
    def http(self) -> httpx.Client:
        """The `httpx` client to build requests with; raises `PhosonError` once closed."""
        if self.closed:
            raise client_closed_error()
        return self.pool.http_client

    def derive(self, config: ClientConfig) -> Requester:
        """A requester with other settings over the same connection pool, and the same tracer
        unless a tracing setting changed (making one costs about 20 µs with tracing on)."""
        old = self.config
        same = (
            config.open_telemetry == old.open_telemetry
            and config.tracer_provider is old.tracer_provider
            and config.base_url == old.base_url
        )
        return Requester(config, self.pool, owns_pool=False, tracer=self.tracer if same else None)

    def close(self) -> None:
        self._lifetime.closed = True
        if self._owns_pool:
            self.pool.close()

    def send(
        self,
        call: Call,
        options: RequestOptions,
        *,
        stream: bool = False,
        idempotency_key: str | None = None,
        last_event_id: str | None = None,
        span: CallSpan = NO_SPAN,
        closer: StreamCloser | None = None,
        deadline: Deadline | NotGiven | None = NOT_GIVEN,
    ) -> httpx.Response:
        """Send `call` and return its 2xx response, retrying as `phoson._retry` allows.

        With `stream=False` the body has been read; with `stream=True` it is left unread for
        the caller (a stream is retried only until its response headers arrive).
        Raises `PhosonAPIError` for an error status, `PhosonConnectionError` for a transport
        failure, once the retries are used up. Every attempt carries `X-Phoson-Retry-Count`
        (0 on the first); the server's `x-should-retry` overrides the retry policy. Every
        attempt and retry is noted on `span`.

        `closer` is the stream's being opened, if any: once it is closing, nothing more is sent
        and `WaitInterrupted` is raised (its `wake_on_close()` around this call swallows it);
        a retry's wait ends when it closes.

        `deadline` (else the call's own, from `deadline=`) bounds every attempt and wait: each
        attempt's timeouts are cut to the time left, and a retry whose wait would end after
        it fails at once with `PhosonTimeoutError`.
        """
        loop_check()  # the blocking client warns on a thread that runs an event loop
        if isinstance(deadline, NotGiven):
            deadline = call_deadline(self.config, options)
        # A plain call without per-call options, from this configuration's template (bench
        # `calls`: about 20 µs a call less than httpx's build_request); else the general way.
        request = (
            None
            if options or last_event_id
            else self._templates.request(self.http, call, idempotency_key)
        )
        if request is None:
            request = build_request(
                self.http,
                self.config,
                call,
                options,
                idempotency_key=idempotency_key,
                last_event_id=last_event_id,
            )
        span.inject(request.headers)
        timeouts = request.extensions.get("timeout", {})
        max_retries = options.get("max_retries", self.config.max_retries)
        retries_done = 0
        while True:
            if retries_done:  # the request was built with "0"
                refresh_attempt_headers(request, self.config, options, retries_done)
            if deadline is not None:
                request.extensions["timeout"] = deadline.cap(timeouts)
            started = time.monotonic()
            # 1. Send and read a plain call's body, catching transport failures.
            retry_headers: httpx.Headers | None = None
            try:
                # A plain call's body has been read (an event stream answering it, which may
                # never end, is refused: `PhosonResponseValidationError`); a stream's is left
                # for the caller.
                response = self.pool.send(request, stream=stream)
                if stream and not response.is_success:
                    # An error answer to a stream request (short, read for the detail).
                    try:
                        response.read()
                    finally:
                        response.close()  # a no-op once the whole body was read
            except httpx.HTTPError as exc:
                if closer is not None and closer.closing:
                    raise WaitInterrupted from None  # close() woke the wait: no retry
                error: PhosonError = connection_error_from(exc, request.method, request.url)
                cause = clean_cause(exc)  # redacted; not chained if it still shows a key
                retryable = is_retryable_transport_error(exc)
                if deadline is not None and isinstance(exc, httpx.TimeoutException):
                    cut = deadline.cut(timeout_phase(exc))
                    if cut is not None:
                        raise cut from exc
                if logger.isEnabledFor(logging.DEBUG):
                    elapsed = (time.monotonic() - started) * 1000.0
                    logger.debug(
                        "%s %s failed: %r (%.1f ms, retry %d)",
                        request.method,
                        request.url,
                        exc,
                        elapsed,
                        retries_done,
                    )
            else:
                if logger.isEnabledFor(logging.DEBUG):
                    _log_response(response, started, retries_done)
                span.response(response)
                # 2. A 2xx is the answer.
                if response.is_success:
                    forget_credentials(request)
                    return response
                # 3. Anything else becomes the matching PhosonAPIError, or a RunFailedError
                # for a failed run, which is never retried (the run would fail again).
                api_error = api_error_from_response(response)
                error, cause = api_error, None
                retryable = should_retry_response(response.status_code, response.headers)
                retry_headers = response.headers
                failed = run_failure(api_error)
                if failed is not None:
                    error, cause, retryable = failed, api_error, False
            # 4. Wait and retry if the policy allows it, else fail with the mapped error.
            delay = retry_delay(retries_done, max_retries, retry_headers) if retryable else None
            if delay is None:
                forget_credentials(request)
                raise error from cause
            if deadline is not None:
                try:
                    asked = retry_after(retry_headers) if retry_headers else None
                    kind = "backoff" if asked is None else "Retry-After"
                    deadline.check_wait(
                        delay, f"the {kind} wait before retry {retries_done + 1} (after: {error})"
                    )
                except PhosonTimeoutError as cut:
                    raise cut from error
            retries_done += 1
            span.retry(retries_done, delay, error)
            logger.info(
                "retrying %s %s in %.2f s (retry %d of %d) after: %s",
                request.method,
                request.url,
                delay,
                retries_done,
                max_retries,
                error,
            )
            if closer is None:
                _sleep.sleep(delay)
                continue
            closer.pause(delay)
            if closer.closing:
                raise WaitInterrupted  # closed during the wait: nothing more is sent

    def request_model(self, call: Call, options: RequestOptions, model: type[M]) -> M:
        """Send `call` and validate its body as `model`."""
        strict = self.config.strict_response_validation
        return self.traced(call, options, partial(parse_model, model=model, strict=strict))

    def request_list(self, call: Call, options: RequestOptions, model: type[M]) -> list[M]:
        """Send `call` and validate its body as a list of `model`."""
        strict = self.config.strict_response_validation
        return self.traced(call, options, partial(parse_model_list, model=model, strict=strict))

    def request_empty(self, call: Call, options: RequestOptions) -> None:
        """Send `call`, whose success has no body (204)."""
        return self.traced(call, options, _no_body)

    def traced(
        self, call: Call, options: RequestOptions, parse: Callable[[httpx.Response], T]
    ) -> T:
        """Send `call` and answer with `parse` of its response, all inside the call's span
        (a span that does nothing when tracing is off)."""
        options = check_call_options(call.operation, options, changes_state=call.changes_state)
        if self.tracer is NO_TRACER:
            # Tracing off, the fast path: no span to start, enter or end (bench `calls`: about
            # 2 µs a call). tests/test_fast_paths.py pins it to the general path below.
            response = self.send(call, options)
            return self.answer(response, partial(parse, response))
        span = self.tracer.start(call)
        try:
            with span.current():
                response = self.send(call, options, span=span)
                result = self.answer(response, partial(parse, response))
        except BaseException as error:
            span.end(error=error)
            raise
        span.end(result)
        return result

    def answer(self, response: httpx.Response, parse: Callable[[], T]) -> T:
        """What a call returns for its 2xx `response`: here, the parsed body (the requester
        behind `with_raw_response` answers with a `RawResponse` instead)."""
        return parse()


def _no_body(response: httpx.Response) -> None:
    return None


def _log_response(response: httpx.Response, started: float, retries_done: int) -> None:
    logger.debug(
        "%s %s -> %d (request id %s, %.1f ms, retry %d)",
        response.request.method,
        response.request.url,
        response.status_code,
        response.headers.get("x-request-id"),
        (time.monotonic() - started) * 1000.0,
        retries_done,
    )
