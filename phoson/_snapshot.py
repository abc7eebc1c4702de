"""What a stream has said so far: the reply text, the reasoning, the tool calls and the run id.
No I/O.

`StreamState` adds each typed event to one `StreamSnapshot`; the stream classes expose it as
`stream.text`, `stream.reasoning`, `stream.tool_calls` and `stream.run_id`, and a stream that
breaks puts `text` on its `IncompleteStreamError` as `partial_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ._models import StreamEvent
from ._redact import redact, redact_detail

__all__ = ["StreamSnapshot", "ToolCall"]

#: How many pieces of text are kept apart before they are joined into one string.
_JOIN_EVERY = 1024


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of a run: its `tool_start` and, once it has arrived, its `tool_end`."""

    tool_call_id: str
    tool: str
    #: The arguments from `tool_start` (empty if only the `tool_end` was seen).
    input: dict[str, Any]
    #: The `tool_end` result; None while the tool is still running.
    result: str | None = None

    # A server may echo an API key into a tool's input or result: `repr` and pickles never
    # show one (`phoson._redact`); the fields hold what the server sent.
    def __repr__(self) -> str:
        return redact(
            f"ToolCall(tool_call_id={self.tool_call_id!r}, tool={self.tool!r}, "
            f"input={self.input!r}, result={self.result!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        fields = (self.tool_call_id, self.tool, self.input, self.result)
        return (ToolCall, tuple(redact_detail(value) for value in fields))


class StreamSnapshot:
    """The accumulated content of one run's events, updated event by event."""

    __slots__ = ("_reasoning", "_reasoning_done", "_text", "_text_done", "_tool_calls", "run_id")

    def __init__(self) -> None:
        # Recent pieces, and earlier pieces joined by the thousand: adding a token is O(1), and
        # a long run keeps its text as a few large strings rather than one object per token.
        self._text: list[str] = []
        self._text_done: list[str] = []
        self._reasoning: list[str] = []
        self._reasoning_done: list[str] = []
        self._tool_calls: dict[str, ToolCall] = {}
        #: The run's id, from its `run_done` event (None until then, and for a failed run).
        self.run_id: str | None = None

    def add_token(self, content: str) -> None:
        """Take one `token` event's text into account (`add` for a token, without its test)."""
        pieces = self._text
        pieces.append(content)
        if len(pieces) >= _JOIN_EVERY:
            self._text_done.append("".join(pieces))
            pieces.clear()

    def add(self, event: StreamEvent) -> None:
        """Take one typed event into account (in arrival order)."""
        if event.type == "token":
            self.add_token(event.content)
        elif event.type == "reasoning":
            pieces = self._reasoning
            pieces.append(event.content)
            if len(pieces) >= _JOIN_EVERY:
                self._reasoning_done.append("".join(pieces))
                pieces.clear()
        elif event.type == "tool_start":
            self._tool_calls[event.tool_call_id] = ToolCall(
                event.tool_call_id, event.tool, event.input
            )
        elif event.type == "tool_end":
            started = self._tool_calls.get(event.tool_call_id)
            if started is None:
                started = ToolCall(event.tool_call_id, event.tool, {})
            self._tool_calls[event.tool_call_id] = replace(started, result=event.result)
        elif event.type == "run_done":
            self.run_id = event.run_id
            if not self._text and not self._text_done and event.content:
                # A run that sent its reply only in run_done (no tokens): the reply is that.
                self._text.append(event.content)

    @property
    def text(self) -> str:
        """The reply so far: the `token` contents joined."""
        return _joined(self._text_done, self._text)

    @property
    def reasoning(self) -> str:
        """The reasoning so far: the `reasoning` contents joined."""
        return _joined(self._reasoning_done, self._reasoning)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every tool call so far, in the order they started, paired by `tool_call_id`."""
        return list(self._tool_calls.values())


def _joined(done: list[str], pieces: list[str]) -> str:
    """Everything in `done` and `pieces`, joined; kept joined, so a second read copies nothing."""
    if pieces or len(done) > 1:
        done[:] = ["".join(done) + "".join(pieces)]
        pieces.clear()
    return done[0] if done else ""
