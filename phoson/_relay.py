"""The I/O-free half of `phoson.web`: Server-Sent Events for a browser, signed relay ids, and
the JSON answer for a stream that could not be opened.

A relay id is the stream's resume token (`phoson._resume_token`) as of the event it is sent
with, followed by "." and an HMAC-SHA256 of it under the application's secret. The browser's
`EventSource` sends the last one back as `Last-Event-ID` when it reconnects; `RelaySigner.verify`
gives the token back only if the signature matches, so a browser can resume the run it was
given and nothing else (a token without a signature could name any request). A token never
holds the API key (its encoder refuses to make one that would), so neither does a relay id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace

from ._exceptions import (
    PhosonAPIError,
    PhosonError,
    PhosonTimeoutError,
)
from ._resume_token import ResumePoint, decode_resume_token, encode_resume_token
from ._sse import ServerSentEvent
from ._streaming import parse_event

__all__ = [
    "DEFAULT_HEARTBEAT",
    "DEFAULT_RETRY",
    "HEARTBEAT",
    "MAX_RELAY_ID_CHARS",
    "InvalidRelayIdError",
    "RelayFrames",
    "RelaySigner",
    "error_frame",
    "error_json",
    "error_status",
    "event_frame",
    "retry_frame",
]

#: Seconds between two heartbeats while the stream is silent: proxies (nginx: 60 s, many load
#: balancers: 60 s) close a response that sends nothing for longer than their read timeout.
DEFAULT_HEARTBEAT = 15.0
#: Seconds the browser waits before it reconnects (the `retry:` hint).
DEFAULT_RETRY = 1.0
#: A comment line: the browser ignores it, a proxy sees bytes.
HEARTBEAT = b": keep-alive\n\n"
#: The longest `Last-Event-ID` read: a token's longest, its signature and some room.
MAX_RELAY_ID_CHARS = 16384 + 128
#: Keeps the relay's HMAC key apart from any other use of the same secret.
_KEY_CONTEXT = b"phoson.web relay ids, v1"
#: HTTP statuses of the API passed on as they are: the browser's request was at fault
#: (400, 422: the message; 404: no such conversation; 409; 429: too many).
_PASSED_ON = frozenset({400, 404, 409, 422, 429})
#: The events that end a run.
_FINAL_EVENTS = frozenset({"run_done", "error"})
#: The `event:` name of the frame a relay sends when the stream fails after it started.
ERROR_EVENT = "error"


class InvalidRelayIdError(PhosonError):
    """A `Last-Event-ID` that this application did not sign, or that was altered: refused (the
    helpers answer 400), never resumed."""


def retry_frame(seconds: float) -> bytes:
    """The `retry:` hint: how long the browser waits before it reconnects."""
    return f"retry: {max(0, round(seconds * 1000))}\n\n".encode()


def event_frame(event: str, data: str, relay_id: str | None) -> bytes:
    """One event for the browser: `event:`, its data (one `data:` line per line) and `id:`."""
    lines = [f"event: {event}"]
    lines.extend(f"data: {line}" for line in data.split("\n"))
    if relay_id is not None:
        lines.append(f"id: {relay_id}")
    return ("\n".join(lines) + "\n\n").encode()


def error_frame(error: PhosonError) -> bytes:
    """The `error` event a relay sends when the stream fails after the response started (the
    status is sent by then): the same shape as the API's own `error` event, without an id."""
    data = json.dumps({"type": "error", "message": str(error)}, ensure_ascii=False)
    return event_frame(ERROR_EVENT, data, None)


def _event_name(sse: ServerSentEvent) -> str:
    """The name the browser sees: the `event:` line, or for an event without one the JSON's
    "type" (the wire contract allows either), so `addEventListener(type)` works for both."""
    if sse.event != "message":
        return sse.event
    try:
        fields = json.loads(sse.data)
    except (ValueError, RecursionError):
        return sse.event
    kind = fields.get("type") if isinstance(fields, dict) else None
    if isinstance(kind, str) and kind and kind.isprintable() and "\n" not in kind:
        return kind
    return sse.event


