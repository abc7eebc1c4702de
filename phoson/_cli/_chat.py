"""`phoson chat`: send one message and print the run as it streams; `phoson resume`: go on
printing a run that an interrupted or broken `phoson chat` (or any stream) left.

The reply goes to stdout, flushed token by token and ended with a newline, so it can be piped.
Everything else goes to stderr: `[thinking] ...` for reasoning, `[tool] name(arg=value)` and
`[tool result] name: ...` for tool calls, and at the end `run <run_id> · conversation <id>`.
With --json, stdout gets each event as one JSON object per line instead of the text, each with
the `conversation_id` it belongs to. When the stream is interrupted (Ctrl-C, SIGTERM) or breaks
for good, the last stderr line is the command that continues the run: `phoson resume TOKEN`
(not with --local, whose server ends with the command).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from ._signals import STOPS, Terminated

if TYPE_CHECKING:
    import argparse

    from .._sync import MessageStream, PhosonClient

#: The agent `phoson chat` talks to when it is given neither --agent nor --conversation: the
#: one of this name (made the first time, and again with --new-agent).
CHAT_AGENT_NAME = "phoson-cli"
CHAT_AGENT_DESCRIPTION = "Created by the phoson command"
#: The chat options that map one-to-one onto `messages.stream()` parameters.
STREAM_OPTIONS = ("model", "provider", "temperature", "max_tokens", "reasoning_effort")
#: Added to chat's last line with --local, whose conversations end with the command.
LOCAL_NOTE = "--local: gone when this command ends, cannot be continued"


def chat(client: PhosonClient, args: argparse.Namespace) -> int:
    conversation_id: str | None = args.conversation
    if conversation_id is None:
        agent_id: str | None = args.agent
        if agent_id is None:
            agent_id = _chat_agent(client, new=args.new_agent)
        conversation_id = client.conversations.create(agent_id).id
    where = f"conversation {conversation_id}"
    if args.local:  # the in-process server, and all it holds, ends with this command
        where += f" · {LOCAL_NOTE}"
    options = {name: getattr(args, name) for name in STREAM_OPTIONS}
    options = {name: value for name, value in options.items() if value is not None}
    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json)
    stream = client.messages.stream(conversation_id, args.message, **options)
    return _print_run(
        stream,
        conversation_id,
        where,
        printer,
        args.json,
        from_start=True,
        resumable=not args.local,
    )


def resume(client: PhosonClient, args: argparse.Namespace) -> int:
    """`phoson resume TOKEN`: print the rest of a run from its resume token."""
    from urllib.parse import unquote

    from .._resume_token import decode_resume_token

    point = decode_resume_token(args.token)  # PhosonError (exit 1) for a bad token
    conversation_id = unquote(point.path.removeprefix("/conversations/").partition("/")[0])
    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json)
    stream = client.messages.resume(args.token)
    return _print_run(
        stream,
        conversation_id,
        f"conversation {conversation_id}",
        printer,
        args.json,
        from_start=not point.last_event_id,
        resumable=not args.local,
    )


def _print_run(
    stream: MessageStream,
    conversation_id: str,
    where: str,
    printer: ChatPrinter,
    as_json: bool,
    *,
    from_start: bool,
    resumable: bool,
) -> int:
    """Print the run's events as they arrive; 0 at run_done, 1 at an error event or a break.

    `from_start`: the stream starts at the run's first event, so a reply that comes only in
    run_done's content is printed (a resumed stream prints only what follows its token).
    `resumable`: when the stream is interrupted or breaks, print the command that goes on.
    """
    from .._exceptions import IncompleteStreamError

    try:
        # The `with` closes the response however the loop ends (Ctrl-C, a closed pipe).
        with stream:
            for event in stream:
                if as_json:
                    printer.json_line(
                        {**event.model_dump(mode="json"), "conversation_id": conversation_id}
                    )
                if event.type == "token":
                    printer.token(event.content)
                elif event.type == "reasoning":
                    printer.reasoning(event.content)
                elif event.type == "tool_start":
                    printer.note(f"[tool] {event.tool}({_arguments(event.input)})")
                elif event.type == "tool_end":
                    printer.note(f"[tool result] {event.tool}: {_excerpt(event.result)}")
                elif event.type == "run_done":
                    printer.end_reply(event.content if from_start else None)
                    printer.note(f"run {event.run_id} · {where}")
                    return 0
                elif event.type == "error":
                    printer.end_reply(None)
                    printer.note(f"error: {event.message}")
                    return 1
    except STOPS as stop:  # Ctrl-C or SIGTERM: the `with` has closed the stream
        printer.interrupted(
            where,
            terminated=isinstance(stop, Terminated),
            resume_token=stream.resume_token if resumable else None,
        )
        raise
    except IncompleteStreamError as error:  # the connection broke for good: say how to go on
        printer.broken(str(error), resume_token=error.resume_token if resumable else None)
        return 1
    # Not reached: a stream that ends without run_done or error raises IncompleteStreamError.
    return 1


def _chat_agent(client: PhosonClient, *, new: bool) -> str:
    """The id of the agent named `phoson-cli` (the oldest, if there are several), made when
    there is none or `new` is true: repeated chats leave no pile of agents behind."""
    if not new:
        named = [agent for agent in client.agents.list() if agent.name == CHAT_AGENT_NAME]
        if named:
            return min(named, key=lambda agent: agent.created_at).id
    return client.agents.create(name=CHAT_AGENT_NAME, description=CHAT_AGENT_DESCRIPTION).id


def _arguments(arguments: dict[str, Any]) -> str:
    import json

    return _excerpt(
        ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()
        )
    )


def _excerpt(text: str) -> str:
    from .._exceptions import excerpt

    return excerpt(text)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ChatPrinter:
    """Writes a run's events where they belong, as they arrive.

    When stdout and stderr are one terminal, a stderr line never starts in the middle of a
    reply line (the break goes to stderr, so piped stdout is never changed by it).
    """

    def __init__(self, out: TextIO, err: TextIO, *, as_json: bool = False) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self.replied = False  # some reply text has arrived
        self.reply_open = False  # stdout's last line is unfinished
        self.thinking_open = False  # a `[thinking]` line is unfinished on stderr
        self.shared_terminal = _is_tty(out) and _is_tty(err)
        self.mid_line = False  # the shared terminal's cursor is just after reply text

    def json_line(self, data: dict[str, Any]) -> None:
        import json

        self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
        self.out.flush()

    def token(self, text: str) -> None:
        self._end_thinking()
        if text and not self.as_json:
            self.out.write(text)
            self.out.flush()
            self.reply_open = self.mid_line = not text.endswith("\n")
        self.replied = self.replied or bool(text)

    def end_reply(self, full_text: str | None) -> None:
        """End the reply with a newline; `full_text` (run_done's) is written if no token was."""
        self._end_thinking()
        if full_text is not None and not self.replied:
            self.token(full_text)
            self.reply_open = self.reply_open or not full_text  # an empty reply: an empty line
        if self.reply_open and not self.as_json:
            self.out.write("\n")
            self.out.flush()
        self.reply_open = self.mid_line = False

    def reasoning(self, text: str) -> None:
        if not self.thinking_open:
            self._leave_reply_line()
            self.err.write("[thinking] ")
            self.thinking_open = True
        self.err.write(text)
        self.err.flush()
        if text.endswith("\n"):
            self.thinking_open = False

    def note(self, line: str) -> None:
        """One marked line on stderr."""
        self._end_thinking()
        self._leave_reply_line()
        self.err.write(line + "\n")
        self.err.flush()

    def interrupted(
        self, where: str, *, terminated: bool = False, resume_token: str | None = None
    ) -> None:
        """After Ctrl-C or SIGTERM: finish the terminal's line and say where to continue
        (`where`: "conversation <id>", and a note when it cannot be continued), and the
        command that continues the run (when it can be resumed)."""
        try:
            self._end_terminal_line()
            stopped = "terminated" if terminated else "interrupted"
            self.note(f"{stopped} · {where}")
            if resume_token is not None:
                self.note(f"continue with: phoson resume {resume_token}")
        except OSError:
            pass

    def broken(self, message: str, *, resume_token: str | None) -> None:
        """After the stream broke for good: the error, and the command that continues the
        run. A piped reply is left as it is, so that the resumed one appends to it."""
        from .._redact import redact

        self._end_terminal_line()
        self.note(f"error: {redact(message)}")
        if resume_token is not None:
            self.note(f"continue with: phoson resume {resume_token}")

    def _end_terminal_line(self) -> None:
        if self.reply_open and _is_tty(self.out):
            self.out.write("\n")
            self.out.flush()
            self.reply_open = self.mid_line = False

    def _end_thinking(self) -> None:
        if self.thinking_open:
            self.err.write("\n")
            self.err.flush()
            self.thinking_open = False

    def _leave_reply_line(self) -> None:
        if self.shared_terminal and self.mid_line:
            self.err.write("\n")
            self.mid_line = False
