# DO NOT EDIT: generated from tests/_async/test_tracing.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Tracing (open_telemetry=True): one CLIENT span per SDK call, against the local server.

Each test passes its own TracerProvider (tracer_provider=) with an in-memory exporter, so the
global provider is never touched.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from phoson import (
    Agent,
    IncompleteStreamError,
    NotFoundError,
    PhosonClient,
    RunFailedError,
    request_id_of,
)
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation
from tests.concurrency import Job, checkpoint, gather


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def traced(server: LocalPhosonServer, provider: TracerProvider) -> Iterator[PhosonClient]:
    """A client with tracing on, over the test's own provider."""
    with PhosonClient(
        api_key=server.api_key, base_url=server.url, open_telemetry=True, tracer_provider=provider
    ) as client:
        yield client


def sdk_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """The finished spans the SDK made (the test's own spans left out), oldest first."""
    spans = exporter.get_finished_spans()
    return [
        s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == "phoson"
    ]


def only_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    spans = [s for s in sdk_spans(exporter) if s.name == name]
    assert len(spans) == 1, [s.name for s in sdk_spans(exporter)]
    return spans[0]


def traceparent(span: ReadableSpan) -> str:
    """The W3C `traceparent` a request sent inside `span` carries."""
    context = span.context  # a property typed on every supported opentelemetry-sdk
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def assert_secret_absent(exporter: InMemorySpanExporter, api_key: str) -> None:
    """The API key is in no span, attribute or event the SDK exported."""
    for span in exporter.get_finished_spans():
        assert api_key not in span.to_json()


def assert_ended_once(caplog: pytest.LogCaptureFixture) -> None:
    """OpenTelemetry warns when a span is ended twice; it never did."""
    assert "ended span" not in caplog.text


