"""phoson.web's I/O-free half: the frames a browser reads, relay ids (signed resume tokens),
and the status a relay answers with when the stream cannot be opened."""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MalformedEventError,
    NotFoundError,
    PhosonAPIError,
    PhosonConnectionError,
    PhosonError,
    PhosonTimeoutError,
    RateLimitError,
    UnprocessableEntityError,
)
from phoson._relay import (
    HEARTBEAT,
    RelayFrames,
    RelaySigner,
    error_frame,
    event_frame,
    retry_frame,
)
from phoson._sse import ServerSentEvent, SSEDecoder
from phoson.web import InvalidRelayIdError, error_json, error_status
from tests.budget import examples

#: What a browser's EventSource accepts as an event name and a data line: any text without
#: line ends (and, for ids, without NUL).
_LINE = st.text(st.characters(exclude_characters="\r\n\0", exclude_categories=["Cs"]))


needs_tokens = pytest.mark.skipif(
    importlib.util.find_spec("phoson._resume_token") is None,
    reason="relay ids are resume tokens (issue 23), not on this branch yet",
)


def browser_events(data: bytes) -> list[ServerSentEvent]:
    """What a browser's EventSource dispatches for these bytes (our decoder follows the same
    WHATWG algorithm)."""
    return SSEDecoder().feed(data)


@settings(max_examples=examples(200))
@given(
    event=_LINE.filter(lambda name: name.strip() == name and name != ""),
    data=st.text(st.characters(exclude_characters="\r\0", exclude_categories=["Cs"])),
    relay_id=st.none() | _LINE.filter(lambda text: text.strip() == text),
)
def test_an_event_frame_reads_back_as_the_event(
    event: str, data: str, relay_id: str | None
) -> None:
    """The browser dispatches each frame as exactly its type, its data (lines included) and
    its relay id."""
    frame = event_frame(event, data, relay_id)
    assert browser_events(frame) == [ServerSentEvent(event, data, relay_id or "", None)]


def test_heartbeat_and_retry_dispatch_nothing() -> None:
    """The heartbeat is a comment and the retry hint only sets the reconnection time: neither
    reaches the page as an event."""
    decoder = SSEDecoder()
    assert decoder.feed(retry_frame(1.5) + HEARTBEAT) == []
    assert decoder.retry == 1500
    assert HEARTBEAT.startswith(b":")


def test_an_error_frame_has_the_api_error_shape_and_no_id() -> None:
    """A failure after the response started reaches the page as an `error` event shaped like
    the API's own, and does not move the browser's Last-Event-ID."""
    [event] = browser_events(error_frame(PhosonConnectionError("the connection closed")))
    assert event.event == "error" and event.id == ""
    assert json.loads(event.data) == {"type": "error", "message": "the connection closed"}


# -- Relay ids ----------------------------------------------------------------------------


def test_a_signed_id_gives_its_token_back() -> None:
    """verify(sign(token)) is the token; the id is the token, a dot, and the signature."""
    signer = RelaySigner("app secret")
    relay_id = signer.sign("phr1.abc")
    assert relay_id.startswith("phr1.abc.")
    assert signer.verify(relay_id) == "phr1.abc"
    assert RelaySigner(b"app secret").verify(relay_id) == "phr1.abc"


@settings(max_examples=examples(300))
@given(
    token=st.text(st.sampled_from("abcXYZ019-_."), min_size=1, max_size=60),
    data=st.data(),
)
def test_an_altered_id_is_refused(token: str, data: st.DataObject) -> None:
    """Any change to a relay id (one character replaced, cut short, lengthened) is refused
    with InvalidRelayIdError, and so is a valid id under another secret."""
    signer = RelaySigner("app secret")
    relay_id = signer.sign(token)
    position = data.draw(st.integers(0, len(relay_id) - 1))
    replacement = data.draw(st.characters(codec="ascii").filter(lambda c: c != relay_id[position]))
    altered = [
        relay_id[:position] + replacement + relay_id[position + 1 :],
        relay_id[:position],
        relay_id + data.draw(st.text(st.characters(codec="ascii"), min_size=1, max_size=3)),
    ]
    for candidate in altered:
        if candidate.strip() == relay_id:
            continue  # (only surrounding whitespace added: the same id)
        with pytest.raises(InvalidRelayIdError):
            signer.verify(candidate)
    with pytest.raises(InvalidRelayIdError):
        RelaySigner("another secret").verify(relay_id)


