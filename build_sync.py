"""Generate the blocking client and its tests from the async source, with `unasync`.

    python build_sync.py           # write phoson/_sync and tests/_sync
    python build_sync.py --check   # exit 1 if they differ from what would be written

Each generated file is the unasync rewrite of its `_async` twin, stamped "DO NOT EDIT",
import-sorted and formatted with ruff. The build fails, in both modes, when an async name has
no mapping below (unasync would silently turn `AsyncFoo` into `SyncFoo`), or when any async
word survives in the output.
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parent

#: Pinned: 3.12+ tokenizes f-strings in parts (PEP 701), so unasync's output differs by Python.
PYTHON = (3, 11)

#: (async source, generated output), relative to the project root.
TREES = [("phoson/_async", "phoson/_sync"), ("tests/_async", "tests/_sync")]

#: Names unasync must rewrite, beyond its defaults (`__aenter__`, `AsyncIterator`, ...).
REPLACEMENTS = {
    # The package paths: `from phoson._async... import` becomes `from phoson._sync... import`.
    "_async": "_sync",
    # Our own classes: unasync's default would turn AsyncFoo into SyncFoo.
    "AsyncPhosonClient": "PhosonClient",
    "AsyncRequester": "Requester",
    "AsyncAgents": "Agents",
    "AsyncConversations": "Conversations",
    "AsyncMessages": "Messages",
    "AsyncResource": "Resource",
    "AsyncMessageStream": "MessageStream",
    # phoson/_misuse.py: the blocking client warns when it is used on a thread that runs an
    # event loop; the async client's twin of that check does nothing.
    "aloop_check": "loop_check",
    "AsyncCustomCalls": "CustomCalls",
    # with_raw_response: the raw-answering requester and each resource's raw twin.
    "AsyncRawRequester": "RawRequester",
    "AsyncAgentsWithRawResponse": "AgentsWithRawResponse",
    "AsyncConversationsWithRawResponse": "ConversationsWithRawResponse",
    "AsyncMessagesWithRawResponse": "MessagesWithRawResponse",
    "AsyncPool": "Pool",
    # The slots in front of a pool (phoson/_slots.py): an anyio FIFO queue for tasks, a
    # threading one for threads.
    "AsyncSlotQueue": "SlotQueue",
    # Where a task waits its turn, and a thread (a test seam: an interruption lands there).
    "_await_turn": "_wait_for_turn",
    # What a pool belongs to (phoson/_ownership.py): the running event loop in one, the
    # process in the other.
    "acurrent_owner": "current_owner",
    "aclose_at_loop_end": "close_at_loop_end",
    # Finishing a stream's body in the background (phoson/_background.py): a task in one, a
    # worker thread in the other.
    "astart": "start",
    # TLS over a connection (phoson/_memory_tls.py): the event-loop backend's own, or the
    # blocking client's over in-memory buffers.
    "aopen_tls": "open_tls",
    "AsyncClosable": "Closable",
    "asettled": "settled",
    "aclose_for_loop": "close_for_loop",
    # Work handed to an event loop from elsewhere (a finalizer, another thread); done at once in
    # the blocking client.
    "acall_soon": "call_soon",
    # phoson's httpx client with the SDK's defaults (phoson/_http_clients.py), one per kind.
    "DefaultAsyncHttpxClient": "DefaultHttpxClient",
    # httpx's async classes and their blocking twins (SyncByteStream keeps unasync's default).
    "AsyncClient": "Client",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncHTTPTransport": "HTTPTransport",
    "AsyncNetworkBackend": "NetworkBackend",  # httpcore's, under TYPE_CHECKING
    "AsyncNetworkStream": "NetworkStream",
    "AsyncByteStream": "SyncByteStream",
    # httpx's and the standard library's `a`-prefixed methods, missing from unasync's defaults.
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "aiter_raw": "iter_raw",
    "aiter_lines": "iter_lines",
    "anext": "next",
    "aiter": "iter",
    "AsyncExitStack": "ExitStack",
    # The sleep seam (phoson/_sleep.py): anyio.sleep has no token-level blocking twin.
    "asleep": "sleep",
    # The timer seam (phoson/_sleep.py): an event-loop callback in one, a thread in the other.
    "acall_later": "call_later",
    # The reader's hold on its stream's closer (phoson/_stream_closer.py): a flag in one, a lock
    # in the other.
    "atry_hold": "try_hold",
    "ahold": "hold",
    "arelease": "release",
    # close() called in the thread that holds the reader's hold: never, in the async half.
    "aheld_here": "held_here",
    # A retry's wait while opening: inside the cancel scope in one, woken by close() in the other.
    "apause": "pause",
    # The typing seam of with_raw_response (phoson/_response.py): a coroutine's result differs.
    "araw_call": "raw_call",
    # The test-suite seams (tests/concurrency.py): tasks in one, threads in the other.
    "agather": "gather",
    "acheckpoint": "checkpoint",
    "apoll_until": "poll_until",
    "AJob": "Job",
    "AsyncServerThread": "ServerThread",
    # phoson.web's relay body (phoson/_async/_relay.py) and its background reader
    # (phoson/_pump.py): a task of the event loop in one, a thread in the other.
    "AsyncSSEBody": "SSEBody",
    "AsyncPump": "Pump",
    # LocalPhosonServer's in-process transports: one per kind of httpx client.
    "async_transport": "transport",
}

#: `Awaitable[X]` in the async source is `X` in the blocking one. A plain method may hand on
#: another call's awaitable instead of awaiting it in a coroutine of its own (one coroutine
#: fewer for every call: `_PooledBody.__anext__`, read once a chunk); its blocking twin returns
#: that call's value. unasync rewrites names only, so this is done here, brackets matched.
AWAITABLE = "Awaitable["


def drop_awaitable(text: str) -> str:
    """Rewrite every `Awaitable[X]` as `X` (the import left unused is removed by ruff)."""
    while (start := text.find(AWAITABLE)) >= 0:
        depth, end = 1, start + len(AWAITABLE)
        while depth:
            depth += {"[": 1, "]": -1}.get(text[end], 0)
            end += 1
        text = text[:start] + text[start + len(AWAITABLE) : end - 1] + text[end:]
    return text


#: Words that must not survive in generated code (comments and docstrings included).
LEFTOVER = re.compile(
    r"\b(?:Async[A-Z]\w*|async|await|asyncio|anyio|trio|aclose|aread|aiter_\w+|asleep|agather"
    r"|__a(?:enter|exit|iter|next)__|StopAsyncIteration)\b"
    r"|\bSync(?!ByteStream\b)[A-Z]\w*"
)
ASYNC_NAME = re.compile(r"^Async[A-Z]\w*$")

STAMP = (
    "# DO NOT EDIT: generated from {source} by build_sync.py.\n"
    "# Change the async source and run `python build_sync.py`.\n"
)


class BuildError(Exception):
    pass


def check_names(path: Path, source: str) -> None:
    """Fail on an `Async*` name that has no explicit mapping."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        known = token.string in REPLACEMENTS or token.string in unasync._ASYNC_TO_SYNC
        if token.type == tokenize.NAME and ASYNC_NAME.match(token.string) and not known:
            raise BuildError(
                f"{path}:{token.start[0]}: {token.string} has no mapping in "
                "build_sync.REPLACEMENTS (unasync would write Sync...)"
            )


