"""Calls built by hand (`client.request`, `client.get`, …, `client.stream_sse`): checking what
the caller gave, and turning the answer into what `cast_to` asks for. No I/O.

Everything is checked before anything is sent, so a mistake costs no request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeAlias, TypeVar, get_args, get_origin

import httpx

from ._exceptions import InvalidArgumentError
from ._models import PhosonModel
from ._wire import EVENT_STREAM, JSON, Call, encode_json, parse_model, parse_model_list

__all__ = ["CastTo", "custom_call", "parser_for"]

#: What `cast_to=` accepts: a model class, `list[Model]`, or `httpx.Response` for the answer
#: itself (None, the default, means "no body"). `list[Any]`, not `Sequence[PhosonModel]`: a
#: checker then refuses `tuple[...]` and `Sequence[...]`, which the parser cannot build (a
#: list of something other than models passes the checker and is a TypeError at run time).
CastTo = TypeVar("CastTo", bound=PhosonModel | list[Any] | httpx.Response)

#: Turns a 2xx response into the value a call returns.
Parser: TypeAlias = Callable[[httpx.Response], Any]

#: An HTTP method: an RFC 9110 token.
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def custom_call(
    method: str,
    path: str,
    body: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    *,
    accept: str = JSON,
) -> Call:
    """The `Call` for a hand-made request; a `TypeError` for an argument of the wrong type, an
    `InvalidArgumentError` for one that cannot be used (README, "Errors").

    `path` is a path under the client's `base_url` (`"/agents"`), never a full URL: the API key
    goes to `base_url` only. It is sent as given, so ids in it must already be percent-encoded.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a str such as 'GET', not {type(method).__name__}")
    if not _METHOD.fullmatch(method):
        raise InvalidArgumentError(
            f"method must be an HTTP method such as 'GET' or 'POST', got {method!r}"
        )
    if not isinstance(path, str):
        raise TypeError(f"path must be a str such as '/agents', not {type(path).__name__}")
    if not path.startswith("/"):
        raise InvalidArgumentError(
            f"path must start with '/' (a path under base_url, such as '/agents'), got {path!r}; "
            "full URLs are refused so that the API key is only ever sent to base_url"
        )
    _check_path(path)
    if body is not None:
        if not isinstance(body, Mapping):
            raise TypeError(f"body must be a mapping (a JSON object), not {type(body).__name__}")
        body = dict(body)
        encode_json(body, "body")  # refused now, not when sending
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, not {type(params).__name__}")
    return Call(
        method.upper(),
        path,
        body,
        params=dict(params) if params else None,
        accept=accept,
        operation="client.stream_sse" if accept == EVENT_STREAM else "client.request",
    )


def _check_path(path: str) -> None:
    """Refuse a path that would not arrive under base_url as written.

    URL normalisation removes `.` and `..` segments (`/..` would leave base_url's own path
    prefix), and httpx refuses some characters only when the request is built: both are caught
    here, before anything is sent, as an `InvalidArgumentError`.
    """
    segments = re.split(r"[?#]", path, maxsplit=1)[0].split("/")
    if any(segment in (".", "..") for segment in segments):
        raise InvalidArgumentError(
            f"path must not contain '.' or '..' segments (they would be resolved away and the "
            f"request would go to another path), got {path!r}"
        )
    try:
        httpx.URL("https://phoson.invalid" + path)
    except httpx.InvalidURL as error:
        raise InvalidArgumentError(
            f"path is not a valid URL path ({error}), got {path!r}"
        ) from None


def parser_for(cast_to: object, *, strict: bool = True) -> Parser:
    """How to turn the answer into `cast_to`; a `TypeError` for anything it cannot be (what a
    type checker rejects: `cast_to` is typed with the same choices).

    `strict=False` is the client's `strict_response_validation=False` (see `parse_model`).
    """
    if cast_to is None:
        return _nothing
    if cast_to is httpx.Response:
        return _itself
    if get_origin(cast_to) is list:
        (item,) = get_args(cast_to) or (None,)
        if isinstance(item, type) and issubclass(item, PhosonModel):
            return partial(parse_model_list, model=item, strict=strict)
    elif isinstance(cast_to, type) and issubclass(cast_to, PhosonModel):
        return partial(parse_model, model=cast_to, strict=strict)
    raise TypeError(
        "cast_to must be a PhosonModel subclass, list[...] of one, httpx.Response, or None; "
        f"got {cast_to!r}"
    )


def _nothing(response: httpx.Response) -> None:
    return None


def _itself(response: httpx.Response) -> httpx.Response:
    return response