class RelaySigner:
    """Signs resume tokens into relay ids, and checks relay ids, under one secret."""

    __slots__ = ("_key",)

    def __init__(self, secret: str | bytes) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        if not isinstance(secret, bytes) or not secret:
            raise PhosonError("a relay needs a non-empty secret (str or bytes) to sign its ids")
        self._key = hmac.new(secret, _KEY_CONTEXT, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "<RelaySigner>"  # never the secret

    def _mac(self, token: str) -> str:
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, token: str) -> str:
        """The relay id of a resume token: the token, ".", its signature."""
        return f"{token}.{self._mac(token)}"

    def verify(self, relay_id: str) -> str:
        """The resume token inside a relay id this signer made; `InvalidRelayIdError` for
        anything else (the id is not quoted: it holds the user's message)."""
        if not isinstance(relay_id, str) or len(relay_id) > MAX_RELAY_ID_CHARS:
            raise InvalidRelayIdError("Last-Event-ID is not a relay id of this application")
        token, dot, mac = relay_id.strip().rpartition(".")
        if not dot or not token or not mac.isascii() or not token.isascii():
            raise InvalidRelayIdError("Last-Event-ID is not a relay id of this application")
        if not hmac.compare_digest(mac.encode(), self._mac(token).encode()):
            raise InvalidRelayIdError(
                "Last-Event-ID was not signed by this application (altered, or signed under "
                "another secret): the run is not resumed"
            )
        return token


class RelayFrames:
    """The bytes of one relayed stream: the opening `retry:` hint, then each event with the
    relay id that resumes right after it. An event of a known type is checked against its
    model first, as the typed iterator does (`MalformedEventError`), so the page can rely on
    its fields; other types pass as they came.

    `token` is the stream's resume token once it was opened (None: the stream cannot be
    resumed, and events go out without ids).
    """

    __slots__ = ("_first_id", "_point", "_signer", "retry")

    def __init__(self, signer: RelaySigner, retry: float) -> None:
        self._signer = signer
        self.retry = retry
        self._point: ResumePoint | None = None
        self._first_id = ""

    def opening(self) -> bytes:
        return retry_frame(self.retry)

    def set_token(self, token: str | None) -> None:
        """The stream's resume token, read once it is open (before its first event)."""
        if token is None:
            self._point = None
            return
        self._point = decode_resume_token(token)
        self._first_id = self._point.first_event_id

    def relay_id(self, sse: ServerSentEvent) -> str | None:
        """The signed token that resumes right after `sse` (None without a token or an id)."""
        point = self._point
        if point is None or not sse.id:
            return None
        if not self._first_id:
            self._first_id = sse.id
        token = encode_resume_token(
            replace(point, last_event_id=sse.id, first_event_id=self._first_id)
        )
        return None if token is None else self._signer.sign(token)

    def event(self, sse: ServerSentEvent) -> bytes:
        """The frame of one event. The run's final event carries no relay id: nothing is left
        to resume after it (a reconnect before the page saw it resumes before it, and gets it
        again)."""
        parse_event(sse)  # a known type must fit its model (MalformedEventError); others pass
        name = _event_name(sse)
        relay_id = None if name in _FINAL_EVENTS else self.relay_id(sse)
        return event_frame(name, sse.data, relay_id)


def error_status(error: PhosonError) -> int:
    """The status a relay answers with when the stream cannot be opened.

    400 for a forged `Last-Event-ID`; the API's 400, 404, 409, 422 and 429 as they are (the
    browser's request named something missing or was refused); 504 for a timeout; 502 for
    every other failure behind the relay (the API's 401/403, meaning the application's key is
    wrong, included: the browser is not at fault).
    """
    if isinstance(error, InvalidRelayIdError):
        return 400
    if isinstance(error, PhosonAPIError):
        return error.status_code if error.status_code in _PASSED_ON else 502
    if isinstance(error, PhosonTimeoutError):
        return 504
    return 502


def error_json(error: PhosonError) -> bytes:
    """`{"error": {"type", "message", "status", "request_id"}}`: what the stream's opening
    failed with (`status`: the API's, or null when no response came)."""
    body = {
        "error": {
            "type": type(error).__name__,
            "message": str(error),
            "status": error.status_code if isinstance(error, PhosonAPIError) else None,
            "request_id": getattr(error, "request_id", None),
        }
    }
    return json.dumps(body, ensure_ascii=False).encode()
