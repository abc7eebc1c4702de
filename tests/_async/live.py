"""Helpers for the tests that talk to the local server."""

from __future__ import annotations

from phoson import AsyncPhosonClient

__all__ = ["new_conversation"]


async def new_conversation(client: AsyncPhosonClient) -> str:
    """A fresh agent and a conversation with it; the conversation's id."""
    agent = await client.agents.create("Test agent", "made by the test suite")
    return (await client.conversations.create(agent.id)).id
