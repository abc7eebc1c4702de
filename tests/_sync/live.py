# DO NOT EDIT: generated from tests/_async/live.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Helpers for the tests that talk to the local server."""

from __future__ import annotations

from collections.abc import Callable

from phoson import MessageStream, PhosonClient
from tests.concurrency import gather, poll_until

__all__ = ["close_while_reading", "new_conversation"]


def new_conversation(client: PhosonClient) -> str:
    """A fresh agent and a conversation with it; the conversation's id."""
    agent = client.agents.create(name="Test agent", description="made by the test suite")
    return (client.conversations.create(agent.id)).id


def close_while_reading(stream: MessageStream, ready: Callable[[list[str]], bool]) -> list[str]:
    """Read `stream` in one task (one thread, for the blocking client) and close it from
    another once `ready(the event types read so far)`; asserts that the reader ended quietly
    and returns the event types it got."""
    received: list[str] = []

    def read() -> str:
        for event in stream:
            received.append(event.type)
        return "ended"

    def stop() -> str:
        assert poll_until(lambda: ready(received))
        stream.close()
        return "closed"

    assert gather([read, stop]) == ["ended", "closed"]
    return received
