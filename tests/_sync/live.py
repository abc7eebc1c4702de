# DO NOT EDIT: generated from tests/_async/live.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Helpers for the tests that talk to the local server."""

from __future__ import annotations

from phoson import PhosonClient

__all__ = ["new_conversation"]


def new_conversation(client: PhosonClient) -> str:
    """A fresh agent and a conversation with it; the conversation's id."""
    agent = client.agents.create("Test agent", "made by the test suite")
    return (client.conversations.create(agent.id)).id
