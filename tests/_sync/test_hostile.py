# DO NOT EDIT: generated from tests/_async/test_hostile.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""A careless caller and a misbehaving server: only PhosonError (or TypeError/ValueError for a
caller's bug) comes out, the API key never shows, and the caller's settings win."""

from __future__ import annotations

import json
import logging
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from phoson import (
    NOT_GIVEN,
    AuthenticationError,
    BadRequestError,
    DefaultHttpxClient,
    IdempotencyKeyReusedError,
    IncompleteStreamError,
    InsecureTransportWarning,
    InternalServerError,
    PhosonClient,
    PhosonConnectionError,
    PhosonError,
    PhosonResponseValidationError,
    RunFailedError,
    UnprocessableEntityError,
)
from phoson._types import DEFAULT_LIMITS
from tests.payloads import AGENT, BASE_URL, CONVERSATION, MESSAGE, BreakingStream, sse

#: A key planted to be found: no output of the SDK may contain it.
PLANTED = "pk_live_PLANTED_s3cr3t_9f8e7d6c5b4a"

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(
    handler: Handler, *, api_key: str | Callable[[], str] = PLANTED, **kwargs: Any
) -> PhosonClient:
    """A client whose requests are answered by `handler` (an in-process MockTransport)."""
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return PhosonClient(api_key=api_key, base_url=BASE_URL, http_client=http, **kwargs)


def recording(
    responses: list[httpx.Response] | Callable[[httpx.Request], httpx.Response],
) -> tuple[Handler, list[httpx.Request]]:
    """A handler that records each request as sent (a copy: a retry reuses the request object
    with new headers) and answers from `responses` in order, or by calling it."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(
            httpx.Request(
                request.method,
                request.url,
                headers=httpx.Headers(list(request.headers.raw)),
                content=request.content,
                extensions=request.extensions,
            )
        )
        if callable(responses):
            return responses(request)
        return responses[len(sent) - 1]

    return handler, sent


def wire_headers(request: httpx.Request, name: str) -> list[str]:
    """Every value of header `name` as it goes on the wire (any letter case, duplicates kept)."""
    return [v.decode() for k, v in request.headers.raw if k.decode().lower() == name.lower()]


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert PLANTED not in text, text


def everything_said_about(error: BaseException) -> str:
    """str, repr, args, the printed traceback (with its __cause__/__context__ chain)."""
    return "\n".join(
        [str(error), repr(error), repr(error.args), *traceback.format_exception(error)]
    )


# -- 1. The API key never appears -------------------------------------------------------------


@pytest.mark.parametrize("padded", [f"{PLANTED}\n", f"  {PLANTED}\r\n", f"\t{PLANTED} "])
def test_whitespace_around_the_key_is_stripped(padded: str) -> None:
    """A key read from a file or a secret (trailing newline, spaces) is sent stripped."""
    handler, sent = recording([httpx.Response(200, json=[])])
    with mock_client(handler, api_key=padded) as client:
        assert client.api_key == PLANTED
        client.agents.list()
    assert wire_headers(sent[0], "authorization") == [f"Bearer {PLANTED}"]


def test_whitespace_around_the_env_key_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    """PHOSON_API_KEY with a trailing newline is stripped the same way."""
    monkeypatch.setenv("PHOSON_API_KEY", PLANTED + "\n")
    handler, sent = recording([httpx.Response(200, json=[])])
    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhosonClient(base_url=BASE_URL, http_client=http) as client:
        client.agents.list()
    assert wire_headers(sent[0], "authorization") == [f"Bearer {PLANTED}"]


