"""The command line: every command, its arguments, and the handler that runs it.

Each leaf command puts its `handler` (and its own parser, `leaf`, for usage errors) in the
namespace; a few also set `prepare`, which checks or completes the arguments before any client
or server exists. The global options are accepted before the command and after it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from .._version import __version__
from . import _resources as res
from ._chat import chat, resume
from ._signals import STOPS

if TYPE_CHECKING:
    from .._sync import PhosonClient

__all__ = ["API_KEY_ENV", "Handler", "Prepare", "build_parser"]

API_KEY_ENV = "PHOSON_API_KEY"
#: Not `choices`: the API may learn new memory types (the models keep any value), so the
#: server, not this command, says which values it accepts.
MEMORY_TYPE: dict[str, Any] = {
    "metavar": "{persistent,semantic}",
    "help": "how the agent remembers (default for create: persistent)",
}

#: Help for the id arguments.
AGENT_ID, CONV_ID, MCP_ID = "the agent's id", "the conversation's id", "the MCP server's id"

Handler = Callable[["PhosonClient", argparse.Namespace], int]
Prepare = Callable[[argparse.Namespace, argparse.ArgumentParser], None]
#: What `add_subparsers()` returns.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

EPILOG = f"""\
examples:
  phoson chat "What can you do?"              a new conversation (agent phoson-cli); reply on stdout
  phoson chat --conversation CONV_ID "More"   continue a conversation
  echo "Summarise this" | phoson chat --agent AGENT_ID
  phoson agents create --name Helper --description "A helpful agent"
  phoson conversations list --agent AGENT_ID --json
  phoson --local chat "Hello"                 no account needed: an in-process test server
  phoson resume TOKEN                         the rest of an interrupted chat's run

