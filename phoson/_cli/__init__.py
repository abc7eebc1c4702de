"""The `phoson` command: chat with an agent, and manage agents, conversations and messages.

    phoson chat "Hello"            stream a reply (makes an agent and a conversation first)
    phoson agents list             a table; add --json for JSON
    phoson --local chat "Hello"    the same against an in-process phoson.testing server

Standard library `argparse` and the blocking `PhosonClient` only; `json`, `shutil` and the
local test server are imported only by the commands that use them. `main` is the console
script's entry point (`phoson = "phoson._cli:main"`) and `python -m phoson`'s.

Exit status: 0 ok; 1 an API error (`error: <status> <detail>`), a connection error, a missing
API key or a run that ended with an `error` event; 2 a usage error; 130 interrupted (Ctrl-C);
143 terminated (SIGTERM, handled like Ctrl-C: an open stream is closed first).
A reader that closes the pipe early (`phoson agents list | head -1`) ends the command quietly.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, Any, TextIO, cast

from ._parser import API_KEY_ENV, Handler, Prepare, build_parser
from ._signals import Terminated, terminate_on_sigterm

if TYPE_CHECKING:
    import argparse

    from .._sync import PhosonClient

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 130, 143

MISSING_KEY = (
    f"no API key: set {API_KEY_ENV}, pass --api-key KEY, "
    "or use --local to try the command against a local test server"
)


def main(argv: list[str] | None = None) -> int:
    """Run one command line (default: `sys.argv[1:]`) and return its exit status."""
    try:
        with terminate_on_sigterm():
            return _run(argv)
    except SystemExit as exc:  # argparse: --help and --version (0), usage errors (2)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        print(exc.code, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Terminated:
        return EXIT_TERMINATED
    except BrokenPipeError:
        # The reader went away: stop quietly. Point stdout at devnull so that the
        # interpreter's last flush does not complain about the closed pipe either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    leaf: argparse.ArgumentParser = args.leaf
    if args.local and (args.api_key is not None or args.base_url is not None):
        leaf.error("--local cannot be combined with --api-key or --base-url")
    prepare: Prepare | None = getattr(args, "prepare", None)
    if prepare is not None:
        prepare(args, leaf)

    from .._exceptions import PhosonAPIError, PhosonError, _describe_detail

    try:
        with ExitStack() as stack:
            # Everything the command prints (tables, --json, a streamed reply, notes) passes
            # through redaction: a server that echoes the key into data never shows it here.
            # (`cast`: `_Redacting` forwards the rest of TextIO's methods through __getattr__.)
            stack.enter_context(redirect_stdout(cast(TextIO, _Redacting(sys.stdout))))
            stack.enter_context(redirect_stderr(cast(TextIO, _Redacting(sys.stderr))))
            handler: Handler = args.handler
            status = handler(_client(args, stack), args)
            sys.stdout.flush()
            return status
    except PhosonAPIError as exc:
        line = f"{exc.status_code} {_describe_detail(exc.detail)}"
        if exc.request_id:
            line += f" (request id {exc.request_id})"
        _error(line)
    except PhosonError as exc:
        _error(str(exc))
    return EXIT_ERROR


def _client(args: argparse.Namespace, stack: ExitStack) -> PhosonClient:
    """The client for this command (with --local, after starting the server it talks to)."""
    from .._exceptions import PhosonError

    if args.local:
        from ..testing import LocalPhosonServer

        server = stack.enter_context(LocalPhosonServer())
        api_key: str | None = server.api_key
        base_url: str | None = server.url
    else:
        api_key = args.api_key or os.environ.get(API_KEY_ENV)
        if not api_key:
            raise PhosonError(MISSING_KEY)
        base_url = args.base_url
    from .._sync import PhosonClient  # httpx and pydantic: only once a request is coming

    return stack.enter_context(PhosonClient(api_key=api_key, base_url=base_url))


def _error(message: str) -> None:
    from .._redact import redact  # errors are redacted already: this is the last line of defence

    sys.stdout.flush()
    print(f"error: {redact(message)}", file=sys.stderr, flush=True)


class _Redacting:
    """A text stream that writes to `stream` with every API key redacted (`phoson._redact`)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from .._redact import redact

        self._stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self._stream, name)