@pytest.mark.parametrize("value", ["", "no-dot", ".", "é.é", "x" * 20000])
def test_what_is_not_a_relay_id_is_refused(value: str) -> None:
    """Empty, unsigned, non-ASCII or oversized values are refused, and never quoted."""
    with pytest.raises(InvalidRelayIdError) as caught:
        RelaySigner("app secret").verify(value)
    assert value not in str(caught.value) or value in ("", ".")


def test_a_secret_is_required_and_never_shown() -> None:
    """An empty secret is refused at once; a signer's repr does not show its secret."""
    with pytest.raises(PhosonError):
        RelaySigner("")
    assert "hunter2" not in repr(RelaySigner("hunter2"))


@needs_tokens
def test_relay_ids_follow_the_events_and_skip_the_final_one() -> None:
    """Each event's id resumes right after that event (its own id as the token's last event
    id, the run's first id kept); the final event carries none: nothing is left after it."""
    tokens: Any = importlib.import_module("phoson._resume_token")
    ResumePoint, decode_resume_token = tokens.ResumePoint, tokens.decode_resume_token
    encode_resume_token = tokens.encode_resume_token

    signer = RelaySigner("s")
    frames = RelayFrames(signer, 1.0)
    point = ResumePoint("POST", "/conversations/c/messages", {"content": "Hi"}, "key-1")
    token = encode_resume_token(point)
    assert token is not None
    frames.set_token(token)
    first = frames.relay_id(ServerSentEvent("token", '{"content":"a"}', "run:1"))
    second = frames.relay_id(ServerSentEvent("token", '{"content":"b"}', "run:2"))
    assert first is not None and second is not None
    resumed = decode_resume_token(signer.verify(second))
    assert (resumed.last_event_id, resumed.first_event_id) == ("run:2", "run:1")
    assert resumed.idempotency_key == "key-1" and resumed.body == {"content": "Hi"}
    done = ServerSentEvent("run_done", '{"content":"ab","run_id":"run"}', "run:3")
    assert browser_events(frames.event(done))[0].id == ""


def test_an_event_without_a_name_is_named_by_its_type() -> None:
    """An API event sent without `event:` (the type only in its JSON) reaches the browser under
    its type, so the page's addEventListener("token") sees it; a type the SDK does not know
    passes as it came; a known type whose fields do not fit is refused (MalformedEventError),
    as the typed iterator refuses it."""
    frames = RelayFrames(RelaySigner("s"), 1.0)
    token = ServerSentEvent("message", '{"type":"token","content":"x"}')
    assert browser_events(frames.event(token))[0].event == "token"
    usage = ServerSentEvent("message", '{"type":"usage","tokens":3}')
    assert browser_events(frames.event(usage)) == [ServerSentEvent("usage", usage.data)]
    with pytest.raises(MalformedEventError):
        frames.event(ServerSentEvent("token", '{"text":"no content field"}'))
    with pytest.raises(MalformedEventError):
        frames.event(ServerSentEvent("message", "not json"))


# -- Errors at opening --------------------------------------------------------------------


def api_error(cls: type[PhosonAPIError], status: int) -> PhosonAPIError:
    return cls(status, "nope", request_id="req_1")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRelayIdError("forged"), 400),
        (api_error(NotFoundError, 404), 404),
        (api_error(BadRequestError, 400), 400),
        (api_error(UnprocessableEntityError, 422), 422),
        (api_error(ConflictError, 409), 409),
        (api_error(RateLimitError, 429), 429),
        (api_error(AuthenticationError, 401), 502),
        (api_error(InternalServerError, 503), 502),
        (PhosonConnectionError("refused"), 502),
        (PhosonTimeoutError("timed out"), 504),
        (MalformedEventError("bad", event_type="token", data="x"), 502),
    ],
)
def test_an_error_at_opening_gets_a_fitting_status(error: PhosonError, status: int) -> None:
    """The browser's fault (a missing conversation, a refused message, a forged id) keeps its
    4xx; the application's key refused or anything failing behind the relay is 502 (504 for a
    timeout); the JSON body names the error."""
    assert error_status(error) == status
    body = json.loads(error_json(error))
    assert body["error"]["type"] == type(error).__name__
    assert body["error"]["message"] == str(error)
