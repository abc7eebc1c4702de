"""The canary: a distinctive API key planted in a client, and the checks that it shows nowhere.

`forms(key)` are the ways a key can leak (as is, percent-encoded, base64 in both alphabets);
`leaks(text, key)` says which of them a text holds. `Channels` collects every output channel a
user can see (str/repr of results and errors, the whole exception chain as printed, DEBUG log
records, spans with their events and attributes, pickles, CLI output) and `assert_clean` checks
them all. Used by the regression tests of issue 22 and by the canary harness
(tests/_async/test_canary.py).
"""

from __future__ import annotations

import base64
import itertools
import logging
import pickle
import traceback
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["Canary", "Channels", "canary_key", "forms", "leaks", "span_text", "tracing"]

_numbers = itertools.count()


def canary_key(tag: str = "") -> str:
    """A fresh key no other text contains (each call another: rotations look like this)."""
    return f"pk_live_CANARY{tag}_{next(_numbers):06d}_q7Zx9Kw2"


def forms(key: str) -> list[str]:
    """The ways `key` might come out: as is, percent-encoded, base64 (both alphabets, unpadded)."""
    raw = key.encode()
    return sorted(
        {
            key,
            quote(key, safe=""),
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
        }
    )


def leaks(text: str | bytes, key: str) -> list[str]:
    """The forms of `key` that `text` holds (empty: none)."""
    if isinstance(text, bytes):
        found = [form for form in forms(key) if form.encode() in text]
        return found
    return [form for form in forms(key) if form in text]


def tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    """A tracer provider of the test's own, exporting to memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def span_text(exporter: InMemorySpanExporter) -> str:
    """Every finished span as JSON: names, attributes, events (exception stack traces too)."""
    return "\n".join(span.to_json() for span in exporter.get_finished_spans())


def error_text(error: BaseException) -> str:
    """All that can be printed of an error: str, repr, args, the whole chain's traceback."""
    return "\n".join(
        [str(error), repr(error), repr(error.args), *traceback.format_exception(error)]
    )


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the message, and any exc_info traceback


@dataclass
class Channels:
    """What a user can see of one run, gathered for `assert_clean`."""

    texts: list[str] = field(default_factory=list)
    pickles: list[bytes] = field(default_factory=list)
    records: _Records = field(default_factory=_Records)

    def see(self, *values: object) -> None:
        """str and repr of each value (an exception: its whole chain as printed), and its
        pickle when it has one."""
        for value in values:
            if isinstance(value, BaseException):
                self.texts.append(error_text(value))
            else:
                self.texts.extend([str(value), repr(value)])
            if type(value).__module__.startswith("httpx"):
                continue  # httpx's objects pickle the body the server sent, as it sent it
            try:
                self.pickles.append(pickle.dumps(value))
            except Exception as error:  # an object that cannot be pickled says why
                self.texts.append(error_text(error))

    @contextmanager
    def logging(self) -> Generator[None, None, None]:
        """Records of the `phoson` logger at DEBUG, formatted with their tracebacks."""
        logger = logging.getLogger("phoson")
        level = logger.level
        logger.addHandler(self.records)
        logger.setLevel(logging.DEBUG)
        try:
            yield
        finally:
            logger.removeHandler(self.records)
            logger.setLevel(level)

    def assert_clean(self, key: str, exporter: InMemorySpanExporter | None = None) -> None:
        """No form of `key` in any text, log line, pickle or span gathered."""
        texts = [*self.texts, *self.records.lines]
        if exporter is not None:
            texts.append(span_text(exporter))
        for text in texts:
            assert not leaks(text, key), (leaks(text, key), text[:2000])
        for data in self.pickles:
            assert not leaks(data, key), (leaks(data, key), data[:2000])


# -- The hostile server ------------------------------------------------------------------------
#
# A reply is drawn as a template; the server fills it in when it answers, with the key it was
# sent (the request's Authorization, so a rotated key is echoed as it is at that moment) in
# each of its forms.

#: Placeholders a template may hold: the credentials the request carried, in each form.
ECHOES = ("{AUTH}", "{KEY}", "{KEY_PCT}", "{KEY_B64}", "{KEY_B64URL}")


def fill(template: str, authorization: str) -> str:
    key = authorization.partition(" ")[2] or authorization
    raw = key.encode()
    return (
        template.replace("{AUTH}", authorization)
        .replace("{KEY_PCT}", quote(key, safe=""))
        .replace("{KEY_B64URL}", base64.urlsafe_b64encode(raw).decode())
        .replace("{KEY_B64}", base64.b64encode(raw).decode())
        .replace("{KEY}", key)
    )


@dataclass
class Canary:
    """The `canary` fixture's value: a planted key, its channels, and a tracer provider whose
    spans are searched too (pass `canary.provider` as `tracer_provider=`)."""

    key: str
    channels: Channels = field(default_factory=Channels)

    def __post_init__(self) -> None:
        self.provider, self.exporter = tracing()

    def see(self, *values: object) -> None:
        self.channels.see(*values)
