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


class _Text:
    """Pieces of text added by one thread (the stream's reader) and read whole by any thread.

    Only `add` changes anything; a read never does, so a read from another thread can neither
    lose nor repeat a piece, and needs no lock (a lock the reader holds would deadlock a signal
    handler that reads the text on the reader's thread). The reader's work for a piece is one
    append; every `_JOIN_EVERY` pieces are joined into one string, so a long run keeps a few
    large strings rather than one object per token. `_view` is what a read looks at, replaced
    in one assignment: how many joined blocks count, and the list of the pieces since them
    (a list that is only appended to until a new one replaces it).
    """

    __slots__ = ("_blocks", "_pieces", "_view")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._pieces: list[str] = []
        self._view: tuple[int, list[str]] = (0, self._pieces)

    def add(self, piece: str) -> None:
        pieces = self._pieces
        pieces.append(piece)
        if len(pieces) >= _JOIN_EVERY:
            blocks = self._blocks
            blocks.append("".join(pieces))  # before the new view: old views never count it
            self._pieces = []
            self._view = (len(blocks), self._pieces)

    def __bool__(self) -> bool:
        return bool(self._blocks or self._pieces)

    def read(self) -> str:
        """Everything added so far, joined. Safe from any thread; changes nothing."""
        count, pieces = self._view
        # Copies taken in one step each (the reader may append meanwhile; neither copy can see
        # half of an append), then joined.
        return "".join(self._blocks[:count]) + "".join(pieces[:])


class StreamSnapshot:
    """The accumulated content of one run's events, updated event by event by the stream's
    reader; read from any thread (a read changes nothing)."""

    __slots__ = ("_mid_run", "_reasoning", "_text", "_tool_calls", "run_id")

    def __init__(self) -> None:
        self._text = _Text()
        self._reasoning = _Text()
        self._tool_calls: dict[str, ToolCall] = {}
        #: The run's id, from its `run_done` event (None until then, and for a failed run).
        self.run_id: str | None = None
        # True when the events start mid-run (a stream resumed from a token): the reply is
        # then never taken from run_done.content, which holds the whole of it.
        self._mid_run = False

    def start_mid_run(self) -> None:
        """The events added will start mid-run (`messages.resume`): `text` holds only their
        tokens, even when none arrives before `run_done`."""
        self._mid_run = True

    def add_token(self, content: str) -> None:
        """Take one `token` event's text into account (`add` for a token, without its test)."""
        self._text.add(content)

    def add(self, event: StreamEvent) -> None:
        """Take one typed event into account (in arrival order)."""
        if event.type == "token":
            self._text.add(event.content)
        elif event.type == "reasoning":
            self._reasoning.add(event.content)
        elif event.type == "tool_start":
            # A tool_end that arrived first keeps its result.
            ended = self._tool_calls.get(event.tool_call_id)
            self._tool_calls[event.tool_call_id] = ToolCall(
                event.tool_call_id,
                event.tool,
                event.input,
                None if ended is None else ended.result,
            )
        elif event.type == "tool_end":
            started = self._tool_calls.get(event.tool_call_id)
            if started is None:
                started = ToolCall(event.tool_call_id, event.tool, {})
            self._tool_calls[event.tool_call_id] = replace(started, result=event.result)
        elif event.type == "run_done":
            self.run_id = event.run_id
            if not self._text and event.content and not self._mid_run:
                # A run that sent its reply only in run_done (no tokens): the reply is that.
                self._text.add(event.content)

    @property
    def text(self) -> str:
        """The reply so far: the `token` contents joined."""
        return self._text.read()

    @property
    def reasoning(self) -> str:
        """The reasoning so far: the `reasoning` contents joined."""
        return self._reasoning.read()

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every tool call so far, in the order they were first seen, paired by `tool_call_id`."""
        return list(self._tool_calls.values())
