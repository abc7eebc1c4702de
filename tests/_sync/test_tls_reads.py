# DO NOT EDIT: generated from tests/_async/test_tls_reads.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Over TLS, every event a server writes reaches user code once and in order, however its
records arrive: one at a time, in bursts (which the event-loop clients read whole:
`phoson._tls_records`), split across reads, or cut short by a damaged record, which breaks the
connection like any other break: the stream resumes after the last event it delivered, and no
error of the TLS layer reaches the caller untyped. (close() from elsewhere over TLS:
tests/_async/test_stream_lifecycle.py.)"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phoson import (
    IncompleteStreamError,
    PhosonClient,
    PhosonConnectionError,
    PhosonTimeoutError,
    RunDoneEvent,
    TokenEvent,
)
from tests.budget import examples
from tests.payloads import AGENT, API_KEY
from tests.scripted_server import DAMAGED_RECORD, Pause, Script, ScriptedServer, Tampered
from tests.tls import ca_file

#: More than one TLS record's worth (16 KiB): OpenSSL hands such an event out in pieces.
LONG = 20_000


def token(number: int, text: str) -> bytes:
    """One `token` event, as the server frames it, with the id a resume names."""
    data = json.dumps({"content": text})
    return f"event: token\ndata: {data}\nid: run_1:{number}\n\n".encode()


def run_done(number: int, reply: str) -> bytes:
    data = json.dumps({"content": reply, "run_id": "run_1"})
    return f"event: run_done\ndata: {data}\nid: run_1:{number}\n\n".encode()


@pytest.fixture
def tls_client(tls_server: ScriptedServer) -> Iterator[PhosonClient]:
    with PhosonClient(
        api_key=API_KEY, base_url=tls_server.url, timeout=30, max_retries=2
    ) as client:
        yield client


def read_run(client: PhosonClient) -> tuple[list[str], RunDoneEvent | None]:
    """The token texts and final event of one `messages.stream` run, as user code sees them."""
    texts: list[str] = []
    final: RunDoneEvent | None = None
    with client.messages.stream("conv_1", "hi") as stream:
        for event in stream:
            if isinstance(event, TokenEvent):
                texts.append(event.content)
            elif isinstance(event, RunDoneEvent):
                final = event
    return texts, final


texts_of_events = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
        st.just("x" * LONG),
    ),
    min_size=1,
    max_size=120,
)


@settings(
    max_examples=examples(25),
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=texts_of_events, pauses=st.lists(st.booleans(), max_size=120))
def test_every_event_over_tls_arrives_once_and_in_order(
    tls_client: PhosonClient, tls_server: ScriptedServer, texts: list[str], pauses: list[bool]
) -> None:
    """Events written one TLS record each (a long one in several), in bursts of any size with
    pauses between them, reach user code each once, in order, with the final event."""
    parts: list[bytes | Pause | Tampered] = []
    for number, text in enumerate(texts, start=1):
        parts.append(token(number, text))
        if number <= len(pauses) and pauses[number - 1]:
            parts.append(Pause(0.002))  # the burst so far goes out before the rest
    parts.append(run_done(len(texts) + 1, "".join(texts)))
    tls_server.add(Script(parts=parts, end="end"))

    got, final = read_run(tls_client)

    assert got == texts
    assert final is not None and final.content == "".join(texts)
    sent = tls_server.connections[-1]
    assert (sent.method, sent.path) == ("POST", "/conversations/conv_1/messages")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize("before", [1, 5, 200])
def test_a_damaged_tls_record_breaks_the_connection_and_the_stream_resumes(
    tls_client: PhosonClient, tls_server: ScriptedServer, before: int
) -> None:
    """A record the client cannot decrypt, after `before` events sent in one burst, is a broken
    connection: every event before it is delivered, and the stream resumes from the last one
    (`Last-Event-ID`), so user code sees each event once."""
    texts = [f"t{number} " for number in range(1, before + 4)]
    first = [token(number, text) for number, text in enumerate(texts[:before], start=1)]
    rest = [token(number, texts[number - 1]) for number in range(before + 1, len(texts) + 1)]
    tls_server.add(
        Script(parts=[*first, DAMAGED_RECORD, Pause(5.0)], end="cut"),
        Script(parts=[*rest, run_done(len(texts) + 1, "".join(texts))], end="end"),
    )

    got, final = read_run(tls_client)

    assert got == texts
    assert final is not None and final.content == "".join(texts)
    resumed = tls_server.connections[-1]
    assert resumed.headers["last-event-id"] == f"run_1:{before}"


