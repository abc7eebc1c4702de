"""Every option is checked before anything is sent: its name at call time (a typo is a
`TypeError`, never silently dropped) and its value by one validator, the same at construction,
in `with_options` and on each call.

Every resource method takes its own parameters plus per-call options as `**options`, which
Python would otherwise accept whatever their names. `checks_keywords` wraps a method so that
an unknown keyword raises `TypeError` naming it and suggesting the close match ("did you mean
'timeout'?"). The check is one frozenset operation per call; the message (difflib) is built
only when it fails.

The option validator (`check_call_options`, and the per-option checkers the constructor and
`with_options` use) refuses a value of the wrong type or range with an error that names the
option and the values it accepts (`option_error`, the one place that decides the error's class),
before any request goes out. No I/O.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar, cast

import httpx

from ._exceptions import InvalidArgumentError
from ._redact import remember_authorization
from ._types import READ_OPTIONS, WRITE_OPTIONS, HeaderValue, NotGiven, RequestOptions

__all__ = [
    "check_body",
    "check_bool",
    "check_call_options",
    "check_header_value",
    "check_headers",
    "check_idempotency_key",
    "check_key_function",
    "check_limits",
    "check_max_event_size",
    "check_max_retries",
    "check_query",
    "check_seconds",
    "check_timeout",
    "checks_keywords",
    "option_error",
    "remember_secret_headers",
    "unknown_keyword_error",
]

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


# -- The option validator ----------------------------------------------------------------------


def option_error(
    option: str, got: object, accepted: str, *, wrong_type: bool, show: bool = True
) -> TypeError | InvalidArgumentError:
    """The error for option `option` given `got`, saying which values it accepts.

    The one place that decides the class of a bad option's error: a value of a type the
    signature does not admit (what a type checker would reject: `timeout="5"`,
    `max_retries=True`) is a `TypeError`; a value of an admitted type that cannot be used
    (`timeout=-1`, `max_event_size=0`) is an `InvalidArgumentError` (a `PhosonError`). With
    `show=False` only the value's type is named (header values and keys may be secrets).
    """
    shown = repr(got) if show else f"a {type(got).__name__}"
    message = f"{option} must be {accepted}; got {shown}"
    return TypeError(message) if wrong_type else InvalidArgumentError(message)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TIMEOUT_VALUES = "a number of seconds >= 0, an httpx.Timeout, or None (no timeout)"


def check_timeout(value: object, option: str = "timeout") -> httpx.Timeout:
    """A timeout as `httpx.Timeout`: a number is the total, an `httpx.Timeout` is kept."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    if not _is_number(value):
        raise option_error(option, value, _TIMEOUT_VALUES, wrong_type=True)
    number = cast(float, value)
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise option_error(option, value, _TIMEOUT_VALUES, wrong_type=False)
    return httpx.Timeout(number)


_SECONDS_VALUES = "a number of seconds > 0, or None"


def check_seconds(value: object, option: str) -> float | None:
    """`deadline=` or `stream_idle_timeout=`: None (none: the client's default behaviour), or
    a number of seconds above 0."""
    if value is None:
        return None
    if not _is_number(value):
        raise option_error(option, value, _SECONDS_VALUES, wrong_type=True)
    number = float(cast(float, value))
    if math.isnan(number) or math.isinf(number) or number <= 0:
        raise option_error(option, value, _SECONDS_VALUES, wrong_type=False)
    return number


