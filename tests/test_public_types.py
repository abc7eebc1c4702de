"""Every type a user meets in a public signature can be imported from a public module.

The walk starts at `phoson.__all__`, `phoson.types.__all__` and `phoson.testing.__all__`,
follows each public class's public methods, properties and annotated attributes, and every
type their annotations name; each class defined in phoson that it reaches must be importable
from `phoson`, `phoson.types` or `phoson.testing` under its own name, and every alias name an
annotation prints (`MemoryTypeInput`, `TimeoutTypes`…) must be one of theirs too. So no user
code needs a `phoson._` import to annotate a variable, a parameter or a subclass.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import ssl
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, cast

import httpx

import phoson
import phoson.testing
import phoson.types

PUBLIC_MODULES = (phoson, phoson.types, phoson.testing)

#: Dunder methods that are part of a class's public face.
PUBLIC_DUNDERS = {
    "__init__",
    "__call__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__iter__",
    "__next__",
    "__aiter__",
    "__anext__",
}

#: Classes users receive from the SDK and never construct: their `__init__` is not public
#: (it takes the SDK's internals), the rest of them is.
MADE_BY_THE_SDK = {
    "AsyncAgents",
    "AsyncConversations",
    "AsyncMessages",
    "Agents",
    "Conversations",
    "Messages",
    "AsyncMessageStream",
    "MessageStream",
    "LocalTransport",
    "LocalAsyncTransport",
}


def _phoson_namespace() -> dict[str, Any]:
    """Every name of every phoson module: annotations are strings (PEP 563) that may name
    types imported only for type checkers."""
    namespace: dict[str, Any] = {}
    for info in pkgutil.walk_packages(phoson.__path__, "phoson."):
        # Not the optional OpenTelemetry half (no public signature names its types; importing it
        # at collection made CPython 3.11.7's parser fail later in the process: `SystemError:
        # AST constructor recursion depth mismatch` in the canary test), nor web frameworks.
        if info.name.endswith("__main__") or ".web" in info.name or info.name.endswith("._otel"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra (OpenTelemetry) or framework
            continue
        namespace.update(vars(module))
    return namespace


NAMESPACE = _phoson_namespace()
#: What annotations are evaluated in: phoson's names, and httpx's aliases (the signature of
#: `DefaultHttpxClient` is httpx's own).
EVALUATION_NAMESPACE = {
    **vars(typing),
    **vars(types),
    **vars(httpx._types),  # pyright: ignore[reportPrivateUsage]
    **vars(httpx._client),  # pyright: ignore[reportPrivateUsage]
    "typing": typing,
    "ssl": ssl,
    **NAMESPACE,
}


def _public_name(obj: object, name: str) -> bool:
    return any(getattr(module, name, None) is obj for module in PUBLIC_MODULES)


def _defined_in_phoson(obj: object) -> bool:
    return str(getattr(obj, "__module__", "")).startswith("phoson")


def _annotations_of(cls_or_function: Any) -> Iterator[tuple[str, object]]:
    """(where, annotation) for a function's parameters and return, or a class's public
    members and annotated attributes."""
    if inspect.isclass(cls_or_function):
        cls = cls_or_function
        for klass in reversed(cls.__mro__):
            if not _defined_in_phoson(klass):
                continue
            for name, annotation in vars(klass).get("__annotations__", {}).items():
                if not name.startswith("_"):
                    yield f"{cls.__qualname__}.{name}", annotation
            for name, member in vars(klass).items():
                if name.startswith("_") and name not in PUBLIC_DUNDERS:
                    continue
                if name == "__init__" and cls.__name__ in MADE_BY_THE_SDK:
                    continue
                if isinstance(member, property) and member.fget is not None:
                    yield from _annotations_of_function(f"{cls.__qualname__}.{name}", member.fget)
                elif isinstance(member, staticmethod | classmethod):
                    function = cast(Callable[..., Any], member.__func__)  # pyright: ignore[reportUnknownMemberType]
                    yield from _annotations_of_function(f"{cls.__qualname__}.{name}", function)
                elif inspect.isfunction(member):
                    yield from _annotations_of_function(f"{cls.__qualname__}.{name}", member)
    elif callable(cls_or_function):
        yield from _annotations_of_function(cls_or_function.__qualname__, cls_or_function)


def _annotations_of_function(
    where: str, function: Callable[..., Any]
) -> Iterator[tuple[str, object]]:
    """The annotations a user sees: `inspect.signature`'s (a raw twin's own signature)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    for name, parameter in signature.parameters.items():
        if parameter.annotation is not parameter.empty:
            yield f"{where}({name})", parameter.annotation
    if signature.return_annotation is not signature.empty:
        yield f"{where}(return)", signature.return_annotation


