# DO NOT EDIT: generated from tests/_async/test_fast_paths.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The hand-made fast paths of a plain call (bench `calls`, issue 26) answer exactly as the
general path does: the same request on the wire, the same result or the same error. Each fast
path is pinned to its general twin by a differential property over random server replies."""

# White-box test: swaps and reads the requester's tracer.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import PhosonClient
from phoson._tracing import NO_TRACER, Tracer
from tests.budget import examples
from tests.payloads import AGENT, API_KEY, BASE_URL

#: A server reply: status, content type, body, extra headers.
Reply = tuple[int, str, bytes, dict[str, str]]

BODIES = [
    json.dumps(AGENT).encode(),
    json.dumps([AGENT, AGENT]).encode(),
    json.dumps({"detail": "nope"}).encode(),
    json.dumps({**AGENT, "name": 7}).encode(),
    b"",
    b"<html>bad gateway</html>",
    b"event: token\ndata: {}\n\n",
]
replies = st.tuples(
    st.sampled_from([200, 201, 204, 400, 401, 404, 409, 429, 500, 503]),
    st.sampled_from(["application/json", "text/event-stream", "text/html", ""]),
    st.sampled_from(BODIES),
    st.sampled_from([{}, {"x-request-id": "req_1"}, {"x-should-retry": "false"}]),
)
CALLS: dict[str, Callable[[PhosonClient], Any]] = {
    "agents.get": lambda client: client.agents.get("agt_1"),
    "agents.list": lambda client: client.agents.list(),
    "agents.delete": lambda client: client.agents.delete("agt_1"),
    "agents.update": lambda client: client.agents.update("agt_1", name="n"),
}


class Server:
    """Answers each request with the next reply, the last one forever; records requests."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = script
        self.requests: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name not in ("idempotency-key", "traceparent")  # random per client, or tracing
        ]
        self.requests.append((request.method, str(request.url), headers, request.content))
        status, content_type, body, extra = self.script[min(len(self.requests) - 1, 2)]
        head = {"content-type": content_type, **extra} if content_type else dict(extra)
        return httpx.Response(status, content=body, headers=head)


def outcome(
    call: Callable[[PhosonClient], Any], script: list[Reply], traced: bool
) -> tuple[object, list[tuple[str, str, list[tuple[str, str]], bytes]]]:
    """What one client does with the script: its result (or error, as type and message) and
    the requests it sent. `traced`: force the general path with a tracer whose spans do
    nothing (it is not `NO_TRACER`, so the requester takes its general path)."""
    server = Server(script)
    http = httpx.Client(transport=httpx.MockTransport(server))
    with PhosonClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=1
    ) as client:
        if traced:
            client._requester.tracer = Tracer()
        else:
            assert client._requester.tracer is NO_TRACER
        try:
            result: object = call(client)
        except Exception as error:
            result = (type(error), str(error))
    http.close()
    return result, server.requests


@settings(
    max_examples=examples(40),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(sorted(CALLS)), script=st.lists(replies, min_size=1, max_size=3))
def test_the_untraced_fast_path_answers_as_the_general_path(
    name: str, script: list[Reply], sleeps: list[float]
) -> None:
    """Tracing off (no span at all: the requester's `traced` fast path) and the general path
    with do-nothing spans send the same requests and end in the same result or error, for any
    replies (successes, errors, retries, bodies of the wrong shape, event streams)."""
    fast = outcome(CALLS[name], script, traced=False)
    general = outcome(CALLS[name], script, traced=True)
    assert fast == general


def test_with_options_shares_the_tracer_unless_a_tracing_setting_changes() -> None:
    """A `with_options` copy uses its parent's tracer (making one costs ~20 µs with tracing
    on); a copy with another tracer provider, or tracing switched, gets its own."""
    from opentelemetry.sdk.trace import TracerProvider

    provider, other = TracerProvider(), TracerProvider()
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL, tracer_provider=provider) as client:
        parent = client._requester.tracer
        assert parent is not NO_TRACER
        assert client.with_options(timeout=5, max_retries=0)._requester.tracer is parent
        assert client.with_options(tracer_provider=other)._requester.tracer is not parent
        assert client.with_options(open_telemetry=False)._requester.tracer is NO_TRACER