def test_each_call_is_one_client_span_under_the_callers_span(
    traced: PhosonClient,
    server: LocalPhosonServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    """Every call is one CLIENT span named "{resource}.{method}", child of the caller's span,
    with the call's attributes, and its request carries that span's traceparent."""
    app = provider.get_tracer("app")
    with app.start_as_current_span("handle request") as parent:
        agent = traced.agents.create(name="Support", description="answers questions")
        conversation = traced.conversations.create(agent.id, title="Orders")
        reply = traced.messages.send(
            conversation.id,
            "hello",
            model="gpt-4o",
            provider="openai",
            temperature=0.5,
            max_tokens=64,
        )
        traced.conversations.list(agent_id=agent.id)
    spans = sdk_spans(exporter)
    assert [s.name for s in spans] == [
        "agents.create",
        "conversations.create",
        "messages.send",
        "conversations.list",
    ]
    for span in spans:
        assert span.kind is SpanKind.CLIENT
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
        assert span.status.status_code is StatusCode.UNSET
    # Each request went out with its own call's span as the parent.
    requests = server.stats.requests
    assert [r.headers.get("traceparent") for r in requests] == [traceparent(s) for s in spans]
    server_at = {"server.address": "127.0.0.1", "server.port": server.port}
    assert dict(spans[0].attributes or {}) == {
        **server_at,
        "http.request.method": "POST",
        "http.response.status_code": 201,
        "phoson.request_id": request_id_of(agent),
        "phoson.agent_id": agent.id,
        "gen_ai.operation.name": "create_agent",
        "gen_ai.agent.name": "Support",
    }
    assert dict(spans[1].attributes or {}) == {
        **server_at,
        "http.request.method": "POST",
        "http.response.status_code": 201,
        "phoson.request_id": request_id_of(conversation),
        "phoson.agent_id": agent.id,
        "phoson.conversation_id": conversation.id,
    }
    # The message run: the GenAI request attributes, never the message text.
    assert reply.run_id
    assert dict(spans[2].attributes or {}) == {
        **server_at,
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "phoson.request_id": request_id_of(reply),
        "phoson.conversation_id": conversation.id,
        "phoson.run_id": reply.run_id,
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.conversation.id": conversation.id,
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.response.id": reply.run_id,
    }
    assert (spans[3].attributes or {})["phoson.agent_id"] == agent.id
    assert_secret_absent(exporter, server.api_key)


def test_a_retried_call_is_one_span_with_an_event_per_retry(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
    sleeps: list[float],
) -> None:
    """Two 503s then a 200: one span, two retry events (delay and cause), resend count 2, and
    all three requests carry the same traceparent."""
    server.fail_next(503, times=2)
    assert traced.agents.list() == []
    span = only_span(exporter, "agents.list")
    attributes = span.attributes or {}
    assert attributes["http.request.resend_count"] == 2
    assert attributes["http.response.status_code"] == 200
    assert span.status.status_code is StatusCode.UNSET
    retries = [dict(e.attributes or {}) for e in span.events if e.name == "phoson.retry"]
    assert len(retries) == len(sleeps) == 2
    for number, (retry, delay) in enumerate(zip(retries, sleeps, strict=True), start=1):
        assert "Service Unavailable" in str(retry.pop("phoson.retry.cause"))
        assert retry == {
            "phoson.retry.number": number,
            "phoson.retry.delay_seconds": delay,
            "error.type": "phoson.InternalServerError",
            "http.response.status_code": 503,
        }
    assert [r.headers["traceparent"] for r in server.stats.requests] == [traceparent(span)] * 3
    assert_secret_absent(exporter, server.api_key)


def test_a_failed_call_has_error_status_and_records_the_error(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 404 (plain call or stream) ends the span with ERROR, error.type and the exception."""
    with pytest.raises(NotFoundError) as caught:
        traced.agents.get("agt_missing")
    with pytest.raises(NotFoundError):
        with traced.messages.stream("conv_missing", "hi"):
            pass
    for name, id_attribute, missing in [
        ("agents.get", "phoson.agent_id", "agt_missing"),
        ("messages.stream", "phoson.conversation_id", "conv_missing"),
    ]:
        span = only_span(exporter, name)
        attributes = span.attributes or {}
        assert span.status.status_code is StatusCode.ERROR
        assert attributes["error.type"] == "phoson.NotFoundError"
        assert attributes["http.response.status_code"] == 404
        assert attributes[id_attribute] == missing
        (exception,) = [e for e in span.events if e.name == "exception"]
        assert str((exception.attributes or {})["exception.type"]).endswith("NotFoundError")
    assert (only_span(exporter, "agents.get").attributes or {})["phoson.request_id"] == (
        caught.value.request_id
    )
    assert_ended_once(caplog)
    assert_secret_absent(exporter, server.api_key)


def test_a_resumed_stream_is_one_span_that_ends_at_the_final_event(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream cut after 2 events and resumed is one span, with a reconnect event; it has
    ended by the time the final event is read, with the event count and the run id."""
    conversation = new_conversation(traced)
    exporter.clear()
    before = len(server.stats.requests)
    server.cut_stream_after(2)
    run_id, span = None, None
    with traced.messages.stream(conversation, "tell me more", model="gpt-4o") as stream:
        for event in stream:
            if event.type == "run_done":
                run_id = event.run_id
                # Ended at the final event, before the stream is closed.
                span = only_span(exporter, "messages.stream")
    assert run_id is not None and span is not None
    assert only_span(exporter, "messages.stream") is span
    attributes = span.attributes or {}
    assert attributes["phoson.stream.events"] == stream.events_received
    assert attributes["phoson.stream.reconnects"] == 1
    assert attributes["phoson.run_id"] == run_id
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["phoson.conversation_id"] == conversation
    assert span.status.status_code is StatusCode.UNSET
    (reconnect,) = [dict(e.attributes or {}) for e in span.events if e.name == "phoson.reconnect"]
    assert reconnect.pop("phoson.reconnect.cause")  # what broke, in words
    assert reconnect == {
        "phoson.reconnect.number": 1,
        "phoson.reconnect.delay_seconds": sleeps[-1],
        "phoson.stream.last_event_id": server.stats.requests[before + 1].headers["last-event-id"],
    }
    # Both requests of the stream carry its span as parent.
    requests = server.stats.requests[before:]
    assert [r.headers["traceparent"] for r in requests] == [traceparent(span)] * 2
    assert_ended_once(caplog)
    assert_secret_absent(exporter, server.api_key)


def test_a_stream_that_cannot_resume_or_whose_run_fails_is_an_error_span(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream cut for good (IncompleteStreamError) and a run ending in an `error` event
    (RunFailedError) each end their span once, with ERROR and the error's type."""
    conversation = new_conversation(traced)
    exporter.clear()
    server.cut_stream_after(0, times=3)
    with pytest.raises(IncompleteStreamError):
        with traced.messages.stream(conversation, "hi") as stream:
            for _ in stream:
                pass
    server.script_next_run(
        conversation, events=[("token", {"content": "par"})], error="model overloaded"
    )
    with pytest.raises(RunFailedError) as caught:
        traced.messages.stream(conversation, "hi").until_done()
    cut, failed = [s for s in sdk_spans(exporter) if s.name == "messages.stream"]
    assert (cut.attributes or {})["error.type"] == "phoson.IncompleteStreamError"
    assert (cut.attributes or {})["phoson.stream.reconnects"] == 2
    assert (failed.attributes or {})["error.type"] == "phoson.RunFailedError"
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == f"RunFailedError: {caught.value}"
    assert "model overloaded" in str(caught.value)
    assert cut.status.status_code is StatusCode.ERROR
    assert_ended_once(caplog)


# Trio warns as it finalizes the abandoned stream's closer (it asks for a `with` block); the
# span is what this test is about.
@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_a_stream_closed_early_or_abandoned_ends_its_span_exactly_once(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Breaking out of a stream's loop and closing it before its run finished, or dropping an opened stream without closing
    it, each end the stream's span once, without an error."""
    conversation = new_conversation(traced)
    exporter.clear()
    with traced.messages.stream(conversation, "one two three") as stream:
        for _ in stream:
            break  # leaving the loop keeps the stream open: its span too
        assert sdk_spans(exporter) == []
    left = only_span(exporter, "messages.stream")
    assert (left.attributes or {})["phoson.stream.events"] == stream.events_received
    exporter.clear()

    abandoned = traced.messages.stream(conversation, "four five six")
    abandoned.__enter__()
    del abandoned
    gc.collect()
    checkpoint()
    dropped = only_span(exporter, "messages.stream")
    assert (dropped.attributes or {})["phoson.stream.abandoned"] is True
    for span in (left, dropped):
        assert span.status.status_code is StatusCode.UNSET
        assert span.end_time is not None
    assert_ended_once(caplog)


def test_hand_made_and_raw_calls_are_traced_too(
    traced: PhosonClient,
    server: LocalPhosonServer,
    exporter: InMemorySpanExporter,
) -> None:
    """client.get() is a "client.request" span and with_raw_response calls keep their own
    name; both carry the id in their path and inject traceparent."""
    agent = traced.agents.create(name="a", description="b")
    exporter.clear()
    before = len(server.stats.requests)
    fetched = traced.get(f"/agents/{agent.id}", cast_to=Agent)
    raw = traced.agents.with_raw_response.get(agent.id)
    assert fetched == raw.parse() == agent
    custom, via_raw = sdk_spans(exporter)
    assert (custom.name, via_raw.name) == ("client.request", "agents.get")
    for span in (custom, via_raw):
        assert (span.attributes or {})["phoson.agent_id"] == agent.id
        assert (span.attributes or {})["http.response.status_code"] == 200
    requests = server.stats.requests[before:]
    assert [r.headers["traceparent"] for r in requests] == [
        traceparent(custom),
        traceparent(via_raw),
    ]


def test_message_text_is_recorded_only_when_asked(
    server: LocalPhosonServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With PHOSON_OTEL_CAPTURE_CONTENT=true the message and reply texts are on the span, in
    the GenAI messages shape; the first test shows they are absent otherwise."""
    monkeypatch.setenv("PHOSON_OTEL_CAPTURE_CONTENT", "true")
    with PhosonClient(
        api_key=server.api_key, base_url=server.url, tracer_provider=provider
    ) as client:
        conversation = new_conversation(client)
        reply = client.messages.send(conversation, "what is the weather?")
        done = client.messages.stream(conversation, "and tomorrow?").until_done()
    for name, asked, answer in [
        ("messages.send", "what is the weather?", reply.content),
        ("messages.stream", "and tomorrow?", done.content),
    ]:
        attributes = only_span(exporter, name).attributes or {}
        assert json.loads(str(attributes["gen_ai.input.messages"])) == [
            {"role": "user", "parts": [{"type": "text", "content": asked}]}
        ]
        assert json.loads(str(attributes["gen_ai.output.messages"])) == [
            {"role": "assistant", "parts": [{"type": "text", "content": answer}]}
        ]


def test_tracing_is_switched_by_options_and_environment(
    server: LocalPhosonServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PHOSON_OTEL=false keeps a client untraced even with a provider; with_options turns
    tracing on and off per copy; no span means no traceparent header either."""
    monkeypatch.setenv("PHOSON_OTEL", "false")
    with PhosonClient(
        api_key=server.api_key, base_url=server.url, tracer_provider=provider
    ) as client:
        client.agents.list()
        client.with_options(open_telemetry=True).agents.list()
        traced = client.with_options(open_telemetry=True, max_retries=0)
        traced.with_options(open_telemetry=False).agents.list()
    assert [s.name for s in sdk_spans(exporter)] == ["agents.list"]
    assert ["traceparent" in r.headers for r in server.stats.requests] == [False, True, False]


def test_concurrent_calls_each_get_their_own_span(
    traced: PhosonClient,
    server: LocalPhosonServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    """Calls made at the same time (tasks, or threads for the blocking client) are each a
    child of the span that was current where they were made."""
    app = provider.get_tracer("app")
    agent = traced.agents.create(name="a", description="b")

    def job(number: int) -> Job[str]:
        def run() -> str:
            with app.start_as_current_span(f"job {number}") as parent:
                traced.agents.get(agent.id)
                return f"{parent.get_span_context().span_id:016x}"

        return run

    parents = gather([job(n) for n in range(6)])
    gets = [s for s in sdk_spans(exporter) if s.name == "agents.get"]
    assert sorted(f"{s.parent.span_id:016x}" for s in gets if s.parent) == sorted(parents)
