"""Helpers for the tests that talk to the local server."""

from __future__ import annotations

from collections.abc import Callable

from phoson import AsyncMessageStream, AsyncPhosonClient
from tests.concurrency import agather, apoll_until

__all__ = ["close_while_reading", "new_conversation"]


async def new_conversation(client: AsyncPhosonClient) -> str:
    """A fresh agent and a conversation with it; the conversation's id."""
    agent = await client.agents.create(name="Test agent", description="made by the test suite")
    return (await client.conversations.create(agent.id)).id


async def close_while_reading(
    stream: AsyncMessageStream, ready: Callable[[list[str]], bool]
) -> list[str]:
    """Read `stream` in one task (one thread, for the blocking client) and close it from
    another once `ready(the event types read so far)`; asserts that the reader ended quietly
    and returns the event types it got."""
    received: list[str] = []

    async def read() -> str:
        async for event in stream:
            received.append(event.type)
        return "ended"

    async def stop() -> str:
        assert await apoll_until(lambda: ready(received))
        await stream.close()
        return "closed"

    assert await agather([read, stop]) == ["ended", "closed"]
    return received
