"""Every documented call: the request that goes out, and the model that comes back."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from phoson import (
    Agent,
    AsyncPhosonClient,
    Conversation,
    InvalidArgumentError,
    Message,
    PhosonError,
    request_id_of,
)
from tests.payloads import AGENT, CONVERSATION, MESSAGE, assert_sent, json_response

WHEN = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def test_agents_create_sends_all_fields_and_returns_agent(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """agents.create POSTs name, description and memory_type and parses the 201 Agent."""
    route = api.post("/agents").mock(return_value=json_response(201, AGENT))
    agent = await client.agents.create(
        name="My Agent", description="What this agent does", memory_type="semantic"
    )
    body = {"name": "My Agent", "description": "What this agent does", "memory_type": "semantic"}
    assert_sent(route.calls.last.request, "POST", "/agents", body)
    assert isinstance(agent, Agent)
    assert agent.id == "agt_1" and agent.name == "My Agent" and agent.mcp_ids == []
    assert agent.created_at == WHEN and request_id_of(agent) == "req_123"


async def test_agents_create_defaults_memory_type_to_persistent(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """memory_type defaults to "persistent" and is always sent."""
    route = api.post("/agents").mock(return_value=json_response(201, AGENT))
    await client.agents.create(name="My Agent", description="What this agent does")
    body = {"name": "My Agent", "description": "What this agent does", "memory_type": "persistent"}
    assert_sent(route.calls.last.request, "POST", "/agents", body)


async def test_agents_list_returns_every_agent(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """agents.list GETs /agents and returns a list of Agent, each with the request id."""
    second = {**AGENT, "id": "agt_2", "name": "Second"}
    route = api.get("/agents").mock(return_value=json_response(200, [AGENT, second]))
    agents = await client.agents.list()
    assert_sent(route.calls.last.request, "GET", "/agents")
    assert [a.id for a in agents] == ["agt_1", "agt_2"]
    assert all(isinstance(a, Agent) and request_id_of(a) == "req_123" for a in agents)


async def test_agents_get_fetches_one_agent(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """agents.get GETs /agents/{id}."""
    route = api.get("/agents/agt_1").mock(return_value=json_response(200, AGENT))
    agent = await client.agents.get("agt_1")
    assert_sent(route.calls.last.request, "GET", "/agents/agt_1")
    assert agent.description == "What this agent does"


async def test_agents_update_sends_only_given_fields(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """agents.update PATCHes only the fields the caller passed."""
    updated = {**AGENT, "name": "New name", "description": "New desc"}
    route = api.patch("/agents/agt_1").mock(return_value=json_response(200, updated))
    agent = await client.agents.update("agt_1", name="New name", description="New desc")
    assert_sent(
        route.calls.last.request,
        "PATCH",
        "/agents/agt_1",
        {"name": "New name", "description": "New desc"},
    )
    assert agent.name == "New name"
    await client.agents.update("agt_1", memory_type="semantic")
    assert_sent(route.calls.last.request, "PATCH", "/agents/agt_1", {"memory_type": "semantic"})


async def test_agents_delete_returns_none_on_204(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """agents.delete DELETEs /agents/{id} and returns None."""
    route = api.delete("/agents/agt_1").mock(return_value=httpx.Response(204))
    await client.agents.delete("agt_1")
    assert_sent(route.calls.last.request, "DELETE", "/agents/agt_1")


async def test_attach_and_detach_mcp(client: AsyncPhosonClient, api: respx.MockRouter) -> None:
    """attach_mcp POSTs and detach_mcp DELETEs /agents/{id}/mcps/{mcp_id}; both return the Agent."""
    attached = {**AGENT, "mcp_ids": ["mcp_weather"]}
    post = api.post("/agents/agt_1/mcps/mcp_weather").mock(
        return_value=json_response(200, attached)
    )
    delete = api.delete("/agents/agt_1/mcps/mcp_weather").mock(
        return_value=json_response(200, AGENT)
    )
    agent = await client.agents.attach_mcp("agt_1", "mcp_weather")
    assert_sent(post.calls.last.request, "POST", "/agents/agt_1/mcps/mcp_weather")
    assert agent.mcp_ids == ["mcp_weather"]
    agent = await client.agents.detach_mcp("agt_1", "mcp_weather")
    assert_sent(delete.calls.last.request, "DELETE", "/agents/agt_1/mcps/mcp_weather")
    assert agent.mcp_ids == []


async def test_conversations_create_with_and_without_optional_fields(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """conversations.create sends title (default "New Conversation") and thread_id only if given."""
    route = api.post("/conversations").mock(return_value=json_response(201, CONVERSATION))
    conv = await client.conversations.create(
        agent_id="agt_1", title="My conversation", thread_id="custom-id"
    )
    assert_sent(
        route.calls.last.request,
        "POST",
        "/conversations",
        {"agent_id": "agt_1", "title": "My conversation", "thread_id": "custom-id"},
    )
    assert isinstance(conv, Conversation) and conv.thread_id == "custom-id"
    await client.conversations.create("agt_1")
    assert_sent(
        route.calls.last.request,
        "POST",
        "/conversations",
        {"agent_id": "agt_1", "title": "New Conversation"},
    )


async def test_conversations_list_filters_by_agent(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """conversations.list sends ?agent_id= only when an agent is given."""
    route = api.get("/conversations").mock(return_value=json_response(200, [CONVERSATION]))
    convs = await client.conversations.list()
    assert_sent(route.calls.last.request, "GET", "/conversations")
    assert [c.id for c in convs] == ["conv_1"]
    await client.conversations.list(agent_id="agt_1")
    assert_sent(route.calls.last.request, "GET", "/conversations", query={"agent_id": "agt_1"})


async def test_conversations_get_update_delete(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """get, update (title) and delete address /conversations/{id}."""
    get = api.get("/conversations/conv_1").mock(return_value=json_response(200, CONVERSATION))
    renamed = {**CONVERSATION, "title": "New title"}
    patch = api.patch("/conversations/conv_1").mock(return_value=json_response(200, renamed))
    delete = api.delete("/conversations/conv_1").mock(return_value=httpx.Response(204))
    assert (await client.conversations.get("conv_1")).agent_id == "agt_1"
    assert_sent(get.calls.last.request, "GET", "/conversations/conv_1")
    conv = await client.conversations.update("conv_1", title="New title")
    assert_sent(patch.calls.last.request, "PATCH", "/conversations/conv_1", {"title": "New title"})
    assert conv.title == "New title"
    await client.conversations.delete("conv_1")
    assert_sent(delete.calls.last.request, "DELETE", "/conversations/conv_1")


async def test_messages_send_posts_options_and_returns_reply(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """messages.send posts stream=false with every option given and returns the reply Message."""
    route = api.post("/conversations/conv_1/messages").mock(
        return_value=json_response(200, MESSAGE)
    )
    message = await client.messages.send(
        "conv_1",
        "Your message here",
        model="claude-sonnet-4-6",
        provider="anthropic",
        temperature=0.7,
        max_tokens=4096,
        reasoning_effort="medium",
    )
    assert_sent(
        route.calls.last.request,
        "POST",
        "/conversations/conv_1/messages",
        {
            "content": "Your message here",
            "stream": False,
            "model": "claude-sonnet-4-6",
            "provider": "anthropic",
            "temperature": 0.7,
            "max_tokens": 4096,
            "reasoning_effort": "medium",
        },
    )
    assert isinstance(message, Message)
    assert message.content == "Hello there" and message.role == "assistant"
    assert message.run_id == "run_1"


async def test_messages_send_omits_options_not_given(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """Optional message parameters left out are not sent at all (not even as null)."""
    route = api.post("/conversations/conv_1/messages").mock(
        return_value=json_response(200, MESSAGE)
    )
    await client.messages.send("conv_1", "Hi", temperature=0.0)
    assert_sent(
        route.calls.last.request,
        "POST",
        "/conversations/conv_1/messages",
        {"content": "Hi", "stream": False, "temperature": 0.0},
    )


async def test_messages_list_returns_history(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """messages.list GETs the history in order."""
    user = {**MESSAGE, "id": "msg_1", "role": "user", "content": "Hi", "run_id": None}
    route = api.get("/conversations/conv_1/messages").mock(
        return_value=json_response(200, [user, MESSAGE])
    )
    messages = await client.messages.list("conv_1")
    assert_sent(route.calls.last.request, "GET", "/conversations/conv_1/messages")
    assert [(m.role, m.content, m.run_id) for m in messages] == [
        ("user", "Hi", None),
        ("assistant", "Hello there", "run_1"),
    ]


async def test_unknown_fields_and_values_from_newer_server_are_kept(
    client: AsyncPhosonClient, api: respx.MockRouter
) -> None:
    """A newer server's extra fields and new enum values do not break parsing."""
    newer = {**AGENT, "memory_type": "episodic", "owner": {"id": "usr_1"}}
    api.get("/agents/agt_1").mock(return_value=json_response(200, newer))
    agent = await client.agents.get("agt_1")
    assert agent.memory_type == "episodic"
    assert agent.model_extra == {"owner": {"id": "usr_1"}}
    assert "request_id" not in agent.model_dump()


