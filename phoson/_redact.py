"""The last line of defence for secrets: every API key a client has used recently is blanked
out of error messages, error details, body excerpts, log records, span attributes, pickles and
CLI output. No I/O.

Keys are registered by the places that turn a key into an `Authorization` header (`ClientConfig`,
a key function's every answer, and an `Authorization` header a caller gives in `default_headers`,
`extra_headers` or their own `http_client`), through `remember_key`. `redact` then replaces every
occurrence of any registered key with `[redacted]`, in each form a server might echo it: as
sent, percent-encoded, and base64-encoded (standard and URL-safe alphabets).

Decisions (see README, "Errors"):

- The whole key is replaced wherever it appears. Redaction runs on the full text *before* the
  SDK shortens it to an excerpt, so a key cut in half by an excerpt is never left behind.
- Keys shorter than `MIN_KEY_LENGTH` characters are not redacted: blanking a 3-letter string
  everywhere would garble messages and such a key is no secret anyway.
- No prefix or suffix of a key is redacted on its own: a key's public prefix (`pk_live_`) says
  nothing, and matching fragments would blank unrelated text.
- The registry is bounded: it keeps the `MAX_KEYS` most recently *used* keys (each request
  marks its key used again), so a rotating-key function that makes a new token per request
  costs the same on the millionth request as on the first. It is updated under a lock and read
  without one (the forms are one tuple, replaced whole).
"""

from __future__ import annotations

import base64
import bisect
import logging
import threading
import traceback
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

__all__ = [
    "MAX_KEYS",
    "MIN_KEY_LENGTH",
    "REDACTED",
    "RedactingFilter",
    "clean_cause",
    "contains_key",
    "longest_key_length",
    "redact",
    "redact_detail",
    "redact_exception_chain",
    "redact_value",
    "remember_authorization",
    "remember_key",
]

REDACTED = "[redacted]"
MIN_KEY_LENGTH = 8
#: How many of the most recently used keys are redacted (each in up to four forms).
MAX_KEYS = 32

_lock = threading.Lock()
#: The registered keys, least recently used first, each with its forms (`key_forms`).
_recent: OrderedDict[str, tuple[str, ...]] = OrderedDict()
#: The key registered or used last: the fast path of `remember_key` (a plain key, every call).
_last: str | None = None
#: Every form of every registered key, longest first (so a form that contains another is
#: replaced whole). A tuple, replaced on change: reading it needs no lock.
_forms: tuple[str, ...] = ()


def key_forms(key: str) -> set[str]:
    """The ways `key` may come back from a server: as is, percent-encoded, base64 (both
    alphabets; unpadded, which also covers the padded text but its `=`)."""
    raw = key.encode("utf-8", "surrogatepass")
    forms = {
        key,
        quote(key, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form for form in forms if len(form) >= MIN_KEY_LENGTH}


def _longest_first(form: str) -> int:
    return -len(form)


def remember_key(key: str) -> None:
    """Register `key` (or mark it used again) so that `redact` blanks it. Cheap when it is the
    key used last; otherwise one lock and, for a new key, a rebuild bounded by `MAX_KEYS`."""
    global _last, _forms
    if key == _last or len(key) < MIN_KEY_LENGTH:
        return
    with _lock:
        _last = key
        if key in _recent:
            _recent.move_to_end(key)
            return
        added = tuple(key_forms(key))
        _recent[key] = added
        forms = list(_forms)
        for form in added:  # (a form two keys share is listed twice: each removal takes one)
            bisect.insort(forms, form, key=_longest_first)
        while len(_recent) > MAX_KEYS:
            for form in _recent.popitem(last=False)[1]:
                forms.remove(form)
        _forms = tuple(forms)


def remember_authorization(value: str) -> None:
    """Register the credentials of an `Authorization` header value: the whole value and, after
    a scheme (`Bearer <key>`, `Basic <token>`), the credentials alone."""
    value = value.strip()
    remember_key(value)
    credentials = value.partition(" ")[2].strip()
    if credentials:
        remember_key(credentials)


def redact(text: str) -> str:
    """`text` with every registered API key (in each of its forms) replaced by `[redacted]`."""
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def contains_key(text: str) -> bool:
    """Whether `text` holds a registered key in any of its forms."""
    return any(form in text for form in _forms)


def redact_value(value: Any) -> Any:
    """A string redacted; anything else as it is."""
    return redact(value) if isinstance(value, str) and _forms else value


def redact_detail(detail: Any) -> Any:
    """An error `detail` (a string, or JSON lists and objects) with keys redacted throughout.

    A copy is made without recursion: a server's JSON may nest deeper than Python recurses.
    """
    if not _forms or not isinstance(detail, str | list | dict):
        return detail
    holder = [detail]
    pending: list[tuple[Any, Any]] = [(holder, 0)]
    while pending:
        # Replace container[slot] by its redacted copy; its children are redacted in turn.
        container, slot = pending.pop()
        value = container[slot]
        if isinstance(value, str):
            container[slot] = redact(value)
        elif isinstance(value, list):
            items = list(value)
            container[slot] = items
            pending.extend((items, index) for index in range(len(items)))
        elif isinstance(value, dict):
            fields = {redact(k) if isinstance(k, str) else k: v for k, v in value.items()}
            container[slot] = fields
            pending.extend((fields, name) for name in fields)
    return holder[0]


def _chain(exc: BaseException | None) -> list[BaseException]:
    """`exc` and every exception a traceback of it prints: causes, contexts, group members."""
    found: list[BaseException] = []
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        pending.append(current.__cause__)
        pending.append(current.__context__)
        pending.extend(getattr(current, "exceptions", None) or ())
    return found


def redact_exception_chain(exc: BaseException | None) -> None:
    """Redact the string arguments and notes of `exc` and of every exception chained to it, in
    place.

    Used on exceptions the SDK chains under its own (httpx's, a key function's), so that a
    traceback of the SDK's error does not print a key from another library's message.
    """
    if not _forms:
        return
    for current in _chain(exc):
        if any(isinstance(arg, str) and contains_key(arg) for arg in current.args):
            try:
                current.args = tuple(redact_value(a) for a in current.args)
            except (AttributeError, TypeError):  # pragma: no cover - exotic exception types
                pass
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [redact_value(note) for note in notes]


def clean_cause(exc: BaseException) -> BaseException | None:
    """`exc`, redacted in place, to chain under an SDK error; None if its traceback would still
    show a key (an exception whose `str` is computed from hidden state): then it is not chained."""
    redact_exception_chain(exc)
    if not _forms:
        return exc
    text = "".join(traceback.format_exception(exc))
    return None if contains_key(text) else exc


class RedactingFilter(logging.Filter):
    """A filter for the `phoson` logger: records leave with every registered key redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _forms:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                redact_exception_chain(record.exc_info[1])
                record.exc_text = None
        return True


def longest_key_length() -> int:
    """The length of the longest registered form of a key (0 if none): how far a cut must reach."""
    forms = _forms
    return len(forms[0]) if forms else 0
