"""`DefaultHttpxClient` and `DefaultAsyncHttpxClient`: httpx clients with the SDK's defaults.

For callers who need their own httpx client (a proxy, mTLS, event hooks, a custom transport)
and want to keep the SDK's timeout (600 s, 5 s to connect), pool limits and no redirects:

    client = PhosonClient(http_client=phoson.DefaultHttpxClient(proxy="http://proxy:3128"))

Any keyword argument of `httpx.Client` / `httpx.AsyncClient` is passed on and wins over the
defaults.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._types import DEFAULT_LIMITS, DEFAULT_TIMEOUT

__all__ = ["DefaultAsyncHttpxClient", "DefaultHttpxClient"]


def _with_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    kwargs.setdefault("limits", DEFAULT_LIMITS)
    kwargs.setdefault("follow_redirects", False)
    return kwargs


class DefaultHttpxClient(httpx.Client):
    """An `httpx.Client` with the SDK's timeout, pool limits and redirect policy by default."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_defaults(kwargs))


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` with the SDK's timeout, pool limits and redirect policy by default."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_defaults(kwargs))
