"""`DefaultHttpxClient` and `DefaultAsyncHttpxClient`: httpx clients with the SDK's defaults.

For callers who need their own httpx client (a proxy, mTLS, event hooks, a custom transport)
and want to keep the SDK's timeout (600 s, 5 s to connect), pool limits and no redirects:

    client = PhosonClient(http_client=phoson.DefaultHttpxClient(proxy="http://proxy:3128"))

Any keyword argument of `httpx.Client` / `httpx.AsyncClient` is passed on and wins over the
defaults.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import httpx

from ._types import DEFAULT_LIMITS, DEFAULT_TIMEOUT

__all__ = ["DefaultAsyncHttpxClient", "DefaultHttpxClient"]

#: The SDK's defaults, which any keyword argument overrides.
_DEFAULTS: dict[str, Any] = {
    "timeout": DEFAULT_TIMEOUT,
    "limits": DEFAULT_LIMITS,
    "follow_redirects": False,
}


def _with_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {**_DEFAULTS, **kwargs}


def _signature(base: type[httpx.Client] | type[httpx.AsyncClient]) -> inspect.Signature:
    """`base.__init__`'s signature with the SDK's defaults, for `help()` and IDEs."""
    signature = inspect.signature(base.__init__)
    return signature.replace(
        parameters=[
            parameter.replace(default=_DEFAULTS[parameter.name])
            if parameter.name in _DEFAULTS
            else parameter
            for parameter in signature.parameters.values()
        ]
    )


# Type checkers see httpx's own `__init__` (every parameter, typed; a misspelt one such as
# `proxies=` is their error), since these classes define none for them. At run time `__init__`
# puts the SDK's defaults under the caller's keywords, and shows httpx's parameters.


class DefaultHttpxClient(httpx.Client):
    """An `httpx.Client` with the SDK's timeout (600 s, 5 s to connect), pool limits and no
    redirects by default; it takes every keyword argument of `httpx.Client`."""

    if not TYPE_CHECKING:

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**_with_defaults(kwargs))

        __init__.__signature__ = _signature(httpx.Client)


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` with the SDK's timeout (600 s, 5 s to connect), pool limits and
    no redirects by default; it takes every keyword argument of `httpx.AsyncClient`."""

    if not TYPE_CHECKING:

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**_with_defaults(kwargs))

        __init__.__signature__ = _signature(httpx.AsyncClient)
