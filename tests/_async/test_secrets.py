"""Issue 22's twelve observed cases, each as the user met it: the key never shows, every header
goes out once, every option is checked before anything is sent, and nothing but PhosonError
comes out of a server's JSON. (The classes are closed by tests/_async/test_canary.py.)"""

from __future__ import annotations

import json
import logging
import pickle
import traceback
from typing import Any

import httpx
import pytest

from phoson import (
    AsyncPhosonClient,
    InternalServerError,
    PhosonAPIError,
    PhosonError,
    PhosonResponseValidationError,
    UnprocessableEntityError,
)
from phoson._redact import REDACTED, remember_key
from tests._async.test_hostile import mock_client, recording, wire_headers
from tests.canary import Canary, Channels, canary_key, error_text, leaks, span_text, tracing
from tests.payloads import AGENT, BASE_URL, CONVERSATION, MESSAGE, sse


def echo_everything(key: str, status: int = 500) -> Any:
    """A server that puts `key` (and the Authorization it got) in its error body and headers."""

    def handler(request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization", "")
        return httpx.Response(
            status,
            json={"detail": f"bad key {key} ({authorization})"},
            headers={"x-request-id": authorization, "x-echo": key},
        )

    return handler


# -- 1. A failed key function ------------------------------------------------------------------


async def test_a_failing_key_function_does_not_leak_an_earlier_key_into_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rotating-key function that raises with an earlier key in its message: the PhosonError,
    its chained cause as printed, logger.exception and the span's exception event hold no key."""
    earlier = canary_key("earlier")
    calls = 0

    def rotating() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            return earlier
        raise RuntimeError(f"could not refresh {earlier}")

    provider, exporter = tracing()
    handler, _ = recording(lambda request: httpx.Response(503))
    caplog.set_level(logging.DEBUG, logger="phoson")
    async with mock_client(handler, api_key=rotating, tracer_provider=provider) as client:
        with pytest.raises(PhosonError, match="api_key function raised RuntimeError") as caught:
            await client.agents.list()
        logging.getLogger("phoson").exception("call failed", exc_info=caught.value)
    printed = "".join(traceback.format_exception(caught.value))
    assert "RuntimeError" in printed  # the cause is still there, redacted
    assert not leaks(printed, earlier)
    assert not leaks(caplog.text, earlier)
    assert not leaks(span_text(exporter), earlier)
    assert "exception.stacktrace" in span_text(exporter)


async def test_a_key_function_error_whose_str_shows_a_key_is_not_chained() -> None:
    """An exception whose message is computed (so cannot be redacted in place) is left out of
    the chain rather than printed with the key."""
    key = canary_key()
    remember_key(key)

    class Computed(Exception):
        def __str__(self) -> str:
            return f"token {key} expired"

    def failing() -> str:
        raise Computed()

    async with mock_client(lambda r: httpx.Response(200, json=[]), api_key=failing) as client:
        with pytest.raises(PhosonError) as caught:
            await client.agents.list()
    assert caught.value.__cause__ is None
    assert "not shown" in str(caught.value)
    assert not leaks(error_text(caught.value), key)


# -- 2. Spans ----------------------------------------------------------------------------------


async def test_spans_never_record_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """With content capture on: a message and a reply quoting the key, a request id echoing
    Authorization, and SSE ids echoing it (the reconnect event's last_event_id) are redacted."""
    monkeypatch.setenv("PHOSON_OTEL_CAPTURE_CONTENT", "true")
    key = canary_key()
    reply = dict(MESSAGE, content=f"your key is {key}")
    cut = sse([("token", {"content": "a"})], ids=False).replace(
        b"\n\n", f"\nid: {key}\n\n".encode()
    )
    answers = [
        httpx.Response(200, json=reply, headers={"x-request-id": f"Bearer {key}"}),
        httpx.Response(200, content=cut, headers={"content-type": "text/event-stream"}),
        httpx.Response(
            200,
            content=sse([("run_done", {"content": "a", "run_id": "run_1"})]),
            headers={"content-type": "text/event-stream"},
        ),
    ]
    handler, _ = recording(answers)
    provider, exporter = tracing()
    async with mock_client(handler, api_key=key, tracer_provider=provider) as client:
        await client.messages.send("conv_1", f"my key is {key}")
        await client.messages.stream("conv_1", "again").until_done()
    text = span_text(exporter)
    assert "gen_ai.input.messages" in text and "phoson.reconnect" in text
    assert not leaks(text, key)


# -- 3. A key given as an Authorization header -------------------------------------------------


@pytest.mark.parametrize("where", ["default_headers", "extra_headers", "with_options"])
async def test_a_key_given_as_an_authorization_header_is_redacted(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An Authorization header from default_headers, extra_headers or with_options is redacted
    from errors and from the retry log line when an echoing server returns it."""
    caplog.set_level(logging.DEBUG, logger="phoson")
    key = canary_key(where)
    header = {"Authorization": f"Bearer {key}"}
    kwargs: dict[str, Any] = {"default_headers": header} if where == "default_headers" else {}
    async with mock_client(echo_everything(key), **kwargs) as client:
        target = client.with_options(default_headers=header) if where == "with_options" else client
        options: dict[str, Any] = {"extra_headers": header} if where == "extra_headers" else {}
        with pytest.raises(InternalServerError) as caught:
            await target.agents.list(**options)
    assert "retrying GET" in caplog.text
    assert not leaks(error_text(caught.value), key)
    assert not leaks(caplog.text, key)
    assert not leaks(repr(caught.value.detail), key)


# -- 5. Pickles --------------------------------------------------------------------------------


async def test_a_pickled_raw_response_holds_no_key() -> None:
    """A RawResponse pickles without its request's Authorization, and parses after the trip."""
    key = canary_key()
    handler, _ = recording([httpx.Response(200, json=AGENT, headers={"x-echo": key})])
    async with mock_client(handler, api_key=key) as client:
        raw = await client.agents.with_raw_response.get("agt_1")
    data = pickle.dumps(raw)
    assert not leaks(data, key)
    again = pickle.loads(data)
    assert again.parse().id == "agt_1" and again.status_code == 200
    assert again.response.request.headers["authorization"] == REDACTED


# -- 6. default_headers in another letter case -------------------------------------------------


async def test_default_headers_in_another_case_replace_the_sdks_own() -> None:
    """content-type, idempotency-key, x-phoson-retry-count and last-event-id given in
    default_headers go out once, with the caller's value, on the first try, a retry and a
    resume."""
    defaults = {
        "content-type": "application/json; charset=utf-8",
        "idempotency-key": "mine-1",
        "x-phoson-retry-count": "caller",
        "last-event-id": "from-caller",
    }
    events = [("token", {"content": "a"}), ("run_done", {"content": "a", "run_id": "run_1"})]
    stream = {"content-type": "text/event-stream"}
    answers = [
        httpx.Response(503),
        httpx.Response(200, content=sse(events[:1]), headers=stream),  # cut after one event
        httpx.Response(200, content=sse(events), headers=stream),  # the replay is skipped
    ]
    handler, sent = recording(answers)
    async with mock_client(handler, default_headers=defaults) as client:
        await client.messages.stream("conv_1", "hi").until_done()
    assert len(sent) == 3  # first try, retry, resume
    for request in sent:
        for name, value in defaults.items():
            assert wire_headers(request, name) == [value], (name, request.headers.raw)


# -- 7. A query written in the path -------------------------------------------------------------


async def test_a_query_written_in_the_path_is_kept() -> None:
    """`/agents?a=1` with params, with default_query and extra_query, and with stream_sse:
    the path's parameters go out with the others (params win over the path's, extra_query over
    both)."""
    done = sse([("run_done", {"content": "a", "run_id": "run_1"})])
    handler, sent = recording(
        lambda request: (
            httpx.Response(200, content=done, headers={"content-type": "text/event-stream"})
            if "stream" in request.url.path
            else httpx.Response(200, json=[])
        )
    )
    async with mock_client(handler, default_query={"region": "eu", "w": "1"}) as client:
        await client.get("/agents?a=1&a=2", params={"b": "2"})
        await client.get("/agents?region=us")
        await client.get("/agents?a=1", params={"a": "3"}, extra_query={"c": "4"})
        await client.stream_sse("POST", "/stream?a=1", params={"b": "2"}).until_done()
    queries = [sorted(httpx.QueryParams(request.url.query).multi_items()) for request in sent]
    assert queries[0] == [("a", "1"), ("a", "2"), ("b", "2"), ("region", "eu"), ("w", "1")]
    assert queries[1] == [("region", "us"), ("w", "1")]
    assert queries[2] == [("a", "3"), ("c", "4"), ("region", "eu"), ("w", "1")]
    assert queries[3] == [("a", "1"), ("b", "2"), ("region", "eu"), ("w", "1")]


async def test_a_query_in_the_path_survives_the_http_clients_own_params() -> None:
    """httpx replaces a URL's query with its client's params: the path's still goes out."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), params={"team": "t"})
    async with AsyncPhosonClient(api_key=canary_key(), base_url=BASE_URL, http_client=http) as c:
        await c.get("/agents?a=1")
    assert sorted(httpx.QueryParams(sent[0].url.query).multi_items()) == [("a", "1"), ("team", "t")]


# -- 8. idempotency_key on a GET through client.request -----------------------------------------


async def test_request_get_with_an_idempotency_key_is_refused_like_get() -> None:
    """client.request("GET", ..., idempotency_key=) raises the TypeError client.get raises,
    before anything is sent (it used to drop the key silently)."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    async with mock_client(handler) as client:
        with pytest.raises(TypeError, match="takes no Idempotency-Key"):
            await client.request("GET", "/agents", idempotency_key="k1")
        with pytest.raises(TypeError, match="sends no body"):
            await client.request("GET", "/agents", extra_body={"a": 1})
    assert sent == []


# -- 9. NaN and Infinity -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
async def test_a_body_holding_nan_or_infinity_is_refused_before_sending(value: float) -> None:
    """NaN and Infinity are not JSON: a body holding one is a PhosonError naming the problem,
    and nothing is sent (it used to go out as `{"x":NaN}`)."""
    handler, sent = recording(lambda request: httpx.Response(200, json=MESSAGE))
    async with mock_client(handler) as client:
        with pytest.raises(PhosonError, match="cannot be sent as JSON"):
            await client.messages.send("conv_1", "hi", temperature=value)
        with pytest.raises(PhosonError, match="cannot be sent as JSON"):
            await client.post("/agents", body={"x": value})
        with pytest.raises(PhosonError, match="cannot be sent as JSON"):
            await client.agents.create(name="n", description="d", extra_body={"x": [value]})
    assert sent == []


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
async def test_a_reply_holding_nan_is_not_json(constant: bytes) -> None:
    """A 2xx body holding NaN or Infinity (which pydantic's parser would read) is refused as
    not JSON, by the same guard as every other server JSON; the text "NaN" in a string is
    fine."""
    body = (
        json.dumps({**AGENT, "score": 0}).encode().replace(b'"score": 0', b'"score": ' + constant)
    )
    fine = json.dumps({**AGENT, "name": "NaN Infinity"}).encode()
    answers = [httpx.Response(200, content=body), httpx.Response(200, content=b"[" + body + b"]")]
    answers.append(httpx.Response(200, content=fine))
    handler, _ = recording(answers)
    async with mock_client(handler) as client:
        with pytest.raises(PhosonResponseValidationError, match="not JSON"):
            await client.agents.get("agt_1")
        with pytest.raises(PhosonResponseValidationError, match="not JSON"):
            await client.agents.list()
        assert (await client.agents.get("agt_1")).name == "NaN Infinity"


# -- 10. Options checked before anything is sent ------------------------------------------------


@pytest.mark.parametrize(
    ("max_retries", "error"),
    [("3", TypeError), (None, TypeError), (1.5, TypeError), (True, TypeError), (-1, PhosonError)],
)
async def test_a_bad_per_call_max_retries_fails_before_sending(
    max_retries: Any, error: type[Exception]
) -> None:
    """A per-call max_retries of the wrong type (TypeError) or range (PhosonError) is refused
    naming the option and the values it takes, and no request goes out."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    async with mock_client(handler) as client:
        with pytest.raises(error, match=r"max_retries must be a whole number >= 0"):
            await client.agents.list(max_retries=max_retries)
        with pytest.raises(error, match=r"max_retries must be"):
            client.messages.stream("conv_1", "hi", max_retries=max_retries)
    assert sent == []


@pytest.mark.parametrize(
    ("option", "value", "error", "message"),
    [
        ("timeout", "5", TypeError, "timeout must be a number of seconds >= 0"),
        ("timeout", -1, PhosonError, "timeout must be a number of seconds >= 0"),
        ("timeout", float("nan"), PhosonError, "timeout must be a number of seconds >= 0"),
        ("max_event_size", "big", TypeError, "max_event_size must be a whole number of bytes > 0"),
        ("max_event_size", 0, PhosonError, "max_event_size must be a whole number of bytes > 0"),
        ("max_event_size", -5, PhosonError, "max_event_size must be a whole number of bytes > 0"),
        ("max_retries", "2", TypeError, "max_retries must be a whole number >= 0"),
        ("default_headers", [("X-A", "1")], TypeError, "default_headers must be a mapping"),
        ("default_query", "a=1", TypeError, "default_query must be a mapping"),
    ],
)
async def test_bad_client_options_are_refused_at_construction(
    option: str, value: Any, error: type[Exception], message: str
) -> None:
    """The constructor and with_options refuse each bad setting at once, naming it and its
    accepted values (they used to be accepted and fail on the first call, or raise
    AttributeError)."""
    with pytest.raises(error, match=message):
        AsyncPhosonClient(api_key=canary_key(), base_url=BASE_URL, **{option: value})
    if option != "max_event_size":
        async with AsyncPhosonClient(api_key=canary_key(), base_url=BASE_URL) as client:
            with pytest.raises(error, match=message):
                client.with_options(**{option: value})


@pytest.mark.parametrize(
    ("option", "value", "error", "message"),
    [
        ("timeout", "5", TypeError, "timeout must be"),
        ("extra_headers", [("X-A", "1")], TypeError, "extra_headers must be a mapping"),
        ("extra_headers", {"X-A": 1}, TypeError, r"extra_headers\['X-A'\] must be a str"),
        ("extra_headers", {"X-A": "a\nb"}, PhosonError, "control character"),
        ("extra_query", ["a"], TypeError, "extra_query must be a mapping"),
        ("idempotency_key", "", PhosonError, "idempotency_key must be a non-empty str"),
        ("idempotency_key", 5, TypeError, "idempotency_key must be a non-empty str"),
        ("extra_body", "x", TypeError, "extra_body must be a mapping"),
    ],
)
async def test_bad_call_options_are_refused_before_sending(
    option: str, value: Any, error: type[Exception], message: str
) -> None:
    """Each per-call option is checked by the same validator before any request goes out."""
    handler, sent = recording(lambda request: httpx.Response(201, json=AGENT))
    async with mock_client(handler) as client:
        with pytest.raises(error, match=message):
            await client.agents.create(name="n", description="d", **{option: value})
        with pytest.raises(error, match=message):
            client.stream_sse("POST", "/x", **{option: value})
    assert sent == []


# -- 11. Nothing but PhosonError from a server's JSON ------------------------------------------


@pytest.mark.parametrize(
    "detail",
    [
        [{"loc": None}],
        [{"loc": None, "msg": 5}],
        [{"loc": "body", "msg": "x"}],
        [{"loc": [{"a": 1}, None], "msg": None}],
        json.loads("[" * 50 + "]" * 50),
    ],
)
async def test_odd_error_details_raise_the_api_error(detail: Any) -> None:
    """An error detail of any JSON shape becomes the status's PhosonAPIError, for a plain call
    and for a stream that opens with it (a `{"loc": null}` item used to raise TypeError)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": detail})

    async with mock_client(answer) as client:
        with pytest.raises(UnprocessableEntityError):
            await client.agents.list()
        with pytest.raises(UnprocessableEntityError):
            await client.messages.stream("conv_1", "hi").until_done()


async def test_deeply_nested_untyped_event_json_is_a_phoson_error() -> None:
    """An event without an `event:` line, nested past Python's recursion limit and mentioning
    "error", is a PhosonError (it used to raise RecursionError from a second JSON parse)."""
    deep = '{"error": ' * 5000 + "1" + "}" * 5000
    body = f"data: {deep}\nid: 1\n\n".encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async with mock_client(answer, max_retries=0) as client:
        with pytest.raises(PhosonError):
            await client.messages.stream("conv_1", "hi").until_done()
        with pytest.raises(PhosonError):
            async for _ in client.messages.stream("conv_1", "hi").iter_sse():
                pass


# -- 12. Raw responses ---------------------------------------------------------------------------


async def test_raw_response_calls_are_traced_like_plain_ones() -> None:
    """A with_raw_response call's span carries phoson.agent_id, phoson.run_id and
    gen_ai.response.id, as the plain call's does."""
    provider, exporter = tracing()
    answers = [httpx.Response(201, json=CONVERSATION), httpx.Response(200, json=MESSAGE)]
    handler, _ = recording(answers)
    async with mock_client(handler, tracer_provider=provider) as client:
        await client.conversations.with_raw_response.create("agt_1")
        await client.messages.with_raw_response.send("conv_1", "hi")
    created, sent = (dict(span.attributes or {}) for span in exporter.get_finished_spans())
    assert created["phoson.agent_id"] == "agt_1"
    assert (sent["phoson.run_id"], sent["gen_ai.response.id"]) == ("run_1", "run_1")


async def test_a_raw_view_of_a_closed_copy_refuses_to_send() -> None:
    """`with_raw_response` taken from a with_options copy stops sending once the copy is
    closed, as the copy itself does."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    async with mock_client(handler) as client:
        copy = client.with_options(max_retries=0)
        raw = copy.agents.with_raw_response
        await copy.close()
        with pytest.raises(PhosonError, match="closed"):
            await raw.list()
        await client.agents.list()  # the original is still open
    assert len(sent) == 1


async def test_channels_collect_the_whole_chain() -> None:
    """The canary's own check: a planted key in an exception's cause is found."""
    key = canary_key()
    channels = Channels()
    try:
        try:
            raise ValueError(key)
        except ValueError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as error:
        channels.see(error)
    with pytest.raises(AssertionError):
        channels.assert_clean(key)


async def test_the_canary_fixture_checks_a_call_end_to_end(canary: Canary) -> None:
    """The canary fixture: a 401 echoing the planted key, traced and logged, leaves no trace of
    it in the error, the log or the spans (checked when the test ends)."""
    handler, _ = recording(echo_everything(canary.key, status=401))
    async with mock_client(handler, api_key=canary.key, tracer_provider=canary.provider) as c:
        with pytest.raises(PhosonAPIError) as caught:
            await c.agents.get("agt_1")
    canary.see(caught.value, c.config)


async def test_a_key_in_use_stays_redacted_while_other_keys_rotate() -> None:
    """The registry keeps the most recently *used* keys: a client's plain key is redacted from
    an echoing server's error even after more keys than the registry holds rotated through
    another client since the client was made (each call marks its key used: every path that
    sends a key must)."""
    from phoson._redact import MAX_KEYS

    steady = canary_key("steady")
    echo = {"on": False}
    echoing = echo_everything(steady, status=400)

    def answer(request: httpx.Request) -> httpx.Response:
        return echoing(request) if echo["on"] else httpx.Response(200, json=[])

    rotating: Any = lambda: canary_key("rotor")  # noqa: E731
    async with (
        mock_client(answer, api_key=steady) as client,
        mock_client(answer, api_key=rotating) as rotor,
    ):
        await client.agents.list()
        for _ in range(MAX_KEYS + 5):
            await rotor.agents.list()  # the steady key is no longer among the recent ones
        echo["on"] = True
        with pytest.raises(PhosonAPIError) as caught:
            await client.agents.list()  # ... until this call uses it again
    assert not leaks(error_text(caught.value), steady)
