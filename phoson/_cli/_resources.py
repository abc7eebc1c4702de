"""The agents, conversations and messages commands, and how their results are printed.

A list prints as an aligned table (on a terminal, its last column is cut to fit), one object as
`key: value` lines, a deletion as `deleted <id>`; with --json, the `model_dump(mode="json")`
of each, pretty-printed (a list for list commands, `{"deleted": id}` for a deletion).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:
    import argparse
    from datetime import datetime

    from .._models import Agent, Conversation, Message, PhosonModel
    from .._sync import PhosonClient

M = TypeVar("M", bound="PhosonModel")
Columns: TypeAlias = Sequence[tuple[str, Callable[[M], str]]]


# -- Agents -----------------------------------------------------------------------------------


def agents_list(client: PhosonClient, args: argparse.Namespace) -> int:
    return show_list(args, client.agents.list(), AGENT_COLUMNS)


def agents_get(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(args, client.agents.get(args.id))


def agents_create(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(
        args,
        client.agents.create(
            name=args.name, description=args.description, memory_type=args.memory_type
        ),
    )


def agents_update(client: PhosonClient, args: argparse.Namespace) -> int:
    agent = client.agents.update(
        args.id, name=args.name, description=args.description, memory_type=args.memory_type
    )
    return show(args, agent)


def agents_delete(client: PhosonClient, args: argparse.Namespace) -> int:
    client.agents.delete(args.id)
    return deleted(args)


def agents_attach_mcp(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(args, client.agents.attach_mcp(args.id, args.mcp_id))


def agents_detach_mcp(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(args, client.agents.detach_mcp(args.id, args.mcp_id))


# -- Conversations and messages ---------------------------------------------------------------


def conversations_list(client: PhosonClient, args: argparse.Namespace) -> int:
    conversations = client.conversations.list(agent_id=args.agent)
    if args.agent is not None and not conversations:
        client.agents.get(args.agent)  # no such agent: a 404 (exit 1), not an empty table
    return show_list(args, conversations, CONVERSATION_COLUMNS)


def conversations_get(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(args, client.conversations.get(args.id))


def conversations_create(client: PhosonClient, args: argparse.Namespace) -> int:
    conversation = client.conversations.create(
        args.agent, title=args.title, thread_id=args.thread_id
    )
    return show(args, conversation)


def conversations_update(client: PhosonClient, args: argparse.Namespace) -> int:
    return show(args, client.conversations.update(args.id, title=args.title))


def conversations_delete(client: PhosonClient, args: argparse.Namespace) -> int:
    client.conversations.delete(args.id)
    return deleted(args)


def messages_list(client: PhosonClient, args: argparse.Namespace) -> int:
    return show_list(args, client.messages.list(args.conversation_id), MESSAGE_COLUMNS)


# -- Output -----------------------------------------------------------------------------------


def show(args: argparse.Namespace, model: PhosonModel) -> int:
    """One object: `key: value` lines (every field, new ones too), or a JSON object."""
    data = model.model_dump(mode="json")
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key}: {_plain(value)}")
    return 0


def show_list(args: argparse.Namespace, items: Sequence[M], columns: Columns[M]) -> int:
    """Many objects: an aligned table with a header row, or a JSON list."""
    if args.json:
        print_json([item.model_dump(mode="json") for item in items])
        return 0
    rows = [[name for name, _ in columns]]
    rows += [[" ".join(cell(item).split()) or "-" for _, cell in columns] for item in items]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns) - 1)]
    room = _terminal_width()
    for row in rows:
        head = "".join(cell.ljust(width + 2) for cell, width in zip(row, widths, strict=False))
        last = row[-1]
        if room is not None and len(head) + len(last) > room and room - len(head) >= 10:
            last = last[: room - len(head) - 1] + "…"
        print((head + last).rstrip())
    return 0


def deleted(args: argparse.Namespace) -> int:
    if args.json:
        print_json({"deleted": args.id})
    else:
        print(f"deleted {args.id}")
    return 0


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one; None (no cutting) for pipes and files."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _when(moment: datetime) -> str:
    """A timestamp for a table: to the second, in UTC when it has a time zone."""
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


AGENT_COLUMNS: Columns[Agent] = (
    ("ID", lambda a: a.id),
    ("NAME", lambda a: a.name),
    ("MEMORY", lambda a: a.memory_type),
    ("MCPS", lambda a: ",".join(a.mcp_ids)),
    ("CREATED", lambda a: _when(a.created_at)),
)
CONVERSATION_COLUMNS: Columns[Conversation] = (
    ("ID", lambda c: c.id),
    ("AGENT", lambda c: c.agent_id),
    ("THREAD", lambda c: c.thread_id or ""),
    ("CREATED", lambda c: _when(c.created_at)),
    ("TITLE", lambda c: c.title),
)
MESSAGE_COLUMNS: Columns[Message] = (
    ("ID", lambda m: m.id),
    ("ROLE", lambda m: m.role),
    ("RUN", lambda m: m.run_id or ""),
    ("CREATED", lambda m: _when(m.created_at)),
    ("CONTENT", lambda m: m.content),
)
