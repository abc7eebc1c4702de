"""What the Django and Starlette versions of the chat share: the page, the agent, and the
checks of a reply request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from phoson import Agent

#: The page, plain HTML and JavaScript (no build step).
PAGE = (Path(__file__).parent / "index.html").read_text(encoding="utf-8")

#: The one agent the chat talks to, made on the first conversation and reused after.
AGENT_NAME = "web-chat"
AGENT_DESCRIPTION = "The agent of examples/web_chat"

#: The page's per-message key: the run's Idempotency-Key, so that asking again (a reconnect
#: before the first event, or the page reading an error) reaches the same run.
_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")


def agent_id(agents: Iterable[Agent]) -> str | None:
    """The id of the chat's agent, if it exists."""
    return next((agent.id for agent in agents if agent.name == AGENT_NAME), None)


def reply_request(query: Mapping[str, str]) -> tuple[str, str, str] | str:
    """(conversation_id, message, idempotency key) from /api/reply's query, or what is wrong."""
    conversation_id = query.get("conversation_id", "").strip()
    message = query.get("message", "").strip()
    key = query.get("key", "")
    if not conversation_id or not message:
        return "conversation_id and message are required"
    if not _KEY.fullmatch(key):
        return "key must be 8 to 64 letters, digits or dashes"
    return conversation_id, message, f"web-chat-{key}"
