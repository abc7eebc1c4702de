"""The last line of defence for secrets: every API key a client has used is blanked out of
error messages, error details, body excerpts, log records and CLI output. No I/O.

Keys are registered by the one place that turns a key into an `Authorization` header
(`ClientConfig`, and anything that produces keys later, such as a key callable, calls
`remember_key` for each value). `redact` then replaces every occurrence of any registered key
with `[redacted]`.

Decisions (see README, "Errors"):

- The whole key is replaced wherever it appears. Redaction runs on the full text *before* the
  SDK shortens it to an excerpt, so a key cut in half by an excerpt is never left behind.
- Keys shorter than `MIN_KEY_LENGTH` characters are not redacted: blanking a 3-letter string
  everywhere would garble messages and such a key is no secret anyway.
- No prefix or suffix of a key is redacted on its own: a key's public prefix (`pk_live_`) says
  nothing, and matching fragments would blank unrelated text.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = [
    "MIN_KEY_LENGTH",
    "REDACTED",
    "RedactingFilter",
    "longest_key_length",
    "redact",
    "redact_detail",
    "redact_exception_chain",
    "remember_key",
]

REDACTED = "[redacted]"
MIN_KEY_LENGTH = 8

#: Every key any client in this process has sent (longest first, so a key that contains
#: another is replaced whole). A tuple, replaced on change: reading it needs no lock.
_keys: tuple[str, ...] = ()


def remember_key(key: str) -> None:
    """Register `key` so that `redact` blanks it from now on. Cheap when already known."""
    global _keys
    if len(key) < MIN_KEY_LENGTH or key in _keys:
        return
    _keys = tuple(sorted({*_keys, key}, key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every registered API key replaced by `[redacted]`."""
    for key in _keys:
        if key in text:
            text = text.replace(key, REDACTED)
    return text


def redact_detail(detail: Any) -> Any:
    """An error `detail` (a string, or JSON lists and objects) with keys redacted throughout.

    A copy is made without recursion: a server's JSON may nest deeper than Python recurses.
    """
    if not _keys or not isinstance(detail, str | list | dict):
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


def redact_exception_chain(exc: BaseException | None) -> None:
    """Redact the string arguments of `exc` and of its `__cause__`/`__context__` chain in place.

    Used on third-party exceptions (httpx's) that the SDK chains under its own, so that a
    traceback of the SDK's error does not print a key from a library's message.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and _keys:
        seen.add(id(exc))
        if any(isinstance(arg, str) and redact(arg) != arg for arg in exc.args):
            try:
                exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
            except (AttributeError, TypeError):  # pragma: no cover - exotic exception types
                pass
        exc = exc.__cause__ or exc.__context__


class RedactingFilter(logging.Filter):
    """A filter for the `phoson` logger: records leave with every registered key redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _keys:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def longest_key_length() -> int:
    """The length of the longest registered key (0 if none): how far a cut must reach."""
    return len(_keys[0]) if _keys else 0