The API key comes from --api-key, else ${API_KEY_ENV}; the URL from --base-url, else
$PHOSON_BASE_URL, else https://api.phoson.ai. Exit status: 0 ok, 1 API or connection error,
2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)."""


def build_parser() -> argparse.ArgumentParser:
    """The whole `phoson` command line."""
    parser = argparse.ArgumentParser(
        prog="phoson",
        description="The Phoson Core API from a shell: chat with agents, and manage agents,\n"
        "conversations and messages.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_global_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_chat(commands)
    _add_resume(commands)
    _add_agents(_group(commands, "agents", "list, show, create, change and delete agents"))
    _add_conversations(
        _group(commands, "conversations", "list, show, create, rename and delete conversations")
    )
    messages = _group(commands, "messages", "read a conversation's messages")
    listing = _leaf(messages, "list", res.messages_list, "a conversation's messages, oldest first")
    listing.add_argument("conversation_id", metavar="CONV_ID", type=_ident, help=CONV_ID)
    return parser


def _add_chat(commands: Commands) -> None:
    parser = _leaf(commands, "chat", chat, "send a message and stream the agent's reply")
    parser.description = (
        "Send MESSAGE (or stdin) to an agent and stream the reply to stdout as it arrives; "
        "reasoning and tool calls go to stderr. Without --agent or --conversation, a new "
        "conversation starts with the agent named 'phoson-cli' (made the first time); the "
        "last line on stderr names the conversation, to continue with --conversation "
        "(not with --local: its server ends with the command)."
    )
    parser.set_defaults(prepare=_read_message)
    parser.add_argument(
        "message", nargs="?", metavar="MESSAGE", help="read from stdin if omitted or '-'"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--agent", metavar="AGENT_ID", type=_ident, help="start a new conversation with this agent"
    )
    target.add_argument(
        "--conversation", metavar="CONV_ID", type=_ident, help="continue this conversation"
    )
    target.add_argument(
        "--new-agent",
        action="store_true",
        help="make a new 'phoson-cli' agent instead of using the one there is",
    )
    parser.add_argument("--model", help="the model to run the message with")
    parser.add_argument(
        "--provider",
        choices=("anthropic", "openai", "openrouter"),
        help="who runs the model (default: the API's choice)",
    )
    parser.add_argument(
        "--temperature", type=float, metavar="T", help="sampling temperature, e.g. 0.2"
    )
    parser.add_argument(
        "--max-tokens", type=int, metavar="N", help="the longest reply allowed, in tokens"
    )
    parser.add_argument(
        "--reasoning-effort",
        choices=("low", "medium", "high"),
        help="let the model reason first ([thinking] lines on stderr)",
    )


def _add_resume(commands: Commands) -> None:
    parser = _leaf(commands, "resume", resume, "print the rest of a run from its resume token")
    parser.description = (
        "Continue a run that `phoson chat` left when it was interrupted or its connection "
        "broke (it prints this command then), or any run from a stream's resume_token: the "
        "events after the token stream to stdout and stderr as in chat. The token carries no "
        "API key; this command uses yours."
    )
    parser.add_argument("token", metavar="TOKEN", help="the resume token chat printed")


def _add_agents(agents: Commands) -> None:
    _leaf(agents, "list", res.agents_list, "list every agent")
    _with_id(_leaf(agents, "get", res.agents_get, "show one agent"), AGENT_ID)
    create = _leaf(agents, "create", res.agents_create, "create an agent")
    create.add_argument("--name", required=True, help="the agent's name")
    create.add_argument("--description", required=True, help="what the agent is for")
    create.add_argument("--memory-type", default="persistent", **MEMORY_TYPE)
    update = _with_id(_leaf(agents, "update", res.agents_update, "change an agent"), AGENT_ID)
    update.add_argument("--name", help="a new name")
    update.add_argument("--description", help="a new description")
    update.add_argument("--memory-type", **MEMORY_TYPE)
    update.set_defaults(prepare=_need_change)
    _with_id(
        _leaf(agents, "delete", res.agents_delete, "delete an agent and its conversations"),
        AGENT_ID,
    )
    attach = _with_id(
        _leaf(agents, "attach-mcp", res.agents_attach_mcp, "give an agent an MCP server's tools"),
        AGENT_ID,
    )
    attach.add_argument("mcp_id", metavar="MCP_ID", type=_ident, help=MCP_ID)
    detach = _with_id(
        _leaf(
            agents, "detach-mcp", res.agents_detach_mcp, "take an MCP server's tools from an agent"
        ),
        AGENT_ID,
    )
    detach.add_argument("mcp_id", metavar="MCP_ID", type=_ident, help=MCP_ID)


def _add_conversations(conversations: Commands) -> None:
    listing = _leaf(conversations, "list", res.conversations_list, "list conversations")
    listing.add_argument("--agent", metavar="AGENT_ID", type=_ident, help="only this agent's")
    _with_id(_leaf(conversations, "get", res.conversations_get, "show one conversation"), CONV_ID)
    create = _leaf(
        conversations, "create", res.conversations_create, "start a conversation with an agent"
    )
    create.add_argument(
        "--agent", metavar="AGENT_ID", type=_ident, required=True, help="the agent to talk to"
    )
    create.add_argument(
        "--title", default="New Conversation", help="its title (default: %(default)s)"
    )
    create.add_argument("--thread-id", metavar="X", help="your own id for the thread")
    rename = _with_id(
        _leaf(conversations, "update", res.conversations_update, "rename a conversation"),
        CONV_ID,
    )
    rename.add_argument("--title", required=True, help="the new title")
    _with_id(
        _leaf(conversations, "delete", res.conversations_delete, "delete a conversation"),
        CONV_ID,
    )


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command takes. Below the top parser they default to SUPPRESS, so a
    value given before the command is kept unless the option is given again after it."""
    default = None if top else argparse.SUPPRESS
    flag_default = False if top else argparse.SUPPRESS
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--api-key", metavar="KEY", default=default, help=f"API key (default: ${API_KEY_ENV})"
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help="API URL (default: $PHOSON_BASE_URL, else https://api.phoson.ai)",
    )
    group.add_argument(
        "--local",
        action="store_true",
        default=flag_default,
        help="start a fresh in-process test server (phoson.testing) and use it",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=flag_default,
        help="print JSON instead of tables (chat: one JSON event per line)",
    )


def _leaf(commands: Commands, name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
    _add_global_options(parser, top=False)
    parser.set_defaults(handler=handler, leaf=parser)
    return parser


def _group(commands: Commands, name: str, help_: str) -> Commands:
    parser = commands.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
    _add_global_options(parser, top=False)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def _with_id(parser: argparse.ArgumentParser, help_: str) -> argparse.ArgumentParser:
    parser.add_argument("id", metavar="ID", type=_ident, help=help_)
    return parser


def _ident(value: str) -> str:
    """An id argument: the SDK refuses blank ids, so refuse them here as a usage error."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must be a non-empty id")
    return value


def _need_change(args: argparse.Namespace, leaf: argparse.ArgumentParser) -> None:
    if args.name is None and args.description is None and args.memory_type is None:
        leaf.error("nothing to change: give --name, --description or --memory-type")


def _read_message(args: argparse.Namespace, leaf: argparse.ArgumentParser) -> None:
    """MESSAGE, else all of stdin (less the final newline `echo` adds); never empty."""
    message: str | None = args.message
    if message is None or message == "-":
        if sys.stdin is None:
            leaf.error("no MESSAGE given and no stdin to read it from")
        typing_in = sys.stdin.isatty()
        if typing_in:
            print("reading the message from stdin; end it with Ctrl-D", file=sys.stderr)
        try:
            message = sys.stdin.read().rstrip("\r\n")
        except STOPS:
            if typing_in:  # end the half-typed line, so the shell's prompt starts on its own
                print(file=sys.stderr, flush=True)
            raise
    if not message.strip():
        leaf.error("the message is empty: give MESSAGE or pipe it on stdin")
    args.message = message
