"""The `phoson` namespace: every public name resolves, and `import phoson` stays light."""

from __future__ import annotations

import subprocess
import sys

import phoson


def test_every_name_in_all_resolves_and_is_listed_once() -> None:
    """Each name in __all__ imports (lazily) to a real object, and __all__ has no duplicates."""
    assert len(phoson.__all__) == len(set(phoson.__all__))
    for name in phoson.__all__:
        assert getattr(phoson, name) is not None, name
    assert set(dir(phoson)) >= set(phoson.__all__)


def test_lazy_table_matches_all() -> None:
    """The lazy-import table and __all__ name exactly the same things."""
    lazy = set(phoson._LAZY) | {"__version__", "testing"}  # pyright: ignore[reportPrivateUsage]
    assert lazy == set(phoson.__all__)


def test_import_loads_neither_client_nor_pydantic_until_asked() -> None:
    """`import phoson` loads no client, pydantic model or local server; touching a name does."""
    code = (
        "import sys, phoson\n"
        "print(sorted(m for m in ('phoson._async', 'phoson._sync', 'pydantic.main',"
        " 'phoson.testing') if m in sys.modules))\n"
        "phoson.PhosonClient\n"
        "print('phoson._sync' in sys.modules, 'phoson._async' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True False"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A misspelt name fails like any module attribute."""
    try:
        phoson.PhosonClinet  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "PhosonClinet" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_public_exceptions_show_as_phoson_names_in_tracebacks() -> None:
    """Every exception and warning class in `phoson.__all__` shows as `phoson.<Name>` in a
    traceback and its repr (not as the private module it lives in), and that name resolves."""
    import traceback

    classes = [
        value
        for name in phoson.__all__
        if isinstance(value := getattr(phoson, name), type) and issubclass(value, BaseException)
    ]
    assert len(classes) >= 20
    for cls in classes:
        assert cls.__module__ == "phoson", cls
        assert getattr(phoson, cls.__qualname__) is cls
        assert repr(cls) == f"<class 'phoson.{cls.__qualname__}'>"
    error = phoson.NotFoundError(404, "Agent not found", request_id="req_1")
    shown = traceback.format_exception_only(error)
    assert shown[-1].startswith("phoson.NotFoundError: 404 NotFoundError: Agent not found"), shown


def test_dir_shows_the_public_names_only() -> None:
    """`dir(phoson)` (and tab completion) lists the public names, not the helpers the module
    imports for itself (`Any`, `TYPE_CHECKING`, the lazy-import table)."""
    import phoson.types

    assert dir(phoson) == sorted(phoson.__all__)
    assert dir(phoson.types) == sorted(phoson.types.__all__)
    assert not {"Any", "TYPE_CHECKING", "annotations"} & set(dir(phoson))


def test_isinstance_with_stream_event_tells_events_apart() -> None:
    """`isinstance(x, phoson.StreamEvent)` works (it raised TypeError): True for each event
    class, False for anything else; and pydantic validates the union by its `type`."""
    from typing import Annotated

    from pydantic import Field, TypeAdapter

    token = phoson.TokenEvent(content="hi")
    done = phoson.RunDoneEvent(content="hi", run_id="run_1")
    assert isinstance(token, phoson.StreamEvent) and isinstance(done, phoson.StreamEvent)
    assert not isinstance("token", phoson.StreamEvent)
    assert not isinstance(phoson.PhosonModel(), phoson.StreamEvent)
    adapter: TypeAdapter[phoson.StreamEvent] = TypeAdapter(
        Annotated[phoson.StreamEvent, Field(discriminator="type")]
    )
    assert adapter.validate_python({"type": "token", "content": "hi"}) == token
