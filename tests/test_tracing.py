"""The I/O-free half of tracing (phoson._tracing): switches, attributes, and what is imported.

The spans themselves are tested for both clients in tests/_async/test_tracing.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phoson import PhosonClient, PhosonError
from phoson import _wire as wire
from phoson._tracing import call_attributes, env_flag, server_attributes


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (its own sys.modules and global tracer provider)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PATH": "", "PHOSON_API_KEY": "pk_test_0123456789abcdef", **env},
        timeout=60,
    )


MOCK_API = """
    import httpx
    from phoson import PhosonClient

    AGENT = (b'{"id":"agt_1","name":"a","description":"b","memory_type":"persistent",'
             b'"created_at":"2026-11-27T10:00:00Z","updated_at":"2026-11-27T10:00:00Z"}')
    STREAM = (b'event: token\\ndata: {"content":"hi"}\\nid: 1\\n\\n'
              b'event: run_done\\ndata: {"content":"hi","run_id":"run_1"}\\nid: 2\\n\\n')
    sent = []

    def answer(request):
        sent.append(request)
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, content=STREAM,
                                  headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=AGENT, headers={"content-type": "application/json"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
"""


def test_nothing_of_opentelemetry_is_imported_when_tracing_is_off() -> None:
    """A client without open_telemetry makes calls and streams without importing any
    opentelemetry module (even though it is installed here)."""
    result = run_python(
        MOCK_API
        + """
    import sys
    client = PhosonClient(base_url="http://phoson.test", http_client=http)
    client.agents.get("agt_1")
    assert client.messages.stream("conv_1", "hi").until_done().run_id == "run_1"
    assert "traceparent" not in sent[0].headers
    loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
    print(loaded)
    """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_phoson_otel_traces_over_the_global_provider() -> None:
    """PHOSON_OTEL=true turns tracing on for a client that says nothing, over the global
    tracer provider, and its requests carry the span's traceparent."""
    result = run_python(
        """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    """
        + MOCK_API
        + """
    client = PhosonClient(base_url="http://phoson.test", http_client=http)
    client.agents.get("agt_1")
    (span,) = exporter.get_finished_spans()
    context = span.get_span_context()
    assert span.name == "agents.get", span.name
    assert sent[0].headers["traceparent"].split("-")[1:3] == [
        f"{context.trace_id:032x}", f"{context.span_id:016x}"
    ]
    print("ok")
    """,
        PHOSON_OTEL="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_tracing_without_the_otel_extra_is_a_clear_error() -> None:
    """Without opentelemetry-api installed, open_telemetry=True raises a PhosonError that
    names the extra to install; a client without it works as before."""
    result = run_python(
        """
    import sys
    sys.modules["opentelemetry"] = None  # as if not installed
    from phoson import PhosonClient, PhosonError
    PhosonClient(base_url="http://phoson.test").close()
    try:
        PhosonClient(base_url="http://phoson.test", open_telemetry=True)
    except PhosonError as error:
        print(error)
    """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'phoson-sdk[otel]'" in result.stdout


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[("true", True), ("TRUE", True), ("1", True), (" yes ", True), ("on", True)],
        *[("false", False), ("0", False), ("no", False), ("off", False), ("", False)],
    ],
)
def test_env_flag_reads_yes_and_no(monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    """PHOSON_OTEL (and PHOSON_OTEL_CAPTURE_CONTENT) accept the usual spellings of yes/no."""
    monkeypatch.setenv("PHOSON_OTEL", raw)
    assert env_flag("PHOSON_OTEL") is value


def test_env_flag_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value that is neither yes nor no is a PhosonError naming the variable, at once."""
    monkeypatch.delenv("PHOSON_OTEL", raising=False)
    assert env_flag("PHOSON_OTEL") is None
    monkeypatch.setenv("PHOSON_OTEL", "maybe")
    with pytest.raises(PhosonError, match=r"PHOSON_OTEL must be true or false.*'maybe'"):
        PhosonClient(api_key="k")


def test_bad_tracing_options_are_clear_errors() -> None:
    """A tracer_provider that is not one, or an open_telemetry that is not a bool, is a
    PhosonError saying what was expected."""
    with pytest.raises(PhosonError, match="tracer_provider must be an OpenTelemetry"):
        PhosonClient(api_key="k", tracer_provider="console")
    client = PhosonClient(api_key="k")
    with pytest.raises(TypeError, match="open_telemetry must be True or False"):
        client.with_options(open_telemetry="yes")  # type: ignore[arg-type]
    client.close()


ids = st.text(min_size=1).filter(str.strip)


@given(agent_id=ids, conversation_id=ids)
def test_span_ids_are_the_ids_the_caller_gave(agent_id: str, conversation_id: str) -> None:
    """Whatever an id holds (slashes, dots, percent signs, non-ASCII), the span shows it as
    the caller wrote it, not percent-encoded."""
    for call, attribute, value in [
        (wire.agents_get(agent_id), "phoson.agent_id", agent_id),
        (wire.agents_attach_mcp(agent_id, "m"), "phoson.agent_id", agent_id),
        (wire.conversations_create(agent_id, "t", None), "phoson.agent_id", agent_id),
        (wire.conversations_list(agent_id), "phoson.agent_id", agent_id),
        (wire.messages_list(conversation_id), "phoson.conversation_id", conversation_id),
        (wire.conversations_delete(conversation_id), "phoson.conversation_id", conversation_id),
    ]:
        assert call_attributes(call, capture_content=False)[attribute] == value


def test_message_text_stays_off_spans_unless_asked() -> None:
    """The GenAI attributes of a run carry the request settings; the text only on request."""
    call = wire.messages_send(
        "c",
        "secret plans",
        stream=True,
        model="m",
        provider="anthropic",
        temperature=0.0,
        max_tokens=5,
        reasoning_effort="low",
    )
    plain = call_attributes(call, capture_content=False)
    assert "secret plans" not in repr(plain)
    assert plain["gen_ai.request.temperature"] == 0.0
    assert plain["gen_ai.provider.name"] == "anthropic"
    captured = call_attributes(call, capture_content=True)
    assert "secret plans" in str(captured["gen_ai.input.messages"])


@pytest.mark.parametrize(
    ("base_url", "address", "port"),
    [
        ("https://api.phoson.ai", "api.phoson.ai", 443),
        ("http://localhost:8000/v1", "localhost", 8000),
        ("http://[::1]", "::1", 80),
    ],
)
def test_server_address_and_port_come_from_the_base_url(
    base_url: str, address: str, port: int
) -> None:
    """server.port is the scheme's default when the base URL names none."""
    assert server_attributes(base_url) == {"server.address": address, "server.port": port}