def test_a_damaged_tls_record_with_no_resume_left_raises_a_typed_error(
    tls_server: ScriptedServer,
) -> None:
    """With no reconnects allowed, a damaged record ends the stream with
    `IncompleteStreamError` naming the read error (never a bare `ssl.SSLError`), after the
    events that came before it."""
    tls_server.add(Script(parts=[token(1, "Hello "), DAMAGED_RECORD, Pause(5.0)], end="cut"))
    got: list[str] = []
    with PhosonClient(
        api_key=API_KEY, base_url=tls_server.url, timeout=30, max_retries=0
    ) as client:
        with pytest.raises(IncompleteStreamError) as caught:
            with client.messages.stream("conv_1", "hi") as stream:
                for event in stream:
                    if isinstance(event, TokenEvent):
                        got.append(event.content)
    assert got == ["Hello "]
    assert "ReadError" in str(caught.value)
    assert caught.value.events_received == 1


def test_a_damaged_tls_record_in_an_answer_is_retried_like_a_dropped_connection(
    tls_client: PhosonClient, tls_server: ScriptedServer
) -> None:
    """A call whose answer brings a record the client cannot decrypt is retried as after any
    broken connection (a GET is safe to repeat), and returns the second answer."""
    headers = {"content-type": "application/json", "x-request-id": "req_tls"}
    tls_server.add(
        Script(parts=[b'{"id": "agt_1", ', DAMAGED_RECORD, Pause(5.0)], end="cut", headers=headers),
        Script(parts=[json.dumps(AGENT).encode()], end="end", headers=headers),
    )

    agent = tls_client.agents.get("agt_1")

    assert agent.id == "agt_1" and agent.name == AGENT["name"]
    sent = tls_server.connections[-2:]
    assert [(c.method, c.path) for c in sent] == [("GET", "/agents/agt_1")] * 2
    assert [c.headers["x-phoson-retry-count"] for c in sent] == ["0", "1"]


def test_a_stream_cut_without_close_notify_resumes(
    tls_client: PhosonClient, tls_server: ScriptedServer
) -> None:
    """A server that drops the connection mid-run without ending the TLS session (no
    `close_notify`) breaks it like any other break: the stream resumes after its last event."""
    tls_server.add(
        Script(parts=[token(1, "Hello "), token(2, "big ")], end="cut"),
        Script(parts=[token(3, "world"), run_done(4, "Hello big world")], end="end"),
    )

    got, final = read_run(tls_client)

    assert got == ["Hello ", "big ", "world"]
    assert final is not None and final.content == "Hello big world"
    assert tls_server.connections[-1].headers["last-event-id"] == "run_1:2"


def test_a_server_the_client_does_not_trust_is_a_connection_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server whose certificate no trusted authority signed: `PhosonConnectionError` naming
    the failed verification, and no request reaches it."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file())
    stranger = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with trustme.CA().issue_cert("127.0.0.1").private_key_and_cert_chain_pem.tempfile() as pem:
        stranger.load_cert_chain(pem)
    with ScriptedServer(tls=stranger) as server:
        server.add(Script(parts=[token(1, "x")], end="end"))
        with PhosonClient(
            api_key=API_KEY, base_url=server.url, timeout=30, max_retries=0
        ) as client:
            with pytest.raises(PhosonConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                client.agents.get("agt_1")
        assert server.requests == 0


def test_a_tls_handshake_that_never_ends_is_a_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that accepts the connection but never answers the TLS handshake: the call
    fails with `PhosonTimeoutError` after the connect timeout, as a TCP connect would."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file())
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens; never reads or writes
        port = silent.getsockname()[1]
        with PhosonClient(
            api_key=API_KEY,
            base_url=f"https://127.0.0.1:{port}",
            timeout=httpx.Timeout(30, connect=0.3),
            max_retries=0,
        ) as client:
            with pytest.raises(PhosonTimeoutError) as caught:
                client.agents.get("agt_1")
    assert isinstance(caught.value.__cause__, httpx.ConnectTimeout)
