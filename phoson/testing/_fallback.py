"""`configured_or_local()`: the real API when one is configured, a local server otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from ._server import LocalPhosonServer

__all__ = ["configured_or_local"]


@contextmanager
def configured_or_local(*, notice: TextIO | None = None) -> Iterator[tuple[str, str | None]]:
    """Yield `(api_key, base_url)` for a client.

    With `PHOSON_API_KEY` set, they are that key and `PHOSON_BASE_URL` (None: the client's
    default). Without it, a `LocalPhosonServer` runs for the duration of the block, and a line
    saying so goes to `notice` (default: stderr), so a demo or example works on a machine with
    no account.
    """
    api_key = os.environ.get("PHOSON_API_KEY")
    if api_key:
        yield api_key, os.environ.get("PHOSON_BASE_URL") or None
        return
    with LocalPhosonServer() as server:
        print(
            f"PHOSON_API_KEY is not set: using a local server at {server.url}",
            file=notice or sys.stderr,
        )
        yield server.api_key, server.url
