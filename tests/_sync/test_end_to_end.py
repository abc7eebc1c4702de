# DO NOT EDIT: generated from tests/_async/test_end_to_end.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""The documented lifecycle over real sockets, against phoson.testing.LocalPhosonServer."""

from __future__ import annotations

import time

import pytest

from phoson import (
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    PhosonClient,
    RunFailedError,
    StreamEvent,
    UnprocessableEntityError,
    request_id_of,
)
from phoson.testing import LocalPhosonServer
from tests._sync.live import new_conversation
from tests.budget import scale
from tests.concurrency import Job, checkpoint, gather, poll_until
from tests.payloads import API_KEY, sse
from tests.scripted_server import Pause, Script, ScriptedServer


def test_full_lifecycle(live_client: PhosonClient) -> None:
    """Agents and conversations are created, listed, fetched, updated and deleted; MCPs are
    attached and detached; messages are sent, streamed and listed."""
    client = live_client
    agent = client.agents.create(name="My Agent", description="What this agent does")
    assert agent.memory_type == "persistent" and agent.mcp_ids == []
    request_id = request_id_of(agent)
    assert request_id is not None and request_id.startswith("req_")
    other = client.agents.create(name="Other", description="second", memory_type="semantic")
    assert {a.id for a in client.agents.list()} == {agent.id, other.id}
    assert (client.agents.get(agent.id)).name == "My Agent"
    renamed = client.agents.update(agent.id, name="New name", description="New desc")
    assert (renamed.name, renamed.description, renamed.memory_type) == (
        "New name",
        "New desc",
        "persistent",
    )
    assert renamed.updated_at >= agent.updated_at
    assert (client.agents.attach_mcp(agent.id, "mcp_weather")).mcp_ids == ["mcp_weather"]

    conv = client.conversations.create(agent_id=agent.id, title="Hello", thread_id="t-1")
    assert (conv.agent_id, conv.title, conv.thread_id) == (agent.id, "Hello", "t-1")
    default = client.conversations.create(other.id)
    assert default.title == "New Conversation" and default.thread_id is None
    assert {c.id for c in client.conversations.list()} == {conv.id, default.id}
    assert [c.id for c in client.conversations.list(agent_id=agent.id)] == [conv.id]
    assert (client.conversations.update(conv.id, title="Renamed")).title == "Renamed"
    assert (client.conversations.get(conv.id)).title == "Renamed"

    reply = client.messages.send(conv.id, "Hello, how are you?")
    assert reply.role == "assistant" and reply.run_id
    events = [e for e in client.messages.stream(conv.id, "Tell me more", reasoning_effort="low")]
    types = [e.type for e in events]
    assert types[0] == "reasoning" and types[1:3] == ["tool_start", "tool_end"]
    assert set(types[3:-1]) == {"token"} and types[-1] == "run_done"
    done = events[-1]
    assert done.type == "run_done"
    assert "".join(e.content for e in events if e.type == "token") == done.content
    history = client.messages.list(conv.id)
    assert [(m.role, m.run_id is None) for m in history] == [
        ("user", True),
        ("assistant", False),
        ("user", True),
        ("assistant", False),
    ]
    assert history[1].content == reply.content and history[3].content == done.content
    assert history[3].run_id == done.run_id

    assert (client.agents.detach_mcp(agent.id, "mcp_weather")).mcp_ids == []
    client.conversations.delete(default.id)
    client.agents.delete(agent.id)
    with pytest.raises(NotFoundError) as caught:
        client.conversations.get(conv.id)
    assert caught.value.detail == "Conversation not found"
    assert [a.id for a in client.agents.list()] == [other.id]


