"""The admission gates in front of the connection pool (phoson/_admission.py): FIFO turns, no
place lost to a timeout or a cancellation, and a closed gate turns waiters away."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from phoson._admission import (
    WAIT_WATCHER,
    AdmissionGate,
    AsyncAdmissionGate,
    GateClosed,
    GateInterrupted,
    GateTimeout,
    _Queue,
    _Waiter,
)


@given(st.integers(1, 4), st.lists(st.sampled_from(["enter", "leave", "give_up"]), max_size=80))
def test_queue_never_overfills_and_serves_in_order(slots: int, operations: list[str]) -> None:
    """Whatever mix of arrivals, departures and give-ups, at most `slots` hold a place at once,
    waiters are admitted in arrival order, and once everyone has left every place is free."""
    queue = _Queue(slots)
    holders: list[int] = []
    queued: dict[int, _Waiter] = {}
    from_queue: list[int] = []

    def woken(number: int) -> None:
        del queued[number]
        holders.append(number)
        from_queue.append(number)

    for arrival, operation in enumerate(operations):
        if operation == "enter":
            if queue.try_enter():
                holders.append(arrival)
            else:
                queued[arrival] = _Waiter(partial(woken, arrival))
                queue.waiters.append(queued[arrival])
        elif operation == "leave" and holders:
            holders.pop(0)
            queue.leave()
        elif operation == "give_up" and queued:
            queued.pop(max(queued)).gave_up = True
        assert len(holders) <= slots and queue.in_use == len(holders)
        assert from_queue == sorted(from_queue)
    while holders:
        holders.pop()
        queue.leave()
    assert not queued and queue.free == slots


async def test_async_gate_admits_in_arrival_order() -> None:
    """Tasks that wait for a full gate are admitted one by one in the order they arrived."""
    gate = AsyncAdmissionGate(2)
    await gate.enter(None)
    await gate.enter(None)
    admitted: list[int] = []

    async def waiter(number: int) -> None:
        await gate.enter(None)
        admitted.append(number)

    async with anyio.create_task_group() as group:
        for number in range(50):
            group.start_soon(waiter, number)
            await anyio.wait_all_tasks_blocked()  # arrive in this order
        await anyio.wait_all_tasks_blocked()
        assert gate.waiting == 50 and admitted == []
        for _ in range(50):
            gate.leave()
            await anyio.wait_all_tasks_blocked()
    assert admitted == list(range(50))
    assert gate.in_use == 2


async def test_async_gate_timeout_and_cancellation_lose_no_place() -> None:
    """A waiter that times out raises GateTimeout and one that is cancelled leaves the queue;
    neither keeps or loses a place, and one admitted as it is cancelled hands its place on."""
    gate = AsyncAdmissionGate(1)
    await gate.enter(None)
    with pytest.raises(GateTimeout):
        await gate.enter(0.01)
    with anyio.move_on_after(0.01):
        await gate.enter(None)
    assert gate.waiting == 0
    gate.leave()
    await gate.enter(0)  # the one place is free again
    assert gate.in_use == 1

    # Admitted and then cancelled before it ran again: either its enter() returned (it holds
    # the place) or the place went back; never both, never neither.
    entered: list[int] = []

    async def enter() -> None:
        await gate.enter(None)
        entered.append(1)

    async with anyio.create_task_group() as group:
        group.start_soon(enter)
        await anyio.wait_all_tasks_blocked()
        gate.leave()  # admits the waiter...
        group.cancel_scope.cancel()  # ...which is cancelled before it runs again
    assert gate.in_use == len(entered)


async def test_async_gate_close_turns_waiters_away() -> None:
    """Closing the gate wakes every waiter with GateClosed and refuses newcomers."""
    gate = AsyncAdmissionGate(1)
    await gate.enter(None)
    outcomes: list[str] = []

    async def waiter() -> None:
        try:
            await gate.enter(None)
        except GateClosed:
            outcomes.append("closed")

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        gate.close()
    assert outcomes == ["closed"] * 3
    with pytest.raises(GateClosed):
        await gate.enter(None)


def test_thread_gate_admits_in_order_and_times_out() -> None:
    """Threads waiting at a full gate are admitted in arrival order; one that waits too long
    raises GateTimeout and keeps no place."""
    gate = AdmissionGate(1)
    gate.enter(None)
    admitted: list[int] = []

    def waiter(number: int) -> None:
        gate.enter(5)
        admitted.append(number)
        gate.leave()

    threads = []
    for number in range(20):
        thread = threading.Thread(target=waiter, args=(number,))
        thread.start()
        threads.append(thread)
        while gate.waiting < number + 1:
            time.sleep(0.001)
    gate.leave()
    for thread in threads:
        thread.join(5)
    assert admitted == list(range(20))
    gate.enter(0)
    with pytest.raises(GateTimeout):
        gate.enter(0.01)
    assert gate.waiting == 0 and gate.in_use == 1
    gate.close()
    with pytest.raises(GateClosed):
        gate.enter(None)


class _Watcher:
    """A stand-in for a blocking stream: holds the `stop` its waiting thread registered."""

    def __init__(self, closing: bool = False) -> None:
        self.stop: Callable[[], None] | None = None
        self.closing = closing
        self.watched = threading.Event()

    def watch(self, stop: Callable[[], None] | None) -> None:
        self.stop = stop
        if stop is not None:
            self.watched.set()
            if self.closing:
                stop()


def test_thread_gate_wait_ends_when_its_stream_is_closed() -> None:
    """A thread waiting at a full gate for a stream that is closed from another thread raises
    GateInterrupted at once (or before waiting, if the stream was closing already), gives up
    its place, and a later `leave()` admits the next waiter instead."""
    gate = AdmissionGate(1)
    gate.enter(None)
    outcome: list[str] = []

    def wait_for(watcher: _Watcher) -> None:
        WAIT_WATCHER.set(watcher)
        try:
            gate.enter(30)
            outcome.append("admitted")
        except GateInterrupted:
            outcome.append("interrupted")

    watcher = _Watcher()
    thread = threading.Thread(target=wait_for, args=(watcher,))
    thread.start()
    assert watcher.watched.wait(5)
    stop = watcher.stop
    assert stop is not None
    stop()
    stop()  # a second close changes nothing
    thread.join(5)
    assert outcome == ["interrupted"] and watcher.stop is None
    assert gate.waiting == 0 and gate.in_use == 1
    already = threading.Thread(target=wait_for, args=(_Watcher(closing=True),))
    already.start()
    already.join(5)
    assert outcome == ["interrupted"] * 2
    gate.leave()  # the place is free again, not handed to an interrupted waiter
    gate.enter(0)
    assert gate.in_use == 1
