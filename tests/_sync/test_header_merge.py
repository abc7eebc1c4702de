# DO NOT EDIT: generated from tests/_async/test_header_merge.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""One header merge for every source: a hypothesis property over the caller's http_client
headers, default_headers, with_options(default_headers=) and extra_headers, in random letter
cases, against the SDK's own. Each name goes out once, with the documented winner, on the
first try, the retry and the resume of a stream."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import PhosonClient, __version__
from tests._sync.test_hostile import recording
from tests.budget import examples
from tests.canary import canary_key
from tests.payloads import BASE_URL, sse

NAMES = [
    "Authorization",
    "Accept",
    "User-Agent",
    "Content-Type",
    "Idempotency-Key",
    "X-Phoson-Retry-Count",
    "Last-Event-ID",
    "Accept-Encoding",
    "X-Team",
]


@st.composite
def spelt(draw: st.DrawFn) -> str:
    """A header name in a random letter case."""
    name = draw(st.sampled_from(NAMES))
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))


values = st.sampled_from(["v1", "v2", "Bearer pk_live_caller_0123456789", "x"])
sources = st.dictionaries(spelt(), st.one_of(values, st.none()), max_size=5)
#: An httpx client's own headers: one per name (a name it holds twice, in two spellings, is
#: httpx's multi-valued header, sent as it holds it: the caller's own httpx configuration).
client_sources = st.dictionaries(spelt(), values, max_size=3).filter(
    lambda headers: len({name.lower() for name in headers}) == len(headers)
)


def layered(*layers: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """The reference: lower-cased name -> (spelling, value) of the last layer naming it."""
    merged: dict[str, tuple[str, Any]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return merged


@settings(
    max_examples=examples(40),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(own=client_sources, defaults=sources, copied=sources, extra=sources)
def test_header_merge_property_each_name_once_with_the_documented_winner(
    own: dict[str, str],
    defaults: dict[str, str | None],
    copied: dict[str, str | None],
    extra: dict[str, str | None],
) -> None:
    """http_client's headers < the SDK's < default_headers < with_options' < extra_headers:
    on every attempt (first try, retry, resume) each name is on the wire at most once, with the
    value and spelling of the last source naming it, and absent when that value is None."""
    key = canary_key("merge")
    events = [("token", {"content": "a"}), ("run_done", {"content": "a", "run_id": "run_1"})]
    stream = {"content-type": "text/event-stream"}
    handler, sent = recording(
        [
            httpx.Response(503),
            httpx.Response(200, content=sse(events[:1]), headers=stream),
            httpx.Response(200, content=sse(events), headers=stream),
        ]
    )
    http = httpx.Client(transport=httpx.MockTransport(handler), headers=own)
    with PhosonClient(
        api_key=key, base_url=BASE_URL, http_client=http, default_headers=defaults
    ) as client:
        copy = client.with_options(default_headers=copied) if copied else client
        copy.messages.stream("conv_1", "hi", extra_headers=extra).until_done()
    assert len(sent) == 3
    for attempt, request in enumerate(sent):
        sdk: dict[str, Any] = {
            "Authorization": f"Bearer {key}",
            "User-Agent": f"phoson-python/{__version__}",
            "Accept": "text/event-stream",
            "Content-Type": "application/json",
            "X-Phoson-Retry-Count": str(1 if attempt == 1 else 0),
            "Idempotency-Key": ...,  # the SDK's own: any value, the same on every attempt
        }
        if attempt == 2:
            sdk["Last-Event-ID"] = "run_1:1"
        own_raw = {k.decode(): v.decode() for k, v in http.headers.raw}  # as spelt
        expected = layered(own_raw, sdk, defaults, copied, extra)
        wire = [(k.decode(), v.decode()) for k, v in request.headers.raw]
        for lower, (spelling, value) in expected.items():
            found = [(k, v) for k, v in wire if k.lower() == lower]
            if value is None:
                assert found == [], (lower, wire)
            elif value is ...:
                assert len(found) == 1 and found[0][1] == wire_value(sent[0], lower), (lower, wire)
            else:
                assert found == [(spelling, value)], (lower, found, wire)
        assert len({k.lower() for k, _ in wire}) == len(wire), wire


def wire_value(request: httpx.Request, lower: str) -> str:
    return next(v.decode() for k, v in request.headers.raw if k.decode().lower() == lower)
