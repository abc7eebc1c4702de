"""Resume tokens: a short string that lets any process continue a streamed run. No I/O.

A token holds what a resume needs and nothing else: the request (method, path, JSON body),
its `Idempotency-Key`, the id of the last event received and the run's first event id (to
recognise a server that replays from the start). It never holds an API key, a base URL or
headers: the client that resumes sends its own.

Layout (version 1): ``phr1.`` followed by unpadded base64url of
``deflate(JSON) + blake2b-64(deflate(JSON))``. So a token is URL-safe ASCII (letters, digits,
``-``, ``_`` and one ``.``), at most `MAX_TOKEN_CHARS` long, and a truncated, altered or
mistyped one is refused with a `PhosonError` before anything is sent: the check value catches
alterations, the canonical-encoding check catches the spare bits of the last character. The
check is not a signature: anyone may read a token (it is the user's message, base64-encoded)
or make one. Sign it yourself if it crosses a trust boundary.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from ._exceptions import PhosonError
from ._redact import redact

__all__ = [
    "MAX_TOKEN_CHARS",
    "TOKEN_PREFIX",
    "TOKEN_VERSION",
    "ResumePoint",
    "decode_resume_token",
    "encode_resume_token",
]

#: The version this SDK writes and reads; a token of another version is refused by name.
TOKEN_VERSION = 1
#: Every token starts with this, then its version number and a dot.
TOKEN_PREFIX = "phr"
#: The longest token written or read. A run whose request does not fit (a message of
#: several tens of kilobytes) has no token.
MAX_TOKEN_CHARS = 16384
#: The largest decompressed payload read from a token (a small zip bomb stops here).
_MAX_PAYLOAD_BYTES = 1 << 20
_CHECK_BYTES = 8
_CHECK_PERSON = b"phoson-resume"
_TOKEN = re.compile(r"phr([0-9]{1,6})\.([A-Za-z0-9_-]*)")
_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "GET"})


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where a run stands: its request, its idempotency key, and the events already read."""

    method: str
    #: The request path (percent-encoded, starting with "/"), without the base URL.
    path: str
    #: The JSON body as sent (with any `extra_body` merged in), or None.
    body: dict[str, Any] | None
    idempotency_key: str
    #: The `id:` of the last event received ("": none yet, the run is read from its start).
    last_event_id: str = ""
    #: The id of the run's first event ("" if unknown): lets the resuming stream recognise a
    #: server that ignores `Last-Event-ID` and replays the run from its start.
    first_event_id: str = ""


def _check(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECK_BYTES, person=_CHECK_PERSON).digest()


def encode_resume_token(point: ResumePoint) -> str | None:
    """The token for `point`, or None when it cannot have one: longer than `MAX_TOKEN_CHARS`,
    or holding an API key some client has used (a caller's `extra_body`, say)."""
    fields = [
        point.method,
        point.path,
        point.body,
        point.idempotency_key,
        point.last_event_id,
        point.first_event_id,
    ]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    if redact(text) != text:
        return None  # a token must never carry a key
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = compressor.compress(text.encode()) + compressor.flush()
    encoded = base64.urlsafe_b64encode(payload + _check(payload)).rstrip(b"=").decode("ascii")
    token = f"{TOKEN_PREFIX}{TOKEN_VERSION}.{encoded}"
    if len(token) > MAX_TOKEN_CHARS:
        return None
    return token


def _invalid(reason: str) -> PhosonError:
    return PhosonError(
        f"not a usable resume token: {reason}. Pass the whole string from "
        "stream.resume_token (or IncompleteStreamError.resume_token), unchanged; nothing was sent"
    )


def decode_resume_token(token: str) -> ResumePoint:
    """The `ResumePoint` a token holds. Raises `PhosonError` for anything that is not a whole,
    unaltered token of this version (without quoting the token: it holds the user's message)."""
    if not isinstance(token, str):
        raise PhosonError(f"a resume token is a str, not {type(token).__name__}")
    token = token.strip()
    if not token:
        raise _invalid("it is empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid(f"it is longer than any token ({len(token)} > {MAX_TOKEN_CHARS} characters)")
    match = _TOKEN.fullmatch(token)
    if match is None:
        if not token.startswith(TOKEN_PREFIX):
            raise _invalid(f"it does not start with {TOKEN_PREFIX!r}")
        raise _invalid("it contains characters no token has, or lacks its version")
    version = int(match[1])
    if version != TOKEN_VERSION:
        raise _invalid(
            f"it is of version {version}, and this phoson reads version {TOKEN_VERSION} "
            "(resume it with the phoson version that made it)"
        )
    encoded = match[2]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("it was cut or altered (not valid base64)") from None
    # The spare bits of the last character must be zero: else two strings read the same.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != encoded:
        raise _invalid("it was cut or altered (not valid base64)")
    payload, check = raw[:-_CHECK_BYTES], raw[-_CHECK_BYTES:]
    if len(raw) <= _CHECK_BYTES or _check(payload) != check:
        raise _invalid("it was cut or altered (its check value does not match)")
    try:
        decompressor = zlib.decompressobj(-15)
        text = decompressor.decompress(payload, _MAX_PAYLOAD_BYTES)
        if decompressor.unconsumed_tail or not decompressor.eof:
            raise _invalid("its content is too large or incomplete")
        fields = json.loads(text)
    except (zlib.error, ValueError, RecursionError):
        raise _invalid("its content is not readable") from None
    return _point(fields)


def _point(fields: Any) -> ResumePoint:
    """The `ResumePoint` of a decoded token, each field checked (a well-formed token made by
    another program still cannot steer the request anywhere odd)."""
    if not isinstance(fields, list) or len(fields) != 6:
        raise _invalid("its content has the wrong shape")
    method, path, body, key, last_id, first_id = fields
    if method not in _METHODS:
        raise _invalid("its content has the wrong shape (method)")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise _invalid("its content has the wrong shape (path)")
    if not path.isascii() or any(not ("!" <= ch <= "~") for ch in path) or "?" in path:
        raise _invalid("its content has the wrong shape (path)")
    if body is not None and not isinstance(body, dict):
        raise _invalid("its content has the wrong shape (body)")
    if not isinstance(key, str) or not key or not all(" " <= ch <= "~" for ch in key):
        raise _invalid("its content has the wrong shape (idempotency key)")
    if not isinstance(last_id, str) or not isinstance(first_id, str):
        raise _invalid("its content has the wrong shape (event ids)")
    return ResumePoint(method, path, body, key, last_id, first_id)