def ruff(args: list[str], files: list[Path], cwd: Path) -> None:
    """Run ruff over `files` in place, once for all of them (a ruff process per file cost
    most of this script's time). `cwd` holds a copy of pyproject.toml, so the project's
    settings (and its per-file rules, by relative path) apply as they do in the repository."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, *(str(path) for path in files)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if result.returncode != 0:
        raise BuildError(f"ruff {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def generate() -> dict[Path, str]:
    """Every generated file's path (relative to ROOT) and its text."""
    outputs: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")  # ruff's settings
        rules = []
        sources: list[Path] = []
        for source_dir, target_dir in TREES:
            for path in sorted((ROOT / source_dir).rglob("*.py")):
                relative = path.relative_to(ROOT)
                text = path.read_text(encoding="utf-8")
                check_names(relative, text)
                copy = work / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_text(text, encoding="utf-8")
                sources.append(relative)
            rules.append(
                unasync.Rule(
                    f"/{source_dir}/", f"/{target_dir}/", additional_replacements=REPLACEMENTS
                )
            )
        unasync.unasync_files([str(work / source) for source in sources], rules)
        targets: dict[Path, Path] = {}  # generated file -> its source
        for source in sources:
            source_dir, target_dir = next(
                (s, t) for s, t in TREES if source.parts[: len(Path(s).parts)] == Path(s).parts
            )
            target = Path(target_dir) / source.relative_to(source_dir)
            text = STAMP.format(source=source.as_posix()) + (work / target).read_text("utf-8")
            (work / target).write_text(drop_awaitable(text), encoding="utf-8")
            targets[target] = source
        # Imports sorted, and any the rewrite left unused (`Awaitable`) removed; then formatted.
        ruff(["check", "--select", "I,F401", "--fix-only", "--quiet"], list(targets), work)
        ruff(["format", "--quiet"], list(targets), work)
        for target, source in targets.items():
            text = (work / target).read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines()[2:], start=3):
                match = LEFTOVER.search(line)
                if match:
                    raise BuildError(
                        f"{target}:{number}: async word {match.group()!r} left after unasync "
                        f"(from {source}); map it in REPLACEMENTS or reword it neutrally:\n    {line.strip()}"
                    )
            outputs[target] = text
    return outputs


def existing() -> dict[Path, str]:
    found = {}
    for _, target_dir in TREES:
        for path in sorted((ROOT / target_dir).rglob("*.py")):
            found[path.relative_to(ROOT)] = path.read_text(encoding="utf-8")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated files are stale")
    args = parser.parse_args()
    if sys.version_info[:2] != PYTHON:
        print(
            f"build_sync.py runs on Python {PYTHON[0]}.{PYTHON[1]} only (found "
            f"{sys.version.split()[0]}); use `uv run python build_sync.py`",
            file=sys.stderr,
        )
        return 2
    try:
        wanted = generate()
    except BuildError as error:
        print(f"build_sync.py: {error}", file=sys.stderr)
        return 1
    have = existing()
    problems = []
    for path, text in wanted.items():
        if path not in have:
            problems.append(f"missing: {path}")
        elif have[path] != text:
            diff = difflib.unified_diff(
                have[path].splitlines(), text.splitlines(), str(path), "generated", lineterm="", n=1
            )
            problems.append(f"differs: {path}\n" + "\n".join(list(diff)[:40]))
    problems += [f"orphan (no async source): {path}" for path in have if path not in wanted]
    if args.check:
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print(
                f"build_sync.py --check: {len(problems)} generated file(s) out of date; "
                "run `python build_sync.py` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"build_sync.py --check: {len(wanted)} generated files up to date")
        return 0
    for _, target_dir in TREES:
        shutil.rmtree(ROOT / target_dir, ignore_errors=True)
    for path, text in wanted.items():
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / path).write_text(text, encoding="utf-8")
    print(f"build_sync.py: wrote {len(wanted)} files ({len(problems)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