def test_server_errors_arrive_typed_with_detail(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """404, 422 and 401 from the server raise their classes with the server's detail."""
    with pytest.raises(NotFoundError) as not_found:
        live_client.agents.get("agt_missing")
    assert not_found.value.detail == "Agent not found"
    assert not_found.value.request_id
    with pytest.raises(UnprocessableEntityError) as invalid:
        live_client.agents.create(name="x", description="y", memory_type="episodic")
    detail = invalid.value.detail
    assert isinstance(detail, list) and isinstance(detail[0], dict)  # narrowed from JSONValue
    assert detail[0]["loc"] == ["body", "memory_type"]
    body = invalid.value.body
    assert isinstance(body, dict) and body["detail"] == detail  # the whole body, parsed
    with PhosonClient(api_key="pk_wrong", base_url=server.url) as wrong:
        with pytest.raises(AuthenticationError) as denied:
            wrong.agents.list()
    assert denied.value.status_code == 401 and denied.value.detail


def test_scripted_error_run(live_client: PhosonClient, server: LocalPhosonServer) -> None:
    """A run that ends with an `error` event is yielded as ErrorEvent and raised by until_done."""
    conv = new_conversation(live_client)
    server.script_next_run(conv, error="model overloaded")
    events = [e for e in live_client.messages.stream(conv, "hi")]
    assert events[-1].type == "error" and events[-1].message == "model overloaded"
    server.script_next_run(conv, error="model overloaded")
    with pytest.raises(RunFailedError, match="model overloaded"):
        live_client.messages.stream(conv, "hi").until_done()


def test_a_failed_run_raises_run_failed_error_from_send_after_one_request(
    live_client: PhosonClient, server: LocalPhosonServer, sleeps: list[float]
) -> None:
    """`messages.send()` on a run that fails raises RunFailedError, as the stream does: after
    one request, never retried (no retry wait, one run), with the server's message."""
    conv = new_conversation(live_client)
    requests_before = len(server.stats.requests)
    server.script_next_run(conv, error="model overloaded")
    with pytest.raises(RunFailedError) as failed:
        live_client.messages.send(conv, "hi", max_retries=5)
    assert failed.value.message == "model overloaded"
    assert failed.value.request_id
    assert len(server.stats.requests) - requests_before == 1
    assert sleeps == [] and server.stats.runs_created == 1
    assert isinstance(failed.value.__cause__, InternalServerError)  # the 502 it came as


def test_events_reach_user_code_as_they_are_sent() -> None:
    """With a pause between server events, each event reaches the loop's body before the server
    writes the next one: nothing in the SDK buffers the stream. (Write times against arrival
    times, not the gaps between arrivals: a loaded machine delays a whole event, never reorders
    it before a later write.)"""
    pause = 0.25
    events = [("token", {"content": f"w{i} "}) for i in range(4)]
    events.append(("run_done", {"content": "w0 w1 w2 w3 ", "run_id": "run_x"}))
    parts: list[bytes | Pause] = []
    for one in events:
        parts += [sse([one]), Pause(pause)]
    with ScriptedServer() as server:
        server.add(Script(parts=parts[:-1]))
        with PhosonClient(api_key=API_KEY, base_url=server.url) as client:
            arrivals: list[int] = []
            received: list[StreamEvent] = []
            for event in client.messages.stream("conv_1", "hi"):
                arrivals.append(time.perf_counter_ns())
                received.append(event)
        (connection,) = server.connections
    assert [event.type for event in received] == [name for name, _ in events]
    assert connection.method == "POST" and connection.path == "/conversations/conv_1/messages"
    written = connection.written_ns
    assert len(written) == len(events)
    late = [k for k in range(len(events) - 1) if arrivals[k] >= written[k + 1]]
    assert late == [], (written, arrivals)


@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_breaking_out_releases_the_connection(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """Leaving a stream early closes the connection: the server sees the disconnect."""
    conv = new_conversation(live_client)
    server.script_next_run(
        conv,
        events=[("token", {"content": "x"})] * 50 + [("run_done", {"content": "", "run_id": "r"})],
        delay=0.05,
    )
    with live_client.messages.stream(conv, "hi") as stream:
        for _ in stream:
            break
    assert poll_until(lambda: server.stats.disconnects >= 1)
    assert server.stats.disconnects == 1
    assert server.stats.active_streams == 0


@pytest.mark.filterwarnings("ignore:Async generator:ResourceWarning")
def test_a_thousand_abandoned_streams_leak_no_connections(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """1,000 streams (200 in the everyday run: tests/budget.py) opened and abandoned after one
    event leave no open connections behind."""
    agent = live_client.agents.create(name="a", description="b")
    conv = live_client.conversations.create(agent.id)
    for _ in range(scale(200, 1000)):
        for _ in live_client.messages.stream(conv.id, "one two three four five six"):
            break
    checkpoint()
    assert poll_until(lambda: server.stats.active_streams == 0)
    assert server.stats.open_connections <= 2
    # The client still works, on a sane number of connections.
    assert (live_client.agents.get(agent.id)).id == agent.id


def test_many_concurrent_streams_share_one_client(
    live_client: PhosonClient, server: LocalPhosonServer
) -> None:
    """One client runs 200 streams at once (tasks, or 16 threads) with every reply intact."""
    agent = live_client.agents.create(name="a", description="b")
    convs = [live_client.conversations.create(agent.id) for _ in range(20)]

    def job(index: int) -> Job[tuple[str, str]]:
        def run() -> tuple[str, str]:
            conv = convs[index % len(convs)]
            events: list[StreamEvent] = []
            for event in live_client.messages.stream(conv.id, f"message number {index}"):
                events.append(event)
            done = events[-1]
            assert done.type == "run_done"
            text = "".join(e.content for e in events if e.type == "token")
            return text, done.content

        return run

    results = gather([job(i) for i in range(200)])
    assert len(results) == 200
    for index, (streamed, final) in enumerate(results):
        assert streamed == final
        assert f"message number {index}" in final