def _check_whole(value: object, option: str, accepted: str, *, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise option_error(option, value, accepted, wrong_type=True)
    if value < least:
        raise option_error(option, value, accepted, wrong_type=False)
    return value


def check_max_retries(value: object, option: str = "max_retries") -> int:
    return _check_whole(value, option, "a whole number >= 0 (0: no retries)", least=0)


def check_max_event_size(value: object, option: str = "max_event_size") -> int:
    return _check_whole(value, option, "a whole number of bytes > 0 (default 16 MiB)", least=1)


def check_bool(value: object, option: str) -> bool:
    if not isinstance(value, bool):
        raise option_error(option, value, "True or False", wrong_type=True)
    return value


def check_limits(value: object, option: str = "limits") -> httpx.Limits | None:
    if value is not None and not isinstance(value, httpx.Limits):
        raise option_error(option, value, "an httpx.Limits or None", wrong_type=True)
    return value


#: What may appear in an HTTP header value: visible ASCII, spaces and tabs.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
#: What may appear in an HTTP header name (an RFC 9110 token).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Headers whose values are credentials: registered for redaction when a caller gives them.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})


def check_header_value(name: str, value: object, option: str = "extra_headers") -> str:
    """`value` if it can be sent as header `name`, else an error naming the header.

    The value is never quoted in the error: it may be a secret.
    """
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise option_error(
            f"each name in {option}",
            name,
            "an HTTP header name (letters, digits, -_.!#$%&'*+^`|~)",
            wrong_type=not isinstance(name, str),
        )
    if not isinstance(value, str):
        raise option_error(
            f"{option}[{name!r}]", value, "a str, or None to remove it", wrong_type=True, show=False
        )
    if not _HEADER_VALUE.fullmatch(value):
        position = next(i for i, ch in enumerate(value) if not _HEADER_VALUE.fullmatch(ch))
        kind = "a non-ASCII character" if not value[position].isascii() else "a control character"
        raise InvalidArgumentError(
            f"header {name!r} has {kind} at position {position}: header values are ASCII "
            "(encode other text, for example with urllib.parse.quote)"
        )
    if name.lower() in SECRET_HEADERS:
        remember_authorization(value)
    return value


def remember_secret_headers(headers: Mapping[str, str]) -> None:
    """Register the credentials in headers the SDK did not check (an `http_client`'s own)."""
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and isinstance(value, str):
            remember_authorization(value)


def check_headers(value: object, option: str) -> dict[str, HeaderValue]:
    """Headers given by the caller, each checked (None, which removes a header, passes).
    A credential header's value is registered for redaction."""
    if not isinstance(value, Mapping):
        raise option_error(
            option, value, "a mapping of header names to str (or None)", wrong_type=True, show=False
        )
    return {
        name: None if header is None else check_header_value(name, header, option)
        for name, header in value.items()
    }


def check_query(value: object, option: str) -> dict[str, Any]:
    """Query parameters given by the caller: a mapping with str names (None removes one)."""
    if not isinstance(value, Mapping):
        raise option_error(option, value, "a mapping of parameter names to values", wrong_type=True)
    for name in value:
        if not isinstance(name, str):
            raise option_error(f"each name in {option}", name, "a str", wrong_type=True)
    return dict(value)


def check_body(value: object, option: str = "extra_body") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise option_error(
            option, value, "a mapping of JSON field names to values", wrong_type=True
        )
    for name in value:
        if not isinstance(name, str):
            raise option_error(f"each name in {option}", name, "a str", wrong_type=True)
    return dict(value)


def check_idempotency_key(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        accepted = "a non-empty str"
        raise option_error(
            "idempotency_key", value, accepted, wrong_type=not isinstance(value, str)
        )
    return check_header_value("Idempotency-Key", value, "idempotency_key")


def check_key_function(function: Callable[..., Any]) -> Callable[[], str]:
    """A key function, refused now if it is an `async def` (it would be called without being
    awaited)."""
    target = function.func if isinstance(function, functools.partial) else function
    call = getattr(target, "__call__", None)  # noqa: B004 - a callable object's method
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(call):
        raise option_error(
            "api_key",
            function,
            "a str or a plain function returning one (an async function cannot be called "
            "from inside the request: fetch the key before the call instead)",
            wrong_type=True,
            show=False,
        )
    return cast(Callable[[], str], function)


#: The checker of each per-call option.
_CALL_OPTION_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "timeout": check_timeout,
    "deadline": check_seconds,
    "stream_idle_timeout": check_seconds,
    "max_retries": check_max_retries,
    "extra_headers": check_headers,
    "extra_query": check_query,
    "extra_body": check_body,
    "idempotency_key": lambda value, option: check_idempotency_key(value),
}


def check_call_options(
    where: str, options: Mapping[str, Any], *, changes_state: bool
) -> RequestOptions:
    """The per-call options of one call, each checked before anything is sent.

    An option a GET does not take (`idempotency_key`, `extra_body`) is the same `TypeError`
    as `client.get(...)` raises, whichever method sent it (`client.request("GET", ...)`).
    """
    if not options:
        return cast(RequestOptions, options)
    checked: dict[str, Any] = {}
    accepted = WRITE_OPTIONS if changes_state else READ_OPTIONS
    for name, value in options.items():
        if name not in accepted:
            raise unknown_keyword_error(where, name, accepted)
        if isinstance(value, NotGiven):
            continue  # left out: the client's setting applies
        check = _CALL_OPTION_CHECKS.get(name)
        checked[name] = value if check is None else check(value, name)
    return cast(RequestOptions, checked)
