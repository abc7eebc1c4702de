"""SIGTERM handled like Ctrl-C: while a command runs, it raises `Terminated`, which unwinds the
same way KeyboardInterrupt does (an open stream is closed on the way out) and exits 143."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["STOPS", "Terminated", "terminate_on_sigterm"]


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt: no `except Exception` eats it."""


#: What stops a command from outside: Ctrl-C (SIGINT) and SIGTERM.
STOPS = (KeyboardInterrupt, Terminated)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """While the block runs, SIGTERM raises `Terminated`; the previous handler comes back after.
    Off the main thread (where Python cannot set handlers) signals are left alone."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
