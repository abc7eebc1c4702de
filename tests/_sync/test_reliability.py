# DO NOT EDIT: generated from tests/_async/test_reliability.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Fault injection against the local server: every failure is retried, resumed or raised as
a typed error, and nothing is lost, duplicated or leaked. docs/reliability.md lists the matrix."""

from __future__ import annotations

import logging

import pytest

from phoson import (
    IncompleteStreamError,
    InternalServerError,
    MalformedEventError,
    PhosonClient,
    PhosonError,
    PhosonResponseValidationError,
    RateLimitError,
)
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation


def test_503_then_success(
    live_client: PhosonClient, server: LocalPhosonServer, sleeps: list[float]
) -> None:
    """A 503 is retried after a backoff and the call succeeds."""
    server.fail_next(503)
    assert live_client.agents.list() == []
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


def test_429_with_retry_after(
    live_client: PhosonClient, server: LocalPhosonServer, sleeps: list[float]
) -> None:
    """A 429's Retry-After decides the wait; one over 60 s raises at once."""
    server.fail_next(429, retry_after="2")
    assert live_client.agents.list() == []
    assert sleeps == [2.0]
    server.fail_next(429, retry_after="120", detail="quota exhausted")
    with pytest.raises(RateLimitError) as caught:
        live_client.agents.list()
    assert caught.value.detail == "quota exhausted"
    assert sleeps == [2.0]


def test_reset_before_headers_is_retried(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A connection closed before any response is retried, with the same Idempotency-Key, and
    the work is done once."""
    server.drop_next()
    agent = live_client.agents.create(name="a", description="b")
    assert [a.id for a in live_client.agents.list()] == [agent.id]


def test_retried_send_creates_one_run(live_client: PhosonClient, server: LocalPhosonServer) -> None:
    """Sending twice with one Idempotency-Key returns the first reply and starts one run."""
    conv = new_conversation(live_client)
    first = live_client.messages.send(conv, "hello", idempotency_key="send-1")
    again = live_client.messages.send(conv, "hello", idempotency_key="send-1")
    assert again.id == first.id and again.run_id == first.run_id
    assert server.stats.runs_created == 1
    assert len(live_client.messages.list(conv)) == 2


def test_stream_cut_at_every_event_boundary_resumes_exactly_once(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream cut after any number of events resumes with Last-Event-ID and delivers every
    token exactly once, in order, identical to an uncut run."""
    conv = new_conversation(live_client)
    message = "the quick brown fox jumps over the lazy dog"
    whole = [e for e in live_client.messages.stream(conv, message)]
    expected = [(e.type, getattr(e, "content", None)) for e in whole[:-1]]
    for cut_after in range(len(whole)):
        server.cut_stream_after(cut_after)
        with live_client.messages.stream(conv, message) as stream:
            events = [e for e in stream]
        assert [(e.type, getattr(e, "content", None)) for e in events[:-1]] == expected, cut_after
        assert events[-1].type == "run_done"
        assert stream.events_received == len(whole)


def test_stream_cut_twice_still_resumes(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """Each resumed connection that makes progress earns a fresh reconnect budget."""
    conv = new_conversation(live_client)
    message = "one two three four five six seven eight"
    server.cut_stream_after(2, times=4)
    text = live_client.messages.stream(conv, message).until_done()
    assert message in text.content


def test_unresumable_cut_raises_incomplete(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream without event ids that breaks mid-run raises IncompleteStreamError, counting
    what arrived; it never ends as if finished."""
    conv = new_conversation(live_client)
    server.script_next_run(
        conv,
        raw=b'event: token\ndata: {"content": "par"}\n\nevent: token\ndata: {"content": "tial"}\n\n',
    )
    tokens: list[str] = []
    with pytest.raises(IncompleteStreamError) as caught:
        with live_client.messages.stream(conv, "hi") as stream:
            for text in stream.text_stream:
                tokens.append(text)
    assert tokens == ["par", "tial"]
    assert caught.value.events_received == 2 and caught.value.last_event_id is None


def test_resume_budget_exhausted_raises_incomplete(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream that breaks again and again without progress gives up after max_retries
    reconnects, naming the last event id."""
    conv = new_conversation(live_client)
    server.cut_stream_after(1, times=1)
    server.drop_next(times=10)
    with pytest.raises(IncompleteStreamError) as caught:
        live_client.messages.stream(conv, "hi there").until_done()
    assert caught.value.events_received >= 1
    assert caught.value.last_event_id


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("not_json", PhosonResponseValidationError),
        ("wrong_shape", PhosonResponseValidationError),
        ("empty_error", InternalServerError),
        ("html_error", InternalServerError),
    ],
)
def test_malformed_bodies_raise_typed_errors(
    live_client: PhosonClient, server: LocalPhosonServer, kind: str, error: type[PhosonError]
) -> None:
    """Bodies that break the contract raise the SDK's typed errors with a readable message."""
    server.malformed_next(kind)
    with pytest.raises(error) as caught:
        live_client.agents.list(max_retries=0)
    assert str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", ["bad_event_json", "bad_event_fields"])
def test_malformed_events_raise_typed_errors(
    live_client: PhosonClient, server: LocalPhosonServer, kind: str
) -> None:
    """A stream event with non-JSON data or wrong fields raises MalformedEventError."""
    conv = new_conversation(live_client)
    server.malformed_next(kind)
    with pytest.raises(MalformedEventError) as caught:
        for _ in live_client.messages.stream(conv, "hi"):
            pass
    assert caught.value.event_type == "token"


def test_planted_key_appears_in_no_output(
    server: LocalPhosonServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Across successes, retries, failures and streams, the key is in no log, error or repr."""
    caplog.set_level(logging.DEBUG)
    server.api_key = "pk_live_PLANTED_7f3a9c"
    texts: list[str] = []
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        texts.append(repr(client))
        conv = new_conversation(client)
        server.fail_next(503)
        server.drop_next()
        texts.append(repr(client.agents.list()))
        for bad in ("agt_missing",):
            with pytest.raises(PhosonError) as caught:
                client.agents.get(bad)
            texts += [str(caught.value), repr(caught.value), repr(vars(caught.value))]
        server.cut_stream_after(2)
        with client.messages.stream(conv, "secret-free words") as stream:
            texts += [repr(e) for e in stream]
            texts.append(repr(stream))
    with PhosonClient(api_key="pk_live_PLANTED_7f3a9c_wrong", base_url=server.url) as bad_client:
        with pytest.raises(PhosonError) as denied:
            bad_client.agents.list()
        texts += [str(denied.value), repr(denied.value)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("retrying" in t for t in texts)
    for text in texts:
        assert "PLANTED_7f3a9c" not in text, text
