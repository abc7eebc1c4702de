"""Keyword arguments are checked at call time: a typo is a `TypeError`, never silently dropped.

Every resource method takes its own parameters plus per-call options as `**options`, which
Python would otherwise accept whatever their names. `checks_keywords` wraps a method so that
an unknown keyword raises `TypeError` naming it and suggesting the close match ("did you mean
'timeout'?"). The check is one frozenset operation per call; the message (difflib) is built
only when it fails. No I/O.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from ._types import READ_OPTIONS, WRITE_OPTIONS

__all__ = ["checks_keywords", "unknown_keyword_error"]

P = ParamSpec("P")
R = TypeVar("R")

#: Options that only calls which change something take, and why a GET refuses them.
_WRITE_ONLY = {
    "idempotency_key": "a GET changes nothing, so it takes no Idempotency-Key",
    "extra_body": "a GET sends no body",
}


def unknown_keyword_error(where: str, name: str, accepted: Iterable[str]) -> TypeError:
    """The `TypeError` for keyword `name` passed to `where`, with the closest accepted name."""
    if name in _WRITE_ONLY:
        return TypeError(f"{where}() does not take {name}=: {_WRITE_ONLY[name]}")
    message = f"{where}() got an unexpected keyword argument {name!r}"
    close = difflib.get_close_matches(name, sorted(accepted), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return TypeError(message)


def checks_keywords(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap a resource method so that unknown keyword arguments raise `TypeError` at once.

    The accepted names are the method's own parameters plus its options (`WriteRequestOptions`
    for calls that change something, else `RequestOptions`), read from its signature once.
    """
    signature = inspect.signature(method)
    own: set[str] = set()
    options = READ_OPTIONS
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            if "WriteRequestOptions" in str(parameter.annotation):
                options = WRITE_OPTIONS
        elif parameter.name != "self":
            own.add(parameter.name)
    accepted = frozenset(own) | options
    # "AsyncAgents.create" and "Agents.create" both read as "agents.create" in messages; the
    # client's own calls (the CustomCalls base class) read as "client.get", as users write them.
    owner, _, name = method.__qualname__.rpartition(".")
    owner = owner.removeprefix("Async")
    where = f"{'client' if owner == 'CustomCalls' else owner.lower()}.{name}"

    @functools.wraps(method)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not accepted.issuperset(kwargs):
            unknown = next(key for key in kwargs if key not in accepted)
            raise unknown_keyword_error(where, unknown, accepted)
        return method(*args, **kwargs)

    return checked
