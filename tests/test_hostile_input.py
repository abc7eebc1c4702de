"""The I/O-free defences against hostile input and misconfiguration: redaction, server-steered
retries, header merging, keyword checks, and server values that once escaped as raw errors."""

from __future__ import annotations

import json
import logging
import sys
import traceback

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson import InternalServerError, PhosonError
from phoson._cli import main
from phoson._config import check_api_key, merge_headers
from phoson._exceptions import (
    IncompleteStreamError,
    MalformedEventError,
    PhosonConnectionError,
    RunFailedError,
    api_error_from_response,
    connection_error_from,
    detail_from_body,
    excerpt,
)
from phoson._options import unknown_keyword_error
from phoson._redact import REDACTED, redact, redact_detail, remember_key
from phoson._retry import retry_after, retry_delay, server_reconnect_delay, should_retry_response
from phoson._sse import ServerSentEvent
from phoson._streaming import StreamState, parse_event
from phoson.testing import LocalPhosonServer
from tests.budget import examples

KEY = "pk_live_UNIT_PLANTED_0a1b2c3d4e5f"


@pytest.fixture(autouse=True)
def planted() -> None:
    """The planted key is one a client has used (registering it is what a client does)."""
    assert check_api_key(f" {KEY}\n") == KEY


def test_redact_blanks_every_occurrence_and_details_deeply() -> None:
    """redact replaces the whole key everywhere; redact_detail walks lists and dicts."""
    assert redact(f"a {KEY} b {KEY}") == f"a {REDACTED} b {REDACTED}"
    detail = [{"msg": f"bad {KEY}", KEY: [KEY, 3]}]
    assert redact_detail(detail) == [{"msg": f"bad {REDACTED}", REDACTED: [REDACTED, 3]}]
    remember_key("short")  # too short to redact: no garbled messages
    assert redact("a short note") == "a short note"


def test_an_excerpt_never_keeps_half_a_key() -> None:
    """A key cut by the excerpt's length limit is redacted before the cut, so no fragment of
    it survives (even after whitespace runs are collapsed)."""
    body = (" " * 790 + KEY + " tail").encode()
    assert KEY[:6] not in excerpt(body)
    text = "x" * 190 + KEY
    assert KEY[:6] not in excerpt(text) and REDACTED[:5] in excerpt(text)


def test_every_error_class_redacts_its_message_and_fields() -> None:
    """Each error built from server or library text carries no key: message, detail, excerpt,
    run message, and a chained httpx error's args."""
    response = httpx.Response(
        500,
        json={"detail": f"echo Bearer {KEY}"},
        request=httpx.Request("GET", "https://api.phoson.test/agents"),
    )
    api_error = api_error_from_response(response)
    assert isinstance(api_error, InternalServerError)
    cause = httpx.ConnectError(f"cannot send Bearer {KEY}")
    connection = connection_error_from(cause, "GET", "https://x")
    connection.__cause__ = cause
    errors: list[BaseException] = [
        api_error,
        connection,
        MalformedEventError(f"bad {KEY}", event_type="token", data=f"data {KEY}"),
        RunFailedError(f"failed for {KEY}"),
        IncompleteStreamError(f"broke: {KEY}", events_received=1, last_event_id="1"),
        PhosonError(f"anything with {KEY}", KEY),
    ]
    for error in errors:
        said = "".join(traceback.format_exception(error)) + repr(error) + str(vars(error))
        assert KEY not in said, said
    assert KEY not in str(cause) and KEY not in repr(cause.args)


def test_log_records_of_the_phoson_logger_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """A record logged on `phoson` with the key in its arguments reaches handlers redacted."""
    caplog.set_level(logging.INFO, logger="phoson")
    logging.getLogger("phoson").info("retrying after: %s (%r)", KEY, {"k": KEY})
    assert KEY not in caplog.text and REDACTED in caplog.text