@pytest.mark.parametrize(
    ("bad_char", "kind"),
    [
        ("\n", "control"),
        ("\x00", "control"),
        (" ", "space"),
        ("é", "non-ASCII"),
        ("\u200b", "non-ASCII"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_without_showing_it(bad_char: str, kind: str) -> None:
    """A control, space or non-ASCII character inside the key is a PhosonError at construction
    whose message shows neither the key nor the character."""
    key = PLANTED[:12] + bad_char + PLANTED[12:]
    with pytest.raises(PhosonError, match=kind) as caught:
        mock_client(lambda request: httpx.Response(200), api_key=key)
    said = everything_said_about(caught.value)
    assert PLANTED[:12] not in said and PLANTED[12:] not in said
    if not bad_char.isspace():
        assert bad_char not in str(caught.value)


def echo_key(status: int, content_type: str = "application/json") -> Handler:
    """A server (or proxy) that quotes the Authorization header back in its body."""

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        if content_type == "text/html":
            body = f"<html><body><h1>Bad</h1><p>You sent {auth}</p></body></html>".encode()
        elif content_type == "text/event-stream":
            body = (
                f'event: token\ndata: {{"content": "hi"}}\nid: 1\n\n'
                f"event: error\ndata: {json.dumps({'message': f'bad key {auth}'})}\n\n"
            ).encode()
        else:
            body = json.dumps(
                {"detail": [{"loc": ["header", "authorization"], "msg": f"bad {auth}"}]}
            ).encode()
        headers = {"content-type": content_type, "x-request-id": "req_echo"}
        return httpx.Response(status, content=body, headers=headers)

    return handler


@pytest.mark.parametrize(
    ("status", "content_type", "error_class"),
    [
        (401, "application/json", AuthenticationError),
        (503, "application/json", InternalServerError),
        (502, "text/html", InternalServerError),
        (200, "text/html", PhosonResponseValidationError),
        (400, "text/plain", BadRequestError),
    ],
)
def test_a_key_echoed_by_the_server_is_redacted_everywhere(
    status: int,
    content_type: str,
    error_class: type[PhosonError],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An echoed key is blanked out of str, repr, detail, excerpts, the traceback and every log
    record (the INFO "retrying ... after:" line included)."""
    caplog.set_level(logging.DEBUG, logger="phoson")
    with mock_client(echo_key(status, content_type)) as client:
        with pytest.raises(error_class) as caught:
            client.agents.list()
    error = caught.value
    said = everything_said_about(error)
    assert_no_key(said, repr(getattr(error, "detail", "")), caplog.text)
    assert "[redacted]" in said
    assert all(PLANTED not in record.getMessage() for record in caplog.records)
    if status == 503:
        assert "retrying GET" in caplog.text


def test_a_key_echoed_in_a_stream_event_is_redacted() -> None:
    """A run's error event quoting the key raises RunFailedError without the key."""
    with mock_client(echo_key(200, "text/event-stream")) as client:
        stream = client.messages.stream("conv_1", "Hi")
        with pytest.raises(RunFailedError) as caught:
            for _ in stream.text_stream:
                pass
    assert_no_key(everything_said_about(caught.value), caught.value.message)


def test_a_key_in_a_transport_failure_is_redacted_from_the_cause_chain() -> None:
    """An httpx error whose message contains the key (as h11's "Illegal header value" did) is
    redacted in the SDK's error and in the chained httpx error printed with its traceback."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b'Bearer {PLANTED}'")

    with mock_client(handler) as client:
        with pytest.raises(PhosonConnectionError) as caught:
            client.agents.list()
    assert isinstance(caught.value.__cause__, httpx.LocalProtocolError)
    assert_no_key(everything_said_about(caught.value))


def test_the_key_never_shows_in_the_client_repr_or_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client's repr and its DEBUG request lines never carry the key."""
    caplog.set_level(logging.DEBUG, logger="phoson")
    handler, _ = recording([httpx.Response(200, json=[AGENT])])
    with mock_client(handler) as client:
        client.agents.list()
        assert_no_key(repr(client), repr(client.config), caplog.text)


# -- 2. Header overrides replace, in any letter case ------------------------------------------


def test_caller_headers_replace_the_sdks_in_any_case() -> None:
    """`authorization`, `idempotency-key` and `user-agent` given in any case go out once, with
    the caller's value: a per-call key override authenticates as the other tenant."""
    handler, sent = recording(lambda request: httpx.Response(201, json=AGENT))
    with mock_client(handler, default_headers={"user-AGENT": "my-app/1"}) as client:
        client.agents.create(
            name="n",
            description="d",
            extra_headers={
                "authorization": "Bearer pk_tenant_b_0123456789",
                "IDEMPOTENCY-KEY": "mine-1",
                "x-phoson-retry-count": "7",
            },
        )
    request = sent[0]
    assert wire_headers(request, "authorization") == ["Bearer pk_tenant_b_0123456789"]
    assert wire_headers(request, "idempotency-key") == ["mine-1"]
    assert wire_headers(request, "user-agent") == ["my-app/1"]
    assert wire_headers(request, "x-phoson-retry-count") == ["7"]
    assert wire_headers(request, "content-type") == ["application/json"]


def test_default_headers_replace_the_sdks_and_extra_headers_replace_defaults() -> None:
    """A default `AUTHORIZATION` replaces the SDK's; a per-call `x-team` replaces a default
    `X-Team`; a None value removes a header."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    with mock_client(
        handler,
        default_headers={"AUTHORIZATION": "Bearer pk_other_0123456789", "X-Team": "core"},
    ) as client:
        client.agents.list(extra_headers={"x-team": "web"})
        client.agents.list(extra_headers={"X-TEAM": None})
    assert wire_headers(sent[0], "authorization") == ["Bearer pk_other_0123456789"]
    assert wire_headers(sent[0], "x-team") == ["web"]
    assert wire_headers(sent[1], "x-team") == []


def test_with_options_merges_default_headers() -> None:
    """with_options(default_headers=) merges into the client's defaults (None removes one) and
    leaves the original client's unchanged."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    with mock_client(handler, default_headers={"X-A": "1", "X-B": "2"}) as client:
        copy = client.with_options(default_headers={"x-b": "3", "X-A": None, "X-C": "4"})
        copy.agents.list()
        client.agents.list()
    assert (wire_headers(sent[0], "x-a"), wire_headers(sent[0], "x-b")) == ([], ["3"])
    assert wire_headers(sent[0], "x-c") == ["4"]
    assert (wire_headers(sent[1], "x-a"), wire_headers(sent[1], "x-b")) == (["1"], ["2"])
    assert wire_headers(sent[1], "x-c") == []


# -- 3. Unknown keyword arguments are an error -------------------------------------------------


def typo_calls(client: PhosonClient) -> list[tuple[Callable[[], Any], str, str | None]]:
    """(call, the unknown name, the suggestion expected) for each typo of the issue."""
    c: Any = client  # the point is to call with names the signatures do not have
    return [
        (
            lambda: c.agents.create(name="n", description="d", memory_typ="semantic"),
            "memory_typ",
            "memory_type",
        ),
        (lambda: c.conversations.create("agt_1", titel="t"), "titel", "title"),
        (lambda: c.messages.send("c", "hi", max_token=5), "max_token", "max_tokens"),
        (lambda: c.messages.send("c", "hi", temprature=0), "temprature", "temperature"),
        (lambda: c.agents.list(timout=0.001), "timout", "timeout"),
        (lambda: c.agents.list(bogus=1), "bogus", None),
        (
            lambda: c.messages.stream("c", "hi", reasoning_efort="low"),
            "reasoning_efort",
            "reasoning_effort",
        ),
        (lambda: c.conversations.list(extra_header={}), "extra_header", "extra_headers"),
    ]


def test_unknown_keyword_arguments_raise_type_error_with_a_suggestion() -> None:
    """A misspelt keyword raises TypeError at call time (streams included, before any I/O),
    naming the argument and the close match; nothing is sent."""
    handler, sent = recording(lambda request: httpx.Response(500))
    with mock_client(handler) as client:
        for call, name, suggestion in typo_calls(client):
            with pytest.raises(TypeError) as caught:
                call()
            message = str(caught.value)
            assert f"unexpected keyword argument {name!r}" in message
            if suggestion is None:
                assert "did you mean" not in message
            else:
                assert message.endswith(f"did you mean {suggestion!r}?")
    assert sent == []


def test_write_only_options_on_a_get_raise_type_error() -> None:
    """idempotency_key= and extra_body= on a GET call raise TypeError saying why."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=AGENT if request.url.path == "/agents/agt_1" else [])

    handler, sent = recording(answer)
    with mock_client(handler) as client:
        with pytest.raises(TypeError, match=r"agents\.list\(\) does not take idempotency_key="):
            client.agents.list(idempotency_key="k")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match=r"messages\.list\(\) does not take extra_body="):
            client.messages.list("c", extra_body={"a": 1})  # type: ignore[call-arg]
        client.agents.get("agt_1", timeout=1, max_retries=0, extra_query={"a": "1"})
        client.conversations.list(agent_id="agt_1", extra_headers={"X": "y"})
    assert len(sent) == 2


def test_parameters_passed_by_keyword_are_accepted() -> None:
    """Every parameter of a method may still be passed by name."""
    handler, sent = recording(lambda request: httpx.Response(201, json=AGENT))
    with mock_client(handler) as client:
        client.agents.create(name="n", description="d", memory_type="semantic")
    assert json.loads(sent[0].content) == {
        "name": "n",
        "description": "d",
        "memory_type": "semantic",
    }


# -- 5. Caller mistakes fail early and typed ---------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "name"),
    [({"X-User": "José"}, "X-User"), ({"X-Trace": "a\r\nInjected: 1"}, "X-Trace")],
)
def test_a_header_value_that_cannot_be_sent_is_a_phoson_error(
    headers: dict[str, str], name: str
) -> None:
    """A non-ASCII or control character in a header value is a PhosonError naming the header,
    at construction for default_headers and at call time for extra_headers; nothing is sent."""
    with pytest.raises(PhosonError, match=f"header {name!r}"):
        mock_client(lambda request: httpx.Response(200), default_headers=headers)
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    with mock_client(handler) as client:
        with pytest.raises(PhosonError, match=f"header {name!r}"):
            client.agents.list(extra_headers=headers)
        with pytest.raises(PhosonError, match="header 'Idempotency-Key'"):
            client.agents.delete("agt_1", idempotency_key="clé")
    assert sent == []


def test_the_wrong_kind_of_httpx_client_is_refused_at_construction() -> None:
    """An httpx client of the other kind (httpx.Client where the other is expected, and the
    reverse) is a TypeError when the client is made, not a failure mid-request."""
    expected = httpx.Client
    other_name = "Client" if expected.__name__.startswith("Async") else "Async" + "Client"
    # A mock transport: nothing to close, no socket is ever opened.
    other = getattr(httpx, other_name)(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(TypeError, match=f"http_client must be an httpx.{expected.__name__}"):
        PhosonClient(api_key=PLANTED, base_url=BASE_URL, http_client=other)


def test_blank_ids_in_bodies_and_queries_raise_value_error() -> None:
    """A blank agent_id or thread_id in a body or query raises ValueError, as a blank path id
    does; nothing is sent."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    with mock_client(handler) as client:
        with pytest.raises(ValueError, match="agent_id must be a non-empty id"):
            client.conversations.list(agent_id="")
        with pytest.raises(ValueError, match="agent_id must be a non-empty id"):
            client.conversations.create("  ")
        with pytest.raises(ValueError, match="thread_id must be a non-empty id"):
            client.conversations.create("agt_1", thread_id=" ")
    assert sent == []


# -- 6. The key over plain HTTP ----------------------------------------------------------------


def test_plain_http_to_a_remote_host_warns_once_per_client() -> None:
    """base_url http:// to a host that is not loopback emits one InsecureTransportWarning per
    client (filterable), without the key in it."""
    with pytest.warns(InsecureTransportWarning) as caught:
        client = PhosonClient(api_key=PLANTED, base_url="http://api.example.com")
    assert len(caught) == 1
    assert_no_key(str(caught[0].message))
    assert "http://api.example.com" in str(caught[0].message)
    try:
        with pytest.warns(InsecureTransportWarning):
            copy = client.with_options(base_url="http://10.0.0.5:8000")
        copy.close()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client.with_options(max_retries=1).close()  # same URL: no second warning
    finally:
        client.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://127.5.6.7",
        "http://[::1]:8000",
        "http://api.localhost",
        "https://api.example.com",
    ],
)
def test_no_warning_for_loopback_or_https(url: str) -> None:
    """Loopback hosts (localhost, 127.0.0.0/8, ::1) and https never warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with PhosonClient(api_key=PLANTED, base_url=url):
            pass


# -- 7. A caller's own httpx client keeps its settings -----------------------------------------


def test_a_callers_http_client_keeps_its_timeout_unless_timeout_is_given() -> None:
    """With http_client= the caller's client timeout is used; an explicit timeout= wins."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=1.0)
    with PhosonClient(api_key=PLANTED, base_url=BASE_URL, http_client=http) as client:
        assert client.timeout == httpx.Timeout(1.0)
        client.agents.list()
    with PhosonClient(api_key=PLANTED, base_url=BASE_URL, http_client=http, timeout=3.0) as client:
        client.agents.list()
    http.close()
    assert sent[0].extensions["timeout"] == httpx.Timeout(1.0).as_dict()
    assert sent[1].extensions["timeout"] == httpx.Timeout(3.0).as_dict()


def test_not_given_is_a_timeout_left_out_everywhere() -> None:
    """`timeout=NOT_GIVEN` means "left out" wherever `timeout=` is taken: the constructor,
    `with_options` and each call (plain, raw and streamed) send with the client's timeout."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhosonClient(
        api_key=PLANTED, base_url=BASE_URL, http_client=http, timeout=NOT_GIVEN
    ) as client:
        client.agents.list(timeout=NOT_GIVEN)
        quick = client.with_options(timeout=4.0)
        quick.with_options(timeout=NOT_GIVEN).agents.list(timeout=NOT_GIVEN)
        quick.agents.with_raw_response.list(timeout=NOT_GIVEN)
    http.close()
    assert [request.extensions["timeout"] for request in sent] == [
        http.timeout.as_dict(),
        httpx.Timeout(4.0).as_dict(),
        httpx.Timeout(4.0).as_dict(),
    ]


def test_default_httpx_client_has_the_sdks_defaults() -> None:
    """DefaultAsyncHttpxClient has the SDK's timeout, pool limits and no redirects; keyword
    arguments override them, and a client built on it sends with its timeout."""
    handler, sent = recording(lambda request: httpx.Response(200, json=[]))
    http = DefaultHttpxClient(transport=httpx.MockTransport(handler))
    assert isinstance(http, httpx.Client)
    assert http.timeout == httpx.Timeout(600.0, connect=5.0)
    assert http.follow_redirects is False
    with PhosonClient(api_key=PLANTED, base_url=BASE_URL, http_client=http) as client:
        client.agents.list()
    assert sent[0].extensions["timeout"] == httpx.Timeout(600.0, connect=5.0).as_dict()
    http.close()
    custom = DefaultHttpxClient(timeout=2.0, limits=DEFAULT_LIMITS, follow_redirects=True)
    assert custom.timeout == httpx.Timeout(2.0) and custom.follow_redirects is True
    custom.close()


# -- 8. The server can steer retries -----------------------------------------------------------


def test_x_should_retry_true_retries_a_status_not_normally_retried(
    sleeps: list[float],
) -> None:
    """`x-should-retry: true` on a 400 retries it (same idempotency key, retry count 1)."""
    handler, sent = recording(
        [
            httpx.Response(400, json={"detail": "try again"}, headers={"x-should-retry": "true"}),
            httpx.Response(201, json=AGENT),
        ]
    )
    with mock_client(handler) as client:
        agent = client.agents.create(name="n", description="d")
    assert agent.id == AGENT["id"] and len(sent) == 2 and len(sleeps) == 1
    assert sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"]
    assert [r.headers["x-phoson-retry-count"] for r in sent] == ["0", "1"]


def test_x_should_retry_false_stops_a_retryable_status(sleeps: list[float]) -> None:
    """`x-should-retry: false` on a 503 fails at once, without a retry."""
    handler, sent = recording(
        [httpx.Response(503, json={"detail": "down"}, headers={"x-should-retry": "false"})]
    )
    with mock_client(handler) as client:
        with pytest.raises(InternalServerError, match="down"):
            client.agents.list()
    assert len(sent) == 1 and sleeps == []


# -- 10. Wire contract and code agree ----------------------------------------------------------


def test_extra_body_on_a_call_without_a_body_is_sent_as_json() -> None:
    """extra_body on a call with no body of its own (attach_mcp) sends JSON with Content-Type."""
    handler, sent = recording(lambda request: httpx.Response(200, json=AGENT))
    with mock_client(handler) as client:
        client.agents.attach_mcp("agt_1", "mcp_1", extra_body={"note": "x"})
        client.agents.attach_mcp("agt_1", "mcp_1")
    assert wire_headers(sent[0], "content-type") == ["application/json"]
    assert json.loads(sent[0].content) == {"note": "x"}
    assert wire_headers(sent[1], "content-type") == [] and sent[1].content == b""


def test_every_attempt_and_every_resume_carries_the_retry_count() -> None:
    """X-Phoson-Retry-Count is 0 on the first request and on a resume request, which also
    echoes Last-Event-ID (a non-ASCII id as its UTF-8 bytes)."""
    first = sse([("token", {"content": "Hel"})], ids=False).replace(
        b"\n\n", "\nid: r\u00e9sum\u00e9:1\n\n".encode(), 1
    )
    responses = [
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=BreakingStream([first], httpx.ReadError("connection reset")),
        ),
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=sse([("run_done", {"content": "Hello", "run_id": "run_1"})]),
        ),
    ]
    handler, sent = recording(responses)
    with mock_client(handler) as client:
        done = client.messages.stream("conv_1", "Hi").until_done()
    assert done.content == "Hello"
    assert [r.headers["x-phoson-retry-count"] for r in sent] == ["0", "0"]
    assert "last-event-id" not in sent[0].headers
    assert dict(sent[1].headers.raw)[b"Last-Event-ID"] == "r\u00e9sum\u00e9:1".encode()


def test_a_resume_after_an_id_with_a_control_character_fails_typed() -> None:
    """An event id that cannot be echoed in a header ends the stream with IncompleteStreamError
    (not a raw encoding error)."""
    body = b'event: token\ndata: {"content": "a"}\nid: bad\x01id\n\n'
    responses = [
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=BreakingStream([body], httpx.ReadError("reset")),
        )
    ]
    handler, sent = recording(responses)
    with mock_client(handler) as client:
        with pytest.raises(IncompleteStreamError, match="control character"):
            client.messages.stream("conv_1", "Hi").until_done()
    assert len(sent) == 1


def test_models_read_from_the_api_go_back_in_without_casts() -> None:
    """A model's enumerated fields (plain str) are accepted by the methods that take them."""
    handler, sent = recording(
        [
            httpx.Response(200, json=AGENT),
            httpx.Response(201, json=AGENT),
            httpx.Response(200, json=CONVERSATION),
            httpx.Response(200, json=MESSAGE),
        ]
    )
    with mock_client(handler) as client:
        agent = client.agents.get("agt_1")
        client.agents.create(
            name=agent.name, description=agent.description, memory_type=agent.memory_type
        )
        conversation = client.conversations.get("conv_1")
        provider: str = "openai"
        client.messages.send(conversation.id, "hi", provider=provider, reasoning_effort="low")
    assert json.loads(sent[1].content)["memory_type"] == AGENT["memory_type"]
    assert json.loads(sent[3].content)["provider"] == "openai"


# -- 9. The idempotency key means one request --------------------------------------------------


def test_an_idempotency_key_reused_with_another_body_is_refused(
    live_client: PhosonClient,
) -> None:
    """The same key with the same body replays the first reply; with a different body the
    server answers 422 and the SDK raises IdempotencyKeyReusedError with a clear detail."""
    first = live_client.agents.create(
        name="Support", description="d", idempotency_key="key-one-request"
    )
    again = live_client.agents.create(
        name="Support", description="d", idempotency_key="key-one-request"
    )
    assert again.id == first.id
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        live_client.agents.create(name="Sales", description="d", idempotency_key="key-one-request")
    error = caught.value
    assert isinstance(error, UnprocessableEntityError) and error.status_code == 422
    assert "already used with a different request body" in str(error.detail)
    assert [a.name for a in live_client.agents.list()] == ["Support"]
