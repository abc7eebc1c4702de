"""A warning for the blocking client used on a thread that runs an event loop.

The product docs write `await client.agents.get(...)` and `async for event in
client.messages.stream(...)`. Pasted into `async def` code that uses `PhosonClient` (the
blocking client), the call blocks the event loop, and Python then says only "object Agent
can't be used in 'await' expression". The SDK's objects do not pretend otherwise: a result is
not awaitable and a blocking stream is not an async iterable, so `inspect.isawaitable`,
`isinstance(x, AsyncIterable)`, graphql-core, Jinja2's async mode, `asyncio.gather` and
Starlette's `StreamingResponse` see them as what they are.

Instead, the blocking client warns where the mistake happens: its requests and its streams
call `loop_check()`, which issues a `RuntimeWarning` (shown once per line of the caller's code,
Python's default for warnings) when the calling thread runs an asyncio or trio event loop. The
async client's code calls `aloop_check()`, which does nothing; build_sync.py maps one name to
the other. Under IPython (Jupyter notebooks run every cell inside an event loop, and the
blocking client is the usual choice there) it stays silent.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["BLOCKING_IN_LOOP", "aloop_check", "loop_check"]

BLOCKING_IN_LOOP = (
    "PhosonClient (the blocking client) is used on a thread that runs an {loop} event loop: "
    "each call blocks the loop until it returns. In async code use AsyncPhosonClient "
    "(`await client.agents.get(...)`, `async for event in client.messages.stream(...)`); "
    "with PhosonClient, call it without `await` and loop with a plain `for`, from a worker "
    "thread (`await asyncio.to_thread(...)`) if the code runs in an event loop."
)


def aloop_check() -> None:
    """Nothing: the async client belongs in an event loop."""


def loop_check() -> None:
    """Warn if this thread runs an event loop (the blocking client would block it)."""
    loop = _running_loop()
    if loop is None or _under_ipython():
        return
    warnings.warn(BLOCKING_IN_LOOP.format(loop=loop), RuntimeWarning, stacklevel=_callers_level())


def _running_loop() -> str | None:
    """ "asyncio" or "trio" if this thread runs that event loop, else None. Cheap: it looks only
    at libraries already imported."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and asyncio._get_running_loop() is not None:
        return "asyncio"
    trio = sys.modules.get("trio")
    if trio is not None:
        in_trio_run = getattr(getattr(trio, "lowlevel", None), "in_trio_run", None)
        if in_trio_run is not None and in_trio_run():
            return "trio"
    return None


def _under_ipython() -> bool:
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython is not None and get_ipython() is not None


def _callers_level() -> int:
    """The `stacklevel` that names the first frame outside phoson: the caller's own line."""
    level = 2
    frame = sys._getframe(2)  # loop_check's caller is level 2
    while frame is not None and _in_phoson(frame.f_globals.get("__name__", "")):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _in_phoson(module: str) -> bool:
    return module == "phoson" or module.startswith("phoson.")
