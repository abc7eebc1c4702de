# DO NOT EDIT: generated from tests/_async/test_resume.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Resume tokens against the local server: a stream's `resume_token` lets another stream (or
client) continue the same run after the token's last event, with nothing repeated and no
second run, and a bad token is refused before anything is sent."""

from __future__ import annotations

import pytest
import respx

from phoson import IncompleteStreamError, PhosonClient, PhosonError, StreamEvent
from phoson._resume_token import decode_resume_token
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation
from tests.payloads import event_stream_response, sse

MESSAGE = "one two three four five six seven"


def described(events: list[StreamEvent]) -> list[tuple[str, object]]:
    return [(e.type, getattr(e, "content", None)) for e in events]


def test_resume_continues_after_the_token(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream read for k events and closed, then resumed from its token, delivers exactly
    the events after the k-th: the same run (one run created), the same Idempotency-Key and
    body, Last-Event-ID sent; its snapshot holds the rest and run_done.content the whole
    reply."""
    conv = new_conversation(live_client)
    whole = [e for e in live_client.messages.stream(conv, MESSAGE)]
    for k in (0, 1, 3, len(whole) - 1):
        server.reset()
        conv = new_conversation(live_client)
        with live_client.messages.stream(conv, MESSAGE) as stream:
            first = [stream.__next__() for _ in range(k)]
            token = stream.resume_token
        assert token is not None
        with live_client.messages.resume(token) as resumed:
            rest = [e for e in resumed]
        assert described(first + rest) == described(whole), k
        assert server.stats.runs_created == 1
        requests = [r for r in server.stats.requests if r.path.endswith("/messages")]
        assert len(requests) == 2
        opened, again = requests
        assert again.headers["idempotency-key"] == opened.headers["idempotency-key"]
        assert again.headers.get("last-event-id", "") == (stream.last_event_id if k else "")
        bodies = server.stats.request_bodies
        assert bodies[-1] == bodies[server.stats.requests.index(opened)]
        done = rest[-1]
        assert done.type == "run_done" and MESSAGE in done.content
        assert resumed.text == "".join(e.content for e in rest if e.type == "token")


def test_token_follows_the_events(live_client: PhosonClient, server: LocalPhosonServer) -> None:
    """The token is None before the request goes out, changes with each event, and is None
    once the run's final event has arrived (nothing is left to resume)."""
    conv = new_conversation(live_client)
    stream = live_client.messages.stream(conv, MESSAGE)
    assert stream.resume_token is None
    tokens: list[str | None] = []
    with stream:
        tokens.append(stream.resume_token)
        for event in stream:
            if event.type != "run_done":
                tokens.append(stream.resume_token)
    assert None not in tokens and len(set(tokens)) == len(tokens)
    assert stream.resume_token is None
    assert server.api_key not in "".join(t or "" for t in tokens)


def test_resume_uses_the_resuming_clients_key_and_url(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A token carries no key or URL: a client with another key (the server's key changed
    meanwhile) and another spelling of the server's address resumes the run."""
    conv = new_conversation(live_client)
    with live_client.messages.stream(conv, MESSAGE) as stream:
        stream.__next__()
        token = stream.resume_token
    assert token is not None
    old_key, server.api_key = server.api_key, "pk_rotated_key_0987"
    try:
        other_url = server.url.replace("127.0.0.1", "localhost")
        with PhosonClient(api_key="pk_rotated_key_0987", base_url=other_url) as other:
            done = other.messages.resume(token).until_done()
    finally:
        server.api_key = old_key
    assert MESSAGE in done.content
    last = server.stats.requests[-1]
    assert last.headers["authorization"] == "Bearer pk_rotated_key_0987"
    assert last.headers["host"].startswith("localhost")
    assert server.stats.runs_created == 1


def test_incomplete_stream_error_carries_a_token(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream that gives up (its reconnects used up) raises IncompleteStreamError with a
    token; resuming from it later delivers the rest of the same run."""
    conv = new_conversation(live_client)
    server.cut_stream_after(2)
    for _ in range(3):  # the reconnect and its two retries
        server.drop_next()
    received: list[StreamEvent] = []
    with pytest.raises(IncompleteStreamError) as caught:
        for event in live_client.messages.stream(conv, MESSAGE):
            received.append(event)
    token = caught.value.resume_token
    assert token is not None and len(received) == 2
    rest = [e for e in live_client.messages.resume(token)]
    assert rest[-1].type == "run_done"
    words = [e.content for e in received + rest if e.type == "token"]
    assert "".join(words) == rest[-1].content
    assert server.stats.runs_created == 1


def test_unresumable_stream_has_no_token(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A stream whose server gives no event ids cannot be resumed: no token, on the stream or
    on its IncompleteStreamError."""
    conv = new_conversation(live_client)
    server.script_next_run(conv, raw=b'event: token\ndata: {"content": "x"}\n\n')
    stream = live_client.messages.stream(conv, "hi")
    with pytest.raises(IncompleteStreamError) as caught:
        for _ in stream:
            pass
    assert caught.value.resume_token is None and stream.resume_token is None


def test_resumed_stream_resumes_again_after_a_break(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """A resumed stream is a stream like any other: cut again, it resumes by itself."""
    conv = new_conversation(live_client)
    whole = [e for e in live_client.messages.stream(conv, MESSAGE)]
    conv = new_conversation(live_client)
    with live_client.messages.stream(conv, MESSAGE) as stream:
        first = [stream.__next__() for _ in range(2)]
        token = stream.resume_token
    assert token is not None
    server.cut_stream_after(2)
    rest = [e for e in live_client.messages.resume(token)]
    assert described(first + rest) == described(whole)
    assert server.stats.runs_created == 2  # the first conversation's, and this one's


@pytest.mark.parametrize(
    "bad", ["", "not a token", "phr9.AAAA", "phr1.", "phr1.AAAAAAAAAAAAAAAAAAAAAAAA"]
)
def test_bad_token_is_refused_before_any_request(
    live_client: PhosonClient, server: LocalPhosonServer, bad: str
) -> None:
    """A token that is not one raises PhosonError from resume() itself; nothing is sent."""
    with pytest.raises(PhosonError, match="resume token"):
        live_client.messages.resume(bad)
    assert server.stats.requests == []


def test_resume_checks_its_keywords(live_client: PhosonClient) -> None:
    """resume() takes the per-call options; the request's own (idempotency_key, extra_body)
    are the token's, and passing them is a TypeError."""
    with pytest.raises(TypeError):
        live_client.messages.resume("phr1.x", idempotency_key="k")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        live_client.messages.resume("phr1.x", timout=3)  # type: ignore[call-arg]


def test_token_points_after_the_last_event_handed_out(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Several events in one chunk are handed out one by one: the token resumes after the
    last one the caller got, not the last one decoded, also once the stream is closed; a
    final event decoded but not handed out still leaves a token."""
    events = [("token", {"content": word}) for word in ("a", "b", "c")]
    body = sse([*events, ("run_done", {"content": "abc", "run_id": "run_1"})])
    api.post("/conversations/conv_1/messages").mock(return_value=event_stream_response(body))
    stream = client.messages.stream("conv_1", "hi")
    seen: list[str] = []
    with stream:
        for _ in stream:
            token = stream.resume_token
            assert token is not None
            seen.append(decode_resume_token(token).last_event_id)
            if len(seen) == 2:
                break
    assert seen == ["run_1:1", "run_1:2"]
    token = stream.resume_token
    assert token is not None and decode_resume_token(token).last_event_id == "run_1:2"
