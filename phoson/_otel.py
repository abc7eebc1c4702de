"""The OpenTelemetry side of `phoson._tracing`: imported only when a client turns tracing on.

Needs the `opentelemetry-api` package (`pip install 'phoson-sdk[otel]'`); the SDK, exporters
and tracer provider are the application's. Which attributes go on a span is decided in
`phoson._tracing`; this module only hands them to OpenTelemetry.
"""

from __future__ import annotations

import traceback
import weakref
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._exceptions import PhosonAPIError, PhosonError, RunFailedError
from ._models import ErrorEvent, RunDoneEvent
from ._redact import redact, redact_value
from ._streaming import TERMINAL_EVENTS, parse_event
from ._tracing import Attributes, CallSpan, Tracer, call_attributes, result_attributes
from ._version import __version__

if TYPE_CHECKING:
    import httpx

    from ._sse import ServerSentEvent
    from ._streaming import StreamState
    from ._wire import Call

__all__ = ["OTelCallSpan", "OTelTracer", "error_type"]


def _clean(attributes: Attributes) -> Attributes:
    """Every string attribute with the API keys redacted: a server's request id, an event id, a
    message quoting a key (content capture) never put a key on a span."""
    return {name: redact_value(value) for name, value in attributes.items()}


def error_type(error: BaseException) -> str:
    """`error.type`: the exception's fully qualified class name (`phoson.NotFoundError`)."""
    cls = type(error)
    if isinstance(error, PhosonError):
        return f"phoson.{cls.__qualname__}"
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class OTelTracer(Tracer):
    """Starts a CLIENT span named after the SDK method (`agents.create`) for each call."""

    __slots__ = ("_capture_content", "_server", "_tracer")

    enabled = True

    def __init__(
        self, tracer_provider: object | None, *, server: Attributes, capture_content: bool
    ) -> None:
        if tracer_provider is not None and not isinstance(tracer_provider, trace.TracerProvider):
            raise PhosonError(
                "tracer_provider must be an OpenTelemetry TracerProvider (for example "
                f"opentelemetry.sdk.trace.TracerProvider()), got {type(tracer_provider).__name__}"
            )
        self._tracer = trace.get_tracer("phoson", __version__, tracer_provider=tracer_provider)
        self._server = server
        self._capture_content = capture_content

    def start(self, call: Call) -> CallSpan:
        attributes = {
            **self._server,
            **call_attributes(call, capture_content=self._capture_content),
        }
        # The message text is set when the span ends: a key function's key is only known (and
        # redacted) once the request was built.
        content = attributes.pop("gen_ai.input.messages", None)
        span = self._tracer.start_span(
            call.operation, kind=SpanKind.CLIENT, attributes=_clean(attributes)
        )
        deferred: Attributes = {} if content is None else {"gen_ai.input.messages": content}
        return OTelCallSpan(span, capture_content=self._capture_content, deferred=deferred)


class OTelCallSpan(CallSpan):
    """One call's span: every attempt, retry and reconnect is recorded on it; it ends once."""

    __slots__ = (
        "_capture_content",
        "_context",
        "_deferred",
        "_ended",
        "_reconnects",
        "_request_id",
        "_resends",
        "_span",
    )

    def __init__(
        self, span: trace.Span, *, capture_content: bool, deferred: Attributes | None = None
    ) -> None:
        self._span = span
        self._deferred = deferred
        self._context = trace.set_span_in_context(span)
        self._capture_content = capture_content
        self._resends = 0
        self._reconnects = 0
        self._ended = False
        self._request_id: str | None = None

    def current(self) -> Any:
        return trace.use_span(
            self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )

    def inject(self, headers: httpx.Headers) -> None:
        # The application's propagators (W3C `traceparent` and `baggage` by default).
        propagate.inject(headers, context=self._context)

    def response(self, response: httpx.Response) -> None:
        attributes: Attributes = {"http.response.status_code": response.status_code}
        request_id = response.headers.get("x-request-id")
        if request_id:
            self._request_id = attributes["phoson.request_id"] = redact(request_id)
        self._span.set_attributes(attributes)

    def retry(self, number: int, delay: float, cause: PhosonError) -> None:
        self._resends += 1
        self._span.set_attribute("http.request.resend_count", self._resends)
        event: Attributes = {
            "phoson.retry.number": number,
            "phoson.retry.delay_seconds": delay,
            "phoson.retry.cause": str(cause),
            "error.type": error_type(cause),
        }
        if isinstance(cause, PhosonAPIError):
            event["http.response.status_code"] = cause.status_code
        self._span.add_event("phoson.retry", _clean(event))

    def reconnect(self, number: int, delay: float, reason: str, last_event_id: str) -> None:
        self._reconnects += 1
        self._span.set_attribute("phoson.stream.reconnects", self._reconnects)
        self._span.add_event(
            "phoson.reconnect",
            _clean(
                {
                    "phoson.reconnect.number": number,
                    "phoson.reconnect.delay_seconds": delay,
                    "phoson.reconnect.cause": reason,
                    "phoson.stream.last_event_id": last_event_id,
                }
            ),
        )

    def end(self, result: object = None, error: BaseException | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        if self._deferred:
            self._span.set_attributes(_clean(self._deferred))
        if error is not None:
            self._record_error(error)
        else:
            self._span.set_attributes(
                _clean(result_attributes(result, capture_content=self._capture_content))
            )
        self._span.end()

    def end_stream(
        self,
        state: StreamState,
        final_batch: list[ServerSentEvent] | None = None,
        error: BaseException | None = None,
    ) -> None:
        if self._ended:
            return
        # 1. The run's final event: the one the reader kept, else the one in this batch.
        final = state.final
        if final is None and final_batch:
            terminal = [sse for sse in final_batch if sse.event in TERMINAL_EVENTS]
            try:
                parsed = parse_event(terminal[-1]) if terminal else None
            except PhosonError:
                return  # the reader raises it next and ends the span with it
            if isinstance(parsed, RunDoneEvent | ErrorEvent):
                final = parsed
        self._span.set_attributes(
            {
                "phoson.stream.events": state.events_received,
                "phoson.stream.reconnects": self._reconnects,
            }
        )
        # 2. A run that failed is a failed call, as `RunFailedError` tells the reader.
        if error is None and isinstance(final, ErrorEvent):
            error = RunFailedError(final.message, request_id=self._request_id)
        self.end(final if error is None else None, error)

    def watch(self, stream: object, state: StreamState) -> None:
        finalizer = weakref.finalize(stream, self._abandoned, state)
        finalizer.atexit = False

    def _abandoned(self, state: StreamState) -> None:
        """The stream was garbage-collected before it ended: end its span now."""
        if not self._ended:
            self._span.set_attribute("phoson.stream.abandoned", True)
            self.end_stream(state)

    def _record_error(self, error: BaseException) -> None:
        """ERROR status, `error.type`, and the exception as an event (no request detail)."""
        attributes: Attributes = {"error.type": error_type(error)}
        status_code = getattr(error, "status_code", None)
        if isinstance(status_code, int):
            attributes["http.response.status_code"] = status_code
        request_id = getattr(error, "request_id", None)
        if isinstance(request_id, str) and request_id:
            attributes["phoson.request_id"] = request_id
        self._span.set_attributes(_clean(attributes))
        # The exception event, with its message and the whole chain's traceback redacted.
        self._span.record_exception(
            error,
            attributes={
                "exception.message": redact(str(error)),
                "exception.stacktrace": redact("".join(traceback.format_exception(error))),
            },
        )
        self._span.set_status(Status(StatusCode.ERROR, redact(f"{type(error).__name__}: {error}")))
