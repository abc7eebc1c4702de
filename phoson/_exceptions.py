"""Every exception the SDK raises, and the mapping from an HTTP error response to one of them.

This module does no I/O: `api_error_from_response` only reads a response that has already been
received, so the sync and async clients share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _json
from ._redact import (
    longest_key_length,
    redact,
    redact_detail,
    redact_exception_chain,
    redact_value,
)

if TYPE_CHECKING:
    import httpx

    from ._types import JSONValue

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EventTooLargeError",
    "IdempotencyKeyReusedError",
    "IncompleteStreamError",
    "InsecureTransportWarning",
    "InternalServerError",
    "InvalidArgumentError",
    "MalformedEventError",
    "NotFoundError",
    "PermissionDeniedError",
    "PhosonAPIError",
    "PhosonConnectionError",
    "PhosonError",
    "PhosonResponseValidationError",
    "PhosonTimeoutError",
    "PhosonWarning",
    "RateLimitError",
    "RunFailedError",
    "StreamTimeoutError",
    "UnprocessableEntityError",
    "api_error_from_response",
    "connection_error_from",
    "excerpt",
    "reason_of",
    "run_failure",
]

#: How many characters of a body or event an error message quotes.
EXCERPT_CHARS = 200


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """Return `text` shortened to one readable line of at most `limit` characters.

    API keys are redacted before the text is cut, so a key is never left half-quoted.
    """
    if isinstance(text, bytes):
        text = text[: limit * 4 + longest_key_length()].decode("utf-8", "replace")
    text = " ".join(redact(text).split())
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


class PhosonError(Exception):
    """The root of every exception this SDK raises.

    Its message never contains an API key a client has used: string arguments are redacted
    (`phoson._redact`) however the message was built.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (multiprocessing, Celery) keeps the class, the message and every attribute;
        # it does not call `__init__` again (keyword-only arguments would not survive). An
        # httpx `response` is left behind: it holds sockets and cannot cross processes (and its
        # request holds the key). Every string is redacted once more, details throughout.
        state = {k: redact_detail(v) for k, v in self.__dict__.items() if k != "response"}
        args = tuple(redact_value(arg) for arg in self.args)
        return (_restore_error, (type(self), args, state))


class InvalidArgumentError(PhosonError, ValueError):
    """A value the caller gave, of the right type, that cannot be used: a `base_url` without a
    scheme, a negative timeout, a header value with a line break, a blank id.

    Raised when the client is made, by `with_options` or when the call is made: always before
    anything is sent. (A value of the wrong Python type, which a type checker reports, is a
    `TypeError` instead.) Also a `ValueError`.
    """


class PhosonWarning(UserWarning):
    """The root of every warning this SDK emits (filter it with `warnings.filterwarnings`)."""


class InsecureTransportWarning(PhosonWarning):
    """The client will send its API key over plain `http://` to a host that is not loopback.

    Emitted once per client, when it is made. Never for `localhost`, 127.0.0.0/8 or ::1.
    """


def _restore_error(
    cls: type[PhosonError], args: tuple[Any, ...], state: dict[str, Any]
) -> PhosonError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    if isinstance(error, PhosonAPIError):
        error.response = None
    return error


# -- HTTP error responses -------------------------------------------------------------------


