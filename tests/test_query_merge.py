"""One query merge (phoson._config.merge_query): a hypothesis property over default_query, a
query written in the path, the call's params and extra_query. Each name goes out with the
values of the last source naming it (None removes it), and nothing else is dropped."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson._config import merge_query
from tests.budget import examples

names = st.sampled_from(["a", "b", "region", "agent_id", "x y", "é"])
values = st.one_of(
    st.sampled_from(["1", "2", "us", "a&b=c", "", "ü"]),
    st.lists(st.sampled_from(["1", "2"]), min_size=1, max_size=2),
)
layers = st.dictionaries(names, st.one_of(values, st.none()), max_size=4)
path_pairs = st.lists(st.tuples(names, st.sampled_from(["1", "2", "a b", ""])), max_size=4)


def reference(*layers: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """Name -> values sent: a layer naming a name replaces every earlier value of it."""
    merged: dict[str, list[str]] = {}
    for layer in layers:
        named: set[str] = set()
        for name, value in layer:
            if name not in named:
                merged.pop(name, None)
                named.add(name)
            if value is None:
                continue
            merged.setdefault(name, []).extend(
                cast("list[str]", value) if isinstance(value, list) else [value]
            )
    return merged


@settings(max_examples=examples(200))
@given(default=layers, pairs=path_pairs, params=layers, extra=layers)
def test_query_merge_property_precedence_and_nothing_dropped(
    default: dict[str, Any],
    pairs: list[tuple[str, str]],
    params: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    """default_query < the path's own query < params < extra_query, by name; a list sends the
    name once per item; the URL httpx builds from the result carries exactly those values."""
    path = "/agents" + (f"?{urlencode(pairs)}" if pairs else "")
    sent_path, params_out = merge_query(path, default, params, extra)
    request = httpx.Request("GET", "https://api.phoson.test" + sent_path, params=params_out)
    url = request.url  # as httpx builds it for the call (params=None keeps the path's query)
    got: dict[str, list[str]] = {}
    for name, value in url.params.multi_items():
        got.setdefault(name, []).append(value)
    expected = reference(list(default.items()), pairs, list(params.items()), list(extra.items()))
    assert url.path == "/agents"
    assert got == {name: values for name, values in expected.items() if values}