def test_the_cli_never_prints_the_key(
    server: LocalPhosonServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server error quoting the key reaches the CLI's stderr redacted."""
    original, server.api_key = server.api_key, "pk_live_CLI_PLANTED_123456789"
    try:
        server.fail_next(400, detail=f"you sent Bearer {server.api_key}")
        code = main(["--api-key", server.api_key, "--base-url", server.url, "agents", "list"])
    finally:
        server.api_key = original
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("error: 400 you sent Bearer [redacted]")
    assert "pk_live_CLI_PLANTED_123456789" not in out + err


def test_x_should_retry_overrides_the_status_policy() -> None:
    """`x-should-retry: true` retries any status, `false` none; otherwise the status decides."""
    assert should_retry_response(400, {"x-should-retry": "true"})
    assert should_retry_response(400, {"x-should-retry": " TRUE "})
    assert not should_retry_response(503, {"x-should-retry": "false"})
    assert should_retry_response(503, {"x-should-retry": "maybe"})
    assert not should_retry_response(400, {})


@pytest.mark.parametrize(
    "header",
    [
        "Fri, 31 Dec 99999 23:59:59 GMT",
        "Mon, 01 Jan 0000 00:00:00 GMT",
        "Tue, 01 Jan 10000 00:00:00 +0000",
        "Sun, 01 Jan 9999999999999999999 00:00:00 GMT",
        "9" * 400,
        "1e400",
        "-1",
        "nan",
    ],
)
def test_absurd_retry_after_values_count_as_not_said(header: str) -> None:
    """A Retry-After no clock can hold (year 99999, 400 digits) is ignored or read as "now",
    never an error; the wait stays bounded."""
    asked = retry_after({"retry-after": header})
    assert asked is None or 0.0 <= asked < float("inf")
    delay = retry_delay(0, 2, httpx.Headers({"retry-after": header}))
    assert delay is None or 0 <= delay <= 8


def test_a_huge_sse_retry_is_capped_not_an_overflow() -> None:
    """An SSE `retry:` of 400 digits waits the 60 s cap instead of raising OverflowError."""
    assert server_reconnect_delay(int("9" * 400)) == 60.0
    assert server_reconnect_delay(1500) == 1.5
    state = StreamState(1 << 20)
    state.feed(b"retry: " + b"9" * 400 + b"\ndata: {}\nid: 1\n\n")
    assert state.reconnect_delay(0) == 60.0


def test_deeply_nested_json_is_malformed_not_a_recursion_error() -> None:
    """Nesting too deep to parse, in an error body or an untyped event, is reported as text
    or MalformedEventError, never RecursionError."""
    deep = "[" * (sys.getrecursionlimit() * 10) + "]" * (sys.getrecursionlimit() * 10)
    detail = detail_from_body(deep.encode(), "application/json")
    assert isinstance(detail, str) and detail.startswith("[[[")
    with pytest.raises(MalformedEventError):
        parse_event(ServerSentEvent("message", deep))
    with pytest.raises(MalformedEventError):
        parse_event(ServerSentEvent("token", '{"content": ' + deep + "}"))


@pytest.mark.parametrize("depth", [200, 990, 5000])
def test_an_error_detail_nested_deep_but_parseable_is_readable(depth: int) -> None:
    """JSON that parses but nests deeper than Python recurses (found by the long fuzz run)
    gives a PhosonAPIError with a one-line message, and redaction still walks all of it."""
    body = ("[" * depth + f'"{KEY}"' + "]" * depth).encode()
    response = httpx.Response(
        300, content=body, request=httpx.Request("GET", "https://api.phoson.test/agents")
    )
    error = api_error_from_response(response)
    assert str(error).startswith("300 PhosonAPIError: ") and "\n" not in str(error)
    assert KEY not in str(error)
    inner = error.detail
    while isinstance(inner, list):
        inner = inner[0]
    assert isinstance(inner, str) and KEY not in inner  # redacted JSON, or an excerpt


def test_merge_headers_keeps_one_header_per_name() -> None:
    """A merged name replaces every header of that name in any case; None removes it."""
    headers = {"Authorization": "Bearer a", "X-A": "1", "x-b": "2"}
    merged = merge_headers(headers, {"AUTHORIZATION": "Bearer b", "X-B": None, "x-c": "3"})
    assert merged == {"X-A": "1", "AUTHORIZATION": "Bearer b", "X-B": None, "x-c": "3"}


@pytest.mark.parametrize("key", ["", "   ", "\n"])
def test_a_blank_key_is_refused(key: str) -> None:
    """A key that is empty once stripped is refused like a missing one."""
    with pytest.raises(PhosonError, match="empty"):
        check_api_key(key)


def test_unknown_keyword_messages() -> None:
    """The TypeError names the argument, suggests a close match only when there is one, and
    explains the write-only options on a GET."""
    accepted = {"timeout", "max_retries", "extra_headers", "extra_query"}
    assert str(unknown_keyword_error("agents.list", "timout", accepted)) == (
        "agents.list() got an unexpected keyword argument 'timout'; did you mean 'timeout'?"
    )
    assert "did you mean" not in str(unknown_keyword_error("agents.list", "zzz", accepted))
    assert "takes no Idempotency-Key" in str(
        unknown_keyword_error("agents.list", "idempotency_key", accepted)
    )


def test_connection_errors_are_still_typed() -> None:
    """A chained httpx error keeps its type after redaction."""
    error = connection_error_from(httpx.ReadError(f"reset {KEY}"), "GET", "u")
    assert isinstance(error, PhosonConnectionError) and KEY not in str(error)


def test_enumerated_parameters_offer_the_literals_and_take_any_str() -> None:
    """Every enumerated parameter is `Literal[...] | str`: editors complete the documented
    values, and a model's plain-str field type-checks as an argument (mypy --strict runs over
    the calls below, with no cast)."""
    from typing import Literal, assert_type, get_args, get_origin, get_type_hints

    from phoson import Agent, PhosonClient
    from phoson._sync._resources import Agents, Messages

    expected = {
        (Agents.create, "memory_type"): {"persistent", "semantic"},
        (Agents.update, "memory_type"): {"persistent", "semantic"},
        (Messages.send, "provider"): {"anthropic", "openai", "openrouter"},
        (Messages.stream, "reasoning_effort"): {"low", "medium", "high"},
    }
    for (method, name), values in expected.items():
        hint = get_type_hints(method)[name]
        members = set(get_args(hint))
        literals = [m for m in members if get_origin(m) is Literal]
        assert str in members and literals, (method, name, hint)
        assert set(get_args(literals[0])) == values

    def round_trip(client: PhosonClient, agent: Agent) -> None:
        # Type-checked only: a model's fields are `str`, accepted without a cast.
        assert_type(agent.memory_type, str)
        client.agents.create(
            name=agent.name, description=agent.description, memory_type=agent.memory_type
        )
        client.agents.update(agent.id, memory_type=agent.memory_type)
        provider: str = agent.description
        client.messages.send("c", "hi", provider=provider, reasoning_effort=provider)

    assert callable(round_trip)


#: A valid body of each event type, as a server sends it.
_EVENT_BODIES: dict[str, dict[str, object]] = {
    "token": {"content": "Hel"},
    "reasoning": {"content": "thinking"},
    "tool_start": {"tool": "search", "input": {"q": "x"}, "tool_call_id": "c1"},
    "tool_end": {"tool": "search", "result": "found", "tool_call_id": "c1"},
    "run_done": {"content": "Hello", "run_id": "run_1"},
    "error": {"message": "the model failed"},
}


@settings(max_examples=examples(200))
@given(
    event=st.sampled_from(sorted(_EVENT_BODIES)),
    named=st.booleans(),
    where=st.sampled_from(["extra", "input", "usage"]),
    number=st.sampled_from(["NaN", "Infinity", "-Infinity"]),
    in_list=st.booleans(),
)
def test_nan_or_infinity_anywhere_in_an_event_is_malformed(
    event: str, named: bool, where: str, number: str, in_list: bool
) -> None:
    """`NaN` and `Infinity` are not JSON: an event holding one anywhere (a known field, an extra
    one, nested), typed by its `event:` line or by the JSON's "type", is a MalformedEventError
    naming the event, as the same value in a REST body is a PhosonResponseValidationError;
    the same words inside a string are text and parse."""
    fields = dict(_EVENT_BODIES[event])
    marker = "__NUMBER__"
    value: object = [1, marker] if in_list else marker
    if where == "input" and event == "tool_start":
        fields["input"] = {"q": value}
    else:
        fields[where] = {"tokens": value}
    if not named:
        fields["type"] = event
    data = json.dumps(fields)
    bad = data.replace(f'"{marker}"', number)
    good = data.replace(marker, number)  # the same word, as a string
    sse_name = event if named else "message"
    with pytest.raises(MalformedEventError) as raised:
        parse_event(ServerSentEvent(sse_name, bad))
    assert raised.value.event_type == sse_name
    parsed = parse_event(ServerSentEvent(sse_name, good))
    assert parsed is not None and parsed.type == event