@pytest.mark.parametrize(
    ("agent_id", "path"),
    [
        ("../conversations", "/agents/..%2Fconversations"),
        ("..", "/agents/%2E%2E"),
        ("a/b", "/agents/a%2Fb"),
        ("x?admin=1", "/agents/x%3Fadmin%3D1"),
        ("x#frag", "/agents/x%23frag"),
        ("100%", "/agents/100%25"),
        ("with space", "/agents/with%20space"),
        ("agént", "/agents/ag%C3%A9nt"),
    ],
)
async def test_path_ids_are_encoded_as_one_segment(
    client: AsyncPhosonClient, api: respx.MockRouter, agent_id: str, path: str
) -> None:
    """Ids with /, .., ?, #, %, spaces or non-ASCII stay one escaped path segment."""
    route = api.route().mock(return_value=json_response(200, AGENT))
    await client.agents.get(agent_id)
    request = route.calls.last.request
    assert request.url.raw_path.decode() == path
    assert request.url.host == "api.phoson.test"


@pytest.mark.parametrize("bad_id", ["", "   ", "\t\n"])
async def test_blank_ids_raise_before_any_request(
    client: AsyncPhosonClient, api: respx.MockRouter, bad_id: str
) -> None:
    """An empty or whitespace-only id is an InvalidArgumentError (a PhosonError, and a
    ValueError as it used to be) and nothing is sent; an id that is no str, a TypeError."""
    route = api.route().mock(return_value=json_response(200, AGENT))
    with pytest.raises(InvalidArgumentError, match="agent_id must be a non-empty id") as caught:
        await client.agents.get(bad_id)
    assert isinstance(caught.value, PhosonError) and isinstance(caught.value, ValueError)
    with pytest.raises(TypeError, match="agent_id must be a str, not int"):
        await client.agents.get(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agent_id must be a non-empty id"):
        await client.agents.get(bad_id)
    with pytest.raises(ValueError, match="conversation_id must be a non-empty id"):
        client.messages.stream(bad_id, "hi")
    with pytest.raises(ValueError, match="mcp_id"):
        await client.agents.attach_mcp("agt_1", bad_id)
    assert not route.called