def _evaluate(annotation: object, where: str) -> tuple[object, set[str]]:
    """The annotation's value, and the identifiers its text names."""
    if not isinstance(annotation, str):
        return annotation, set()
    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", annotation))
    try:
        return eval(annotation, EVALUATION_NAMESPACE), names
    except Exception as error:  # pragma: no cover - shown as the failure itself
        raise AssertionError(f"{where}: cannot evaluate {annotation!r}: {error}") from error


def _classes_in(value: object, seen: set[int]) -> Iterator[type]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, type):
        yield value
    origin = typing.get_origin(value)
    if origin is not None:
        yield from _classes_in(origin, seen)
    for argument in typing.get_args(value):
        yield from _classes_in(argument, seen)
    alias_value = getattr(value, "__value__", None)  # a `type X = ...` alias
    if alias_value is not None:
        yield from _classes_in(alias_value, seen)


def _walk() -> Iterator[tuple[str, object, set[str]]]:
    start = [
        getattr(module, name)
        for module in PUBLIC_MODULES
        for name in module.__all__
        if name not in {"testing", "types", "__version__"}
    ]
    queue: list[object] = list(start)
    visited: set[int] = set()
    while queue:
        item = queue.pop()
        if id(item) in visited or not (inspect.isclass(item) or callable(item)):
            continue
        visited.add(id(item))
        if not _defined_in_phoson(item):
            continue
        for where, annotation in _annotations_of(item):
            value, names = _evaluate(annotation, where)
            yield where, value, names
            for cls in _classes_in(value, set()):
                if _defined_in_phoson(cls):
                    queue.append(cls)


def test_every_type_in_a_public_signature_is_public() -> None:
    """Every phoson class reached from the public names (parameters, returns, properties,
    attributes) is importable from phoson, phoson.types or phoson.testing."""
    private: dict[str, set[str]] = {}
    for where, value, _names in _walk():
        for cls in _classes_in(value, set()):
            if _defined_in_phoson(cls) and not _public_name(cls, cls.__name__):
                private.setdefault(f"{cls.__module__}.{cls.__qualname__}", set()).add(where)
    assert not private, "\n".join(
        f"{name}, in {', '.join(sorted(uses)[:3])}" for name, uses in sorted(private.items())
    )


def test_every_alias_name_a_signature_prints_is_public() -> None:
    """An annotation that names a phoson type alias (help() and IDEs print that name) names
    one that `phoson` or `phoson.types` exports."""
    private: dict[str, set[str]] = {}
    for where, _value, names in _walk():
        for name in names:
            obj = NAMESPACE.get(name)
            is_alias = isinstance(obj, types.UnionType | str) or typing.get_origin(obj) is not None
            if not is_alias or name in vars(typing) or name in vars(types):
                continue
            if not _public_name(obj, name):
                private.setdefault(name, set()).add(where)
    assert not private, "\n".join(
        f"{name}, in {', '.join(sorted(uses)[:3])}" for name, uses in sorted(private.items())
    )


def test_the_walk_reaches_the_types_users_meet() -> None:
    """The walk is not vacuous: it reaches the resources, their raw views, the options, the
    stream, the config and the in-process transport."""
    reached = {cls.__name__ for _where, value, _ in _walk() for cls in _classes_in(value, set())}
    assert reached >= {
        "AsyncAgents",
        "AgentsWithRawResponse",
        "AsyncMessagesWithRawResponse",
        "WriteRequestOptions",
        "RequestOptions",
        "NotGiven",
        "ClientConfig",
        "MessageStream",
        "RawResponse",
        "LocalTransport",
        "ServerSentEvent",
    }


def test_phoson_types_is_light_and_complete() -> None:
    """`phoson.types.__all__` lists each name once, and each resolves."""
    assert len(phoson.types.__all__) == len(set(phoson.types.__all__))
    for name in phoson.types.__all__:
        assert getattr(phoson.types, name) is not None, name
