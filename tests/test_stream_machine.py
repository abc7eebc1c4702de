"""The stream machine (issue 21): a model-based test of the stream's contract
(docs/reliability.md, "The stream's contract") over any mix of the caller's moves and any
server behaviour, for the blocking client and for the async one under asyncio and trio.

The server is scripted per example: a run of token, reasoning and tool events (a tool_end may
come before its tool_start; some events typed only inside their JSON) ending in `run_done` or
`error`; ids on every event, on none, or on all but the first; then one to three responses that
break at any byte offset, each sending the run from where the client asked (Last-Event-ID) or
replaying from any earlier event; chunks split anywhere, the final event sometimes in a chunk of
its own. The rules are the caller's moves: k typed events then `break`, k pieces of
`text_stream`, k raw events of `iter_sse()`, `until_done()`, `close()` from the reading code or
from another task (another thread for the blocking client), k events read while another thread
reads the snapshots. After every step the machine checks the contract:

- the events delivered, by every reader together, are the run's events in order, each at most
  once; `run_done`/`error` at most once; everything, if the stream is not closed and the ids
  allow resuming (with ids on every event, nothing but the run's own `RunFailedError` is raised);
- the snapshots (`text`, `reasoning`, `tool_calls`, `run_id`) hold exactly the events delivered;
  read from another thread, they only ever show a state between the step's start and its end;
- after close(), nothing is delivered and no request is sent; until_done() raises unless the
  final event had been delivered;
- nothing but `PhosonError` comes out; requests never exceed the responses scripted.

Budget: `examples(150, full=300)` per client (tests/budget.py): 300 in CI's step 5, derandomized.
Every counterexample becomes a plain test in tests/_async/test_stream_contract.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from phoson import (
    IncompleteStreamError,
    PhosonError,
    RunFailedError,
    StreamEvent,
    ToolCall,
)
from phoson._models import EVENT_TYPES
from tests import budget
from tests._async import stream_moves as async_moves
from tests._sync import stream_moves as sync_moves
from tests.payloads import BreakingStream, RecordingStream

Event = tuple[str, dict[str, Any]]


# -- The scripted server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One response of the server: where it starts and where it breaks."""

    #: None: from the event after Last-Event-ID (where asked); else replay from this fraction
    #: of the way to it (0: the run's start).
    replay_from: float | None
    #: The body breaks after this fraction of its bytes (None: it is sent whole).
    cut: float | None
    #: Chunk boundaries, as fractions of the body.
    splits: tuple[float, ...]
    #: The final event is sent in a chunk of its own.
    final_alone: bool


@dataclass(frozen=True)
class Scenario:
    events: tuple[Event, ...]
    #: Which events are written without an `event:` line (their JSON says the type).
    untyped: frozenset[int]
    #: "all", "none", or "first-idless" (every event but the first has an `id:`).
    ids: str
    #: The responses, in order; after them, every request gets the rest of the run whole.
    responses: tuple[Response, ...]


def _id(scenario: Scenario, index: int) -> str:
    if scenario.ids == "none" or (scenario.ids == "first-idless" and index == 0):
        return ""
    return f"e{index}"


def _frame(scenario: Scenario, index: int) -> bytes:
    name, fields = scenario.events[index]
    lines: list[str] = []
    if index in scenario.untyped:
        lines.append("data: " + json.dumps({"type": name, **fields}))
    else:
        lines += ["event: " + name, "data: " + json.dumps(fields)]
    if _id(scenario, index):
        lines.append("id: " + _id(scenario, index))
    return ("\n".join(lines) + "\n\n").encode()


