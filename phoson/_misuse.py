"""Helpful errors for async syntax on the blocking client's objects (runtime only).

The product docs write `async for event in client.messages.stream(...)`; pasted into code that
uses `PhosonClient` (the blocking client) Python would say only "'async for' requires an object
with __aiter__ method". `BlockingStreamUsage` gives the blocking stream classes `__aiter__`,
`__aenter__` and `__aexit__` that raise a `TypeError` saying what to do instead, before any I/O.

The async classes derive from the empty `AsyncStreamUsage`; build_sync.py maps that name to
`BlockingStreamUsage` (see its REPLACEMENTS), so only the generated blocking classes get these
methods, and unasync never rewrites them. They are defined only at runtime (`if not
TYPE_CHECKING`), so a type checker still reports `async for` over a blocking stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

__all__ = ["AsyncStreamUsage", "BlockingStreamUsage", "misused_await"]


def _misused(what: str, instead: str) -> NoReturn:
    raise TypeError(
        f"{what} does not work on PhosonClient's streams: PhosonClient is the blocking client. "
        f"Use {instead}, or create an AsyncPhosonClient for async code."
    )


class AsyncStreamUsage:
    """Nothing: the async client's streams are used with `async for` and `async with`."""

    __slots__ = ()


class BlockingStreamUsage:
    """Runtime-only `__aiter__`/`__aenter__`/`__aexit__` that explain the blocking client."""

    __slots__ = ()

    if not TYPE_CHECKING:

        def __aiter__(self) -> NoReturn:
            _misused("'async for'", "a plain 'for' loop (for event in stream: ...)")

        async def __aenter__(self) -> NoReturn:
            _misused(
                "'async with'", "a plain 'with' block (with client.messages.stream(...) as stream:)"
            )

        async def __aexit__(self, *exc_info: Any) -> None:
            return None


def misused_await(obj: object) -> NoReturn:
    """The error for `await` on a result: the blocking client's calls return results directly."""
    name = type(obj).__name__
    raise TypeError(
        f"{name} is a result, not something to await: PhosonClient (the blocking client) "
        f"returns results directly, so drop the 'await' (the call has already been made), "
        f"or create an AsyncPhosonClient for async code."
    )
