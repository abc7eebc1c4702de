"""The product docs' examples, line for line, with their types pinned by `assert_type`.

mypy --strict checks this file, so a signature or return type that drifts from the docs fails
the type check; running it against the mocked API checks the behaviour.
"""

from __future__ import annotations

from typing import assert_type

import httpx
import respx

from phoson import (
    Agent,
    AsyncMessageStream,
    AsyncPhosonClient,
    Conversation,
    ErrorEvent,
    Message,
    PhosonAPIError,
    ReasoningEvent,
    RunDoneEvent,
    StreamEvent,
    TokenEvent,
    ToolEndEvent,
    ToolStartEvent,
)
from tests.payloads import (
    AGENT,
    ALL_EVENTS,
    CONVERSATION,
    MESSAGE,
    event_stream_response,
    json_response,
    sse,
)


def mock_every_endpoint(api: respx.MockRouter) -> None:
    api.post("/agents").mock(return_value=json_response(201, AGENT))
    api.get("/agents").mock(return_value=json_response(200, [AGENT]))
    api.get("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    api.get("/agents/non-existent-id").mock(
        return_value=json_response(404, {"detail": "Agent not found"})
    )
    api.patch("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    api.delete("/agents/agt_1").mock(return_value=json_response(204, None))
    api.post("/agents/agt_1/mcps/mcp_1").mock(return_value=json_response(200, AGENT))
    api.delete("/agents/agt_1/mcps/mcp_1").mock(return_value=json_response(200, AGENT))
    api.post("/conversations").mock(return_value=json_response(201, CONVERSATION))
    api.get("/conversations").mock(return_value=json_response(200, [CONVERSATION]))
    api.get("/conversations/conv_1").mock(return_value=json_response(200, CONVERSATION))
    api.patch("/conversations/conv_1").mock(return_value=json_response(200, CONVERSATION))
    api.delete("/conversations/conv_1").mock(return_value=json_response(204, None))

    def send_or_stream(request: httpx.Request) -> httpx.Response:
        if b'"stream":true' in request.content:
            return event_stream_response(sse(ALL_EVENTS))
        return json_response(200, MESSAGE)

    api.post("/conversations/conv_1/messages").mock(side_effect=send_or_stream)
    api.get("/conversations/conv_1/messages").mock(return_value=json_response(200, [MESSAGE]))


async def test_every_documented_call_with_precise_types(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """Each call in the docs runs as written and returns the documented type."""
    mock_every_endpoint(api)
    agent_id, mcp_id, conversation_id = "agt_1", "mcp_1", "conv_1"

    agent = await client.agents.create(
        name="My Agent",
        description="What this agent does",
        memory_type="persistent",  # "persistent" | "semantic", default "persistent"
    )
    assert_type(agent, Agent)
    agents = await client.agents.list()
    assert_type(agents, list[Agent])
    agent = await client.agents.get(agent_id)
    assert_type(agent, Agent)
    agent = await client.agents.update(agent_id, name="New name", description="New desc")
    assert_type(agent, Agent)
    await client.agents.delete(agent_id)
    assert_type(await client.agents.attach_mcp(agent_id, mcp_id), Agent)
    assert_type(await client.agents.detach_mcp(agent_id, mcp_id), Agent)

    conv = await client.conversations.create(
        agent_id=agent.id,
        title="My conversation",  # optional, default "New Conversation"
        thread_id="custom-id",  # optional
    )
    assert_type(conv, Conversation)
    convs = await client.conversations.list()
    convs = await client.conversations.list(agent_id=agent.id)  # filter by agent
    assert_type(convs, list[Conversation])
    assert_type(await client.conversations.get(conversation_id), Conversation)
    conv = await client.conversations.update(conversation_id, title="New title")
    assert_type(conv, Conversation)
    await client.conversations.delete(conversation_id)

    stream = client.messages.stream(conversation_id, "Your message here")
    assert_type(stream, AsyncMessageStream)
    lines: list[str] = []
    async for event in client.messages.stream(
        conversation_id,
        "Your message here",
        model="claude-sonnet-4-6",  # optional
        provider="anthropic",  # "anthropic" | "openai" | "openrouter"
        temperature=0.7,  # optional
        max_tokens=4096,  # optional
        reasoning_effort="medium",  # "low" | "medium" | "high", optional
    ):
        assert_type(event, StreamEvent)
        match event.type:
            case "token":
                assert_type(event, TokenEvent)
                lines.append(event.content)
            case "reasoning":
                assert_type(event, ReasoningEvent)
                lines.append(f"[thinking] {event.content}")
            case "tool_start":
                assert_type(event, ToolStartEvent)
                lines.append(f"→ Running tool: {event.tool}")
            case "tool_end":
                assert_type(event, ToolEndEvent)
                lines.append(f"← Tool result: {event.result}")
            case "run_done":
                assert_type(event, RunDoneEvent)
                lines.append(f"\nDone. Run ID: {event.run_id}")
            case "error":
                assert_type(event, ErrorEvent)
                lines.append(f"Error: {event.message}")
    assert lines == [
        "[thinking] Thinking about it",
        "→ Running tool: search",
        "← Tool result: sunny",
        "Hello ",
        "world",
        "\nDone. Run ID: run_1",
    ]

    message = await client.messages.send(
        conversation_id,
        "Your message here",
        model="claude-sonnet-4-6",
        provider="anthropic",
    )
    assert_type(message, Message)
    assert message.content == "Hello there"

    messages = await client.messages.list(conversation_id)
    assert_type(messages, list[Message])
    assert [f"[{msg.role}] {msg.content}" for msg in messages] == ["[assistant] Hello there"]

    try:
        agent = await client.agents.get("non-existent-id")
    except PhosonAPIError as e:
        assert_type(e.status_code, int)
        assert e.status_code == 404
        assert e.detail == "Agent not found"
    else:
        raise AssertionError("no error")