class Server:
    """Answers the stream's requests from a scenario; records every request."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        scenario = self.scenario
        with self._lock:
            number = len(self.requests)
            self.requests.append(request)
        last = request.headers.get("last-event-id")
        asked = 0 if last is None else int(last.removeprefix("e")) + 1
        response = (
            scenario.responses[number]
            if number < len(scenario.responses)
            else Response(None, None, (), False)
        )
        start = asked if response.replay_from is None else int(response.replay_from * asked)
        frames = [_frame(scenario, index) for index in range(start, len(scenario.events))]
        body = b"".join(frames)
        bounds = {int(fraction * len(body)) for fraction in response.splits}
        if response.final_alone and frames:
            bounds.add(len(body) - len(frames[-1]))
        end = len(body) if response.cut is None else int(response.cut * len(body))
        cuts = [*sorted(b for b in bounds if 0 < b < end), end]
        chunks = [body[a:b] for a, b in zip([0, *cuts], cuts, strict=False) if b > a]
        headers = {"content-type": "text/event-stream", "x-request-id": f"req_{number}"}
        stream: RecordingStream = (
            RecordingStream(chunks)
            if response.cut is None
            else BreakingStream(chunks, httpx.ReadError("the server went away"))
        )
        return httpx.Response(200, headers=headers, stream=stream)


_words = st.sampled_from(["a", "b ", "cd", "é", "\n", "x y"])
_token = _words.map(lambda c: ("token", {"content": c}))
_reasoning = _words.map(lambda c: ("reasoning", {"content": c}))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    body: list[Event] = draw(st.lists(st.one_of(_token, _token, _reasoning), max_size=6))
    if draw(st.booleans()):  # a tool call, its end maybe before its start
        start: Event = ("tool_start", {"tool": "search", "input": {"q": 1}, "tool_call_id": "c1"})
        end: Event = ("tool_end", {"tool": "search", "result": "sunny", "tool_call_id": "c1"})
        pair = [end, start] if draw(st.booleans()) else [start, end]
        at = draw(st.integers(0, len(body)))
        body[at:at] = pair
    if draw(st.integers(0, 5)) == 0:
        body.append(("error", {"message": "the run failed"}))
    else:
        body.append(
            ("run_done", {"content": draw(st.sampled_from(["", "the reply"])), "run_id": "run_1"})
        )
    untyped = frozenset(draw(st.sets(st.integers(0, len(body) - 1), max_size=3)))
    responses = draw(
        st.lists(
            st.builds(
                Response,
                replay_from=st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])),
                cut=st.one_of(st.none(), st.floats(0, 1, exclude_max=True)),
                splits=st.lists(st.floats(0, 1), max_size=4).map(tuple),
                final_alone=st.booleans(),
            ),
            min_size=1,
            max_size=4,
        )
    )
    ids = draw(st.sampled_from(["all", "all", "none", "first-idless"]))
    return Scenario(tuple(body), untyped, ids, tuple(responses))


# -- The model -----------------------------------------------------------------------------------


def _typed(event: Event) -> StreamEvent:
    name, fields = event
    return EVENT_TYPES[name].model_validate(fields)  # type: ignore[return-value]


@dataclass(frozen=True)
class Snapshot:
    text: str
    reasoning: str
    tool_calls: list[ToolCall]
    run_id: str | None


def expected_snapshot(events: tuple[Event, ...], delivered: int) -> Snapshot:
    """What the snapshots hold after the first `delivered` events."""
    text, reasoning, run_id = "", "", None
    calls: dict[str, ToolCall] = {}
    for name, fields in events[:delivered]:
        if name == "token":
            text += fields["content"]
        elif name == "reasoning":
            reasoning += fields["content"]
        elif name == "tool_start":
            old = calls.get(fields["tool_call_id"])
            calls[fields["tool_call_id"]] = ToolCall(
                fields["tool_call_id"], fields["tool"], fields["input"], old.result if old else None
            )
        elif name == "tool_end":
            old = calls.get(fields["tool_call_id"])
            calls[fields["tool_call_id"]] = ToolCall(
                fields["tool_call_id"],
                fields["tool"],
                old.input if old else {},
                fields["result"],
            )
        elif name == "run_done":
            run_id = fields["run_id"]
            if not any(n == "token" for n, _ in events) and fields["content"]:
                text = fields["content"]
    return Snapshot(text, reasoning, list(calls.values()), run_id)


# -- The runtimes -----------------------------------------------------------------------------


class Runtime:
    """Runs a move for one client kind: directly (blocking) or in an event loop (async)."""

    moves: Any = sync_moves

    def start(self) -> None:
        pass

    def call(self, move: Callable[..., Any], *args: Any) -> Any:
        return move(*args)

    def stop(self) -> None:
        pass


class LoopRuntime(Runtime):
    """The async client, in an event loop running in a thread of its own (anyio's portal)."""

    moves = async_moves

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._exit = ExitStack()
        self._portal: BlockingPortal | None = None

    def start(self) -> None:
        manager: AbstractContextManager[BlockingPortal] = start_blocking_portal(self.backend)
        self._portal = self._exit.enter_context(manager)

    def call(self, move: Callable[..., Any], *args: Any) -> Any:
        assert self._portal is not None
        if getattr(move, "__name__", "") == "make_client":
            return move(*args)
        return self._portal.call(move, *args)

    def stop(self) -> None:
        self._exit.close()


# -- The machine -----------------------------------------------------------------------------


class StreamMachine(RuleBasedStateMachine):
    runtime: Runtime

    def __init__(self) -> None:
        super().__init__()
        self.runtime.start()
        self.stream: Any = None
        self.client: Any = None
        #: How many of the run's events have been delivered (None: unknown, after a failure
        #: inside until_done(), which delivers without showing what).
        self.delivered: int | None = 0
        self.closed = False
        self.failed = False
        self.requests_at_close = 0

    @initialize(scenario=scenarios())
    def open(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.events = scenario.events
        self.server = Server(scenario)
        # A budget the scripted breaks cannot spend: a give-up is never expected.
        retries = len(scenario.responses) + 1
        self.client = self.runtime.call(self.runtime.moves.make_client, self.server, retries)
        self.stream = self.client.messages.stream("conv_1", "hi")

    def teardown(self) -> None:
        try:
            if self.stream is not None:
                self.runtime.call(self.runtime.moves.close_all, self.stream, self.client)
        finally:
            self.runtime.stop()

    # -- bookkeeping --

    @property
    def done(self) -> bool:
        return self.delivered == len(self.events)

    def deliver(self, got: StreamEvent) -> None:
        """`got` was delivered: it must be the run's next event."""
        assert self.delivered is not None and not self.closed
        assert self.delivered < len(self.events), f"delivered past the final event: {got!r}"
        assert got == _typed(self.events[self.delivered]), (self.delivered, got)
        self.delivered += 1

    def ended(self, error: BaseException | None) -> None:
        """A reader ended early (no error: the loop just stopped) or raised `error`."""
        if error is None:
            assert self.closed or self.failed or self.done, "a loop ended before the run did"
            return
        assert isinstance(error, PhosonError), f"not a PhosonError: {error!r}"
        if isinstance(error, RunFailedError):
            assert self.done and self.events[-1][0] == "error"
            return
        if isinstance(error, IncompleteStreamError):
            # Only a run whose ids do not allow resuming may end early.
            assert self.scenario.ids != "all", f"gave up on a resumable stream: {error}"
            self.failed = True
            return
        assert self.closed or self.failed, f"unexpected error: {error!r}"

    def read(self, move: Callable[..., Any], k: int, out: list[Any]) -> BaseException | None:
        try:
            self.runtime.call(move, self.stream, k, out)
        except ExceptionGroup as group:  # the move's own task group (agather), not the SDK
            assert len(group.exceptions) == 1, group
            return group.exceptions[0]
        except Exception as error:
            return error
        return None

    # -- the caller's moves --

    @rule(k=st.integers(1, 4))
    def events_then_break(self, k: int) -> None:
        out: list[StreamEvent] = []
        error = self.read(self.runtime.moves.take_events, k, out)
        for event in out:
            self.deliver(event)
        if error is not None or len(out) < k:
            self.ended(error)

    @rule(k=st.integers(1, 3))
    def text_then_break(self, k: int) -> None:
        out: list[str] = []
        error = self.read(self.runtime.moves.take_text, k, out)
        for piece in out:
            # text_stream takes events up to the next one with text: a token, or a run_done
            # carrying the reply when no token came.
            assert self.delivered is not None and not self.closed
            while True:
                assert self.delivered < len(self.events), f"text past the run: {piece!r}"
                name, fields = self.events[self.delivered]
                self.delivered += 1
                had_tokens = any(n == "token" for n, _ in self.events[: self.delivered - 1])
                if name == "token" or (name == "run_done" and not had_tokens and fields["content"]):
                    assert piece == fields["content"]
                    break
        if error is None and len(out) < k and not (self.closed or self.failed or self.done):
            # The loop ended: everything up to the final event was taken, and it was run_done
            # (an error event raises).
            assert self.delivered is not None
            self.delivered = len(self.events)
            assert self.events[-1][0] == "run_done"
        elif error is not None:
            if isinstance(error, RunFailedError) and self.delivered is not None:
                self.delivered = len(self.events)  # it took the error event
            elif isinstance(error, IncompleteStreamError):
                self.delivered = None  # events without text may have been taken
            self.ended(error)

    @rule(k=st.integers(1, 4))
    def raw_then_break(self, k: int) -> None:
        out: list[Any] = []
        error = self.read(self.runtime.moves.take_raw, k, out)
        for sse in out:
            assert self.delivered is not None and not self.closed
            assert self.delivered < len(self.events), f"raw event past the run: {sse!r}"
            index = self.delivered
            name, fields = self.events[index]
            assert sse.event == ("message" if index in self.scenario.untyped else name)
            assert json.loads(sse.data) == (
                {"type": name, **fields} if index in self.scenario.untyped else fields
            )
            assert sse.id == _id(self.scenario, index)
            self.delivered += 1
        if error is not None or len(out) < k:
            self.ended(error)

    @rule()
    def until_done(self) -> None:
        try:
            final = self.runtime.call(self.runtime.moves.until_done, self.stream)
        except Exception as error:
            assert isinstance(error, PhosonError), f"not a PhosonError: {error!r}"
            if isinstance(error, RunFailedError):
                assert not self.closed or self.done
                assert self.events[-1][0] == "error"
                self.delivered = len(self.events)
            elif self.closed or self.failed:
                assert not self.done
            else:
                assert isinstance(error, IncompleteStreamError), repr(error)
                assert self.scenario.ids != "all", f"gave up on a resumable stream: {error}"
                self.failed = True
                self.delivered = None
            return
        assert self.delivered is not None
        assert not self.failed
        assert not self.closed or self.done, "until_done() returned after close()"
        self.delivered = len(self.events)
        assert final == _typed(self.events[-1])

    @rule()
    def close_here(self) -> None:
        self.runtime.call(self.runtime.moves.close, self.stream)
        self.closed_now()

    @rule(k=st.integers(1, 4))
    def close_from_elsewhere_while_reading(self, k: int) -> None:
        out: list[StreamEvent] = []
        error = self.read(self.runtime.moves.take_events_while_closed, k, out)
        for event in out:
            self.deliver(event)
        self.closed_now()
        if error is not None:
            self.ended(error)

    def closed_now(self) -> None:
        if not self.closed:
            self.closed = True
            self.requests_at_close = len(self.server.requests)

    @precondition(lambda self: self.delivered is not None and not self.closed)
    @rule(k=st.integers(1, 4))
    def events_while_another_thread_reads_the_snapshots(self, k: int) -> None:
        assert self.delivered is not None
        before = self.delivered
        seen: list[Snapshot] = []
        stop = threading.Event()

        def look() -> None:
            while not stop.is_set():
                stream = self.stream
                seen.append(
                    Snapshot(stream.text, stream.reasoning, stream.tool_calls, stream.run_id)
                )

        watcher = threading.Thread(target=look)
        watcher.start()
        try:
            self.events_then_break(k)
        finally:
            stop.set()
            watcher.join()
        after = self.delivered
        # Each snapshot read alone shows a state between the step's start and end (the four
        # are read one after another, so together they may come from different moments).
        possible = [expected_snapshot(self.events, n) for n in range(before, after + 1)]
        for snapshot in seen:
            assert snapshot.text in [p.text for p in possible], snapshot
            assert snapshot.reasoning in [p.reasoning for p in possible], snapshot
            assert snapshot.tool_calls in [p.tool_calls for p in possible], snapshot
            assert snapshot.run_id in [p.run_id for p in possible], snapshot

    # -- the contract, after every step --

    @invariant()
    def snapshots_hold_the_events_delivered(self) -> None:
        if self.stream is None or self.delivered is None:
            return
        stream = self.stream
        got = Snapshot(stream.text, stream.reasoning, stream.tool_calls, stream.run_id)
        assert got == expected_snapshot(self.events, self.delivered)

    @invariant()
    def no_request_after_close_nor_beyond_the_script(self) -> None:
        if self.stream is None:
            return
        if self.closed:
            assert len(self.server.requests) == self.requests_at_close
        assert len(self.server.requests) <= len(self.scenario.responses) + 1


def _run(runtime: Runtime, n: int, full: int) -> None:
    machine = type("Machine", (StreamMachine,), {"runtime": runtime})
    # (an untyped function in the lowest hypothesis this project allows)
    run_state_machine_as_test(  # type: ignore[no-untyped-call, unused-ignore]
        machine,
        settings=settings(
            max_examples=budget.examples(n, full=full), stateful_step_count=12, deadline=None
        ),
    )


def test_stream_machine_blocking_client() -> None:
    """The contract holds for PhosonClient's streams, close() from another thread included."""
    _run(Runtime(), 150, full=300)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_stream_machine_async_client(backend: str) -> None:
    """The contract holds for AsyncPhosonClient's streams under asyncio and trio, close() from
    another task included."""
    _run(LoopRuntime(backend), 150, full=300)