class PhosonAPIError(PhosonError):
    """The API answered with a non-2xx status.

    `detail` is the JSON body's `detail` (a string, or FastAPI's list of validation errors),
    else the body text. `body` is the whole body: its JSON, else its readable text ("" when
    empty). `request_id` is the response's `x-request-id`, if it sent one.
    """

    #: The HTTP status.
    status_code: int
    #: The body's `detail`: a string, FastAPI's list of validation errors, or other JSON.
    detail: JSONValue
    #: The whole body, parsed: JSON, else the readable text ("" when there was none).
    body: JSONValue
    #: The response's `x-request-id`, if it sent one.
    request_id: str | None
    #: The `httpx.Response` (None once the error was pickled).
    response: httpx.Response | None

    def __init__(
        self,
        status_code: int,
        detail: JSONValue,
        *,
        body: JSONValue = None,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.detail = redact_detail(detail)
        self.body = self.detail if body is None else redact_detail(body)
        self.request_id = redact_value(request_id)
        self.response = response
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        line = f"{self.status_code} {type(self).__name__}: {_describe_detail(self.detail)}"
        if self.request_id:
            line += f" (request id {self.request_id})"
        return line


class BadRequestError(PhosonAPIError):
    """400: the request was malformed."""


class AuthenticationError(PhosonAPIError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(PhosonAPIError):
    """403: the API key may not do this."""


class NotFoundError(PhosonAPIError):
    """404: no such agent, conversation or route."""


class ConflictError(PhosonAPIError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(PhosonAPIError):
    """422: the body failed validation; `detail` is FastAPI's list of errors."""


class IdempotencyKeyReusedError(UnprocessableEntityError):
    """422: this `Idempotency-Key` was already used with a different request body.

    One key means one request: the server refuses to replay the first reply for another body.
    Use a new key (or none: the SDK makes one per call) for a new request.
    """


#: The `code` an error body carries when an idempotency key is reused with another body.
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
#: The `code` of `messages.send`'s 502 for a run that failed (its `error` event's message as
#: the detail).
RUN_FAILED = "run_failed"


class RateLimitError(PhosonAPIError):
    """429: too many requests; the SDK has already retried as `Retry-After` allowed."""


class InternalServerError(PhosonAPIError):
    """5xx: the server failed."""


_STATUS_CLASSES: dict[int, type[PhosonAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[PhosonAPIError]:
    """The most specific `PhosonAPIError` subclass for an HTTP status."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, PhosonAPIError)


def _describe_detail(detail: Any) -> str:
    """One line for `str(error)`: FastAPI's validation list reads as `loc: msg; loc: msg`.

    Any JSON shape is accepted (a server's detail is not checked): what is not the FastAPI
    shape (a `loc` that is not a list, a missing `msg`) is shown as JSON.
    """
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        parts = []
        for item in detail:
            loc = item.get("loc")
            where = ".".join(_short(p) for p in loc if p != "body") if isinstance(loc, list) else ""
            msg = item["msg"] if isinstance(item.get("msg"), str) else _as_text(item)
            parts.append(f"{where}: {msg}" if where else msg)
        return excerpt("; ".join(parts), 500)
    if detail is None or detail == "":
        return "(no detail)"
    return excerpt(detail if isinstance(detail, str) else _as_text(detail), 500)


def _short(part: object) -> str:
    return part if isinstance(part, str) else _as_text(part)


def _as_text(value: Any) -> str:
    """A JSON value as one line of text (a value nested too deeply to show says so)."""
    try:
        return _json.dumps(value).decode()
    except (RecursionError, ValueError, TypeError):
        return "(a JSON detail nested too deeply to show; see error.detail)"


def _loads(body: bytes) -> Any:
    """The server's JSON (`phoson._json`: nesting too deep, NaN, not UTF-8: a `ValueError`)."""
    return _json.loads(body)


def detail_from_body(body: bytes, content_type: str) -> JSONValue:
    """The `detail` of an error body: JSON `detail`, else the whole JSON, else readable text."""
    return _detail_of(body_from_content(body, content_type))


def _detail_of(body: JSONValue) -> JSONValue:
    if isinstance(body, dict) and "detail" in body:
        return body["detail"]
    return body


def body_from_content(body: bytes, content_type: str) -> JSONValue:
    """An error body as `PhosonAPIError.body`: its JSON, else readable text ("" if empty)."""
    if not body.strip():
        return ""
    try:
        parsed: JSONValue = _loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace")
        if "html" in content_type.lower() or text.lstrip().startswith("<"):
            # An HTML error page (a proxy's 502, say): keep the words, drop the markup.
            import re

            text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
            text = re.sub(r"<[^>]+>", " ", text)
        return excerpt(text, 500)
    return parsed


def api_error_from_response(response: httpx.Response) -> PhosonAPIError:
    """Build the exception for a non-2xx response whose body has been read."""
    cls = error_class_for_status(response.status_code)
    content = response.content
    body = body_from_content(content, response.headers.get("content-type", ""))
    detail = _detail_of(body)
    if cls is UnprocessableEntityError and IDEMPOTENCY_KEY_REUSED.encode() in content:
        try:
            if _loads(content).get("code") == IDEMPOTENCY_KEY_REUSED:
                cls = IdempotencyKeyReusedError
        except (ValueError, AttributeError):
            pass
    location = response.headers.get("location")
    if 300 <= response.status_code < 400 and location and not detail:
        detail = f"redirect to {location} not followed (the SDK does not follow redirects)"
    return cls(
        response.status_code,
        detail,
        body=body,
        request_id=response.headers.get("x-request-id"),
        response=response,
    )


# -- Transport failures ---------------------------------------------------------------------


class PhosonConnectionError(PhosonError):
    """The request could not be sent or the response could not be read (after any retries)."""


class PhosonTimeoutError(PhosonConnectionError):
    """The request timed out (after any retries)."""


class IncompleteStreamError(PhosonConnectionError):
    """A stream ended before its `run_done` or `error` event and could not be resumed.

    `events_received` counts the typed and untyped events that did arrive; `last_event_id` is
    the `id:` of the last one (None if the server sent none). `partial_text` is the reply text
    received before the failure, so a chat UI can show what arrived (not in the message).
    `resume_token` lets another attempt, or another process, continue the run where it broke
    (`client.messages.resume(error.resume_token)`); the server goes on running it meanwhile.
    """

    #: The reply text (the `token` contents) received before the stream broke.
    partial_text: str = ""
    #: How many events arrived (typed or not), over every connection.
    events_received: int
    #: The `id:` of the last event that arrived; None if the server sent no ids.
    last_event_id: str | None
    #: The token with which any process can continue the run (`messages.resume(token)`), or
    #: None when it cannot be resumed (the server gave its events no ids).
    resume_token: str | None = None

    def __init__(self, reason: str, *, events_received: int, last_event_id: str | None) -> None:
        self.events_received = events_received
        self.last_event_id = redact_value(last_event_id or None)
        last = f"last event id {last_event_id!r}" if last_event_id else "no event id to resume from"
        super().__init__(
            f"stream ended before run_done or error: {reason} "
            f"({events_received} events received, {last})"
        )


# -- Bodies and events that do not match the contract ----------------------------------------


class PhosonResponseValidationError(PhosonError):
    """A 2xx response whose body is not JSON or not the shape the contract promises."""

    def __init__(
        self, message: str, *, status_code: int, body: str, request_id: str | None = None
    ) -> None:
        self.status_code = status_code
        self.body_excerpt: str = excerpt(body)
        self.request_id: str | None = redact_value(request_id)
        super().__init__(f"{message} (status {status_code}, body: {self.body_excerpt!r})")


class MalformedEventError(PhosonError):
    """A stream event whose `data` is not JSON or whose fields do not match its type."""

    def __init__(self, message: str, *, event_type: str, data: str | bytes = "") -> None:
        self.event_type = event_type
        self.excerpt: str = excerpt(data)
        suffix = f": {self.excerpt!r}" if self.excerpt else ""
        super().__init__(f"malformed {event_type!r} event: {message}{suffix}")


class EventTooLargeError(MalformedEventError):
    """One event grew past the decoder's `max_event_size` (default 16 MiB)."""

    def __init__(self, *, limit: int, event_type: str = "message") -> None:
        self.limit = limit
        super().__init__(
            f"event is larger than the {limit}-byte limit; raise max_event_size if this is expected",
            event_type=event_type,
        )


class RunFailedError(PhosonError):
    """The run failed: a stream's `error` event, or `messages.send`'s answer for a failed run
    (502 with `"code": "run_failed"`, never retried: the run would fail again). `message` is
    the server's message."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        self.message: str = redact(message)
        self.request_id: str | None = redact_value(request_id)
        super().__init__(f"run failed: {message}")


class StreamTimeoutError(IncompleteStreamError, PhosonTimeoutError):
    """A stream stalled past the read timeout before its last event and could not be resumed."""


def reason_of(exc: BaseException) -> str:
    """What went wrong, in words: `exc`'s message, or when it has none (httpx's errors over
    trio wrap the cause without a message of their own: a certificate that failed
    verification read "ConnectError") the first message along its causes; else its class."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if message := str(cause):
            return redact(message)
        cause = cause.__cause__ or cause.__context__
    return type(exc).__name__


def connection_error_from(exc: Exception, method: str, url: object) -> PhosonConnectionError:
    """Wrap an httpx transport failure in the SDK's own type (the original becomes __cause__)."""
    import httpx

    kind = type(exc).__name__
    redact_exception_chain(exc)  # it becomes the __cause__: its traceback is printed too
    reason = reason_of(exc)
    if isinstance(exc, httpx.TimeoutException):
        return PhosonTimeoutError(f"{method} {url} timed out ({kind}: {reason})")
    return PhosonConnectionError(f"{method} {url} failed: {reason} ({kind})")


def run_failure(error: PhosonAPIError) -> RunFailedError | None:
    """The `RunFailedError` an API error stands for: a 502 whose body has `"code":
    "run_failed"` (a failed run answering `messages.send`); else None."""
    body = error.body
    if error.status_code != 502 or not isinstance(body, dict) or body.get("code") != RUN_FAILED:
        return None
    detail = error.detail
    return RunFailedError(detail if isinstance(detail, str) else "", request_id=error.request_id)


# Tracebacks, reprs and pickles name each public class where users import it from
# (`phoson.NotFoundError: 404 ...`), not this private module; `phoson.<name>` resolves it.
for _name in __all__:
    _public = globals()[_name]
    if isinstance(_public, type):
        _public.__module__ = "phoson"
del _name, _public
