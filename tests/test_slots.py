"""The slot queues in front of the connection pool (phoson/_slots.py): FIFO turns, no
place lost to a timeout or a cancellation, and a closed queue turns waiters away."""

# White-box test: exercises the slot queue's internal counters and waiters.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from phoson._slots import AsyncSlotQueue, SlotQueue, SlotsClosed, SlotTimeout, _SlotCount, _Waiter
from phoson._stream_closer import WAIT_WATCHER, WaitInterrupted


@given(st.integers(1, 4), st.lists(st.sampled_from(["enter", "leave", "give_up"]), max_size=80))
def test_queue_never_overfills_and_serves_in_order(slots: int, operations: list[str]) -> None:
    """Whatever mix of arrivals, departures and give-ups, at most `slots` hold a place at once,
    waiters are admitted in arrival order, and once everyone has left every place is free."""
    queue = _SlotCount(slots)
    holders: list[int] = []
    queued: dict[int, _Waiter] = {}
    from_queue: list[int] = []

    def woken(number: int) -> None:
        del queued[number]
        holders.append(number)
        from_queue.append(number)

    for arrival, operation in enumerate(operations):
        if operation == "enter":
            if queue.try_take():
                holders.append(arrival)
            else:
                queued[arrival] = _Waiter(partial(woken, arrival))
                queue.waiters.append(queued[arrival])
        elif operation == "leave" and holders:
            holders.pop(0)
            queue.give_back()
        elif operation == "give_up" and queued:
            queued.pop(max(queued)).gave_up = True
        assert len(holders) <= slots and queue.in_use == len(holders)
        assert from_queue == sorted(from_queue)
    while holders:
        holders.pop()
        queue.give_back()
    assert not queued and queue.free == slots


async def test_async_gate_admits_in_arrival_order() -> None:
    """Tasks that wait for a full queue are admitted one by one in the order they arrived."""
    slots = AsyncSlotQueue(2)
    await slots.take(None)
    await slots.take(None)
    admitted: list[int] = []

    async def waiter(number: int) -> None:
        await slots.take(None)
        admitted.append(number)

    async with anyio.create_task_group() as group:
        for number in range(50):
            group.start_soon(waiter, number)
            await anyio.wait_all_tasks_blocked()  # arrive in this order
        await anyio.wait_all_tasks_blocked()
        assert slots.waiting == 50 and admitted == []
        for _ in range(50):
            slots.give_back()
            await anyio.wait_all_tasks_blocked()
    assert admitted == list(range(50))
    assert slots.in_use == 2


async def test_async_gate_timeout_and_cancellation_lose_no_place() -> None:
    """A waiter that times out raises SlotTimeout and one that is cancelled leaves the queue;
    neither keeps or loses a place, and one admitted as it is cancelled hands its place on."""
    slots = AsyncSlotQueue(1)
    await slots.take(None)
    with pytest.raises(SlotTimeout):
        await slots.take(0.01)
    with anyio.move_on_after(0.01):
        await slots.take(None)
    assert slots.waiting == 0
    slots.give_back()
    await slots.take(0)  # the one place is free again
    assert slots.in_use == 1

    # Admitted and then cancelled before it ran again: either its take() returned (it holds
    # the place) or the place went back; never both, never neither.
    entered: list[int] = []

    async def enter() -> None:
        await slots.take(None)
        entered.append(1)

    async with anyio.create_task_group() as group:
        group.start_soon(enter)
        await anyio.wait_all_tasks_blocked()
        slots.give_back()  # admits the waiter...
        group.cancel_scope.cancel()  # ...which is cancelled before it runs again
    assert slots.in_use == len(entered)


async def test_async_gate_close_turns_waiters_away() -> None:
    """Closing the queue wakes every waiter with SlotsClosed and refuses newcomers."""
    slots = AsyncSlotQueue(1)
    await slots.take(None)
    outcomes: list[str] = []

    async def waiter() -> None:
        try:
            await slots.take(None)
        except SlotsClosed:
            outcomes.append("closed")

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        slots.close()
    assert outcomes == ["closed"] * 3
    with pytest.raises(SlotsClosed):
        await slots.take(None)


def test_thread_gate_admits_in_order_and_times_out() -> None:
    """Threads waiting at a full queue are admitted in arrival order; one that waits too long
    raises SlotTimeout and keeps no place."""
    slots = SlotQueue(1)
    slots.take(None)
    admitted: list[int] = []

    def waiter(number: int) -> None:
        slots.take(5)
        admitted.append(number)
        slots.give_back()

    threads: list[threading.Thread] = []
    for number in range(20):
        thread = threading.Thread(target=waiter, args=(number,))
        thread.start()
        threads.append(thread)
        while slots.waiting < number + 1:
            time.sleep(0.001)
    slots.give_back()
    for thread in threads:
        thread.join(5)
    assert admitted == list(range(20))
    slots.take(0)
    with pytest.raises(SlotTimeout):
        slots.take(0.01)
    assert slots.waiting == 0 and slots.in_use == 1
    slots.close()
    with pytest.raises(SlotsClosed):
        slots.take(None)


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
    """A thread waiting at a full queue for a stream that is closed from another thread raises
    WaitInterrupted at once (or before waiting, if the stream was closing already), gives up
    its place, and a later `give_back()` admits the next waiter instead."""
    slots = SlotQueue(1)
    slots.take(None)
    outcome: list[str] = []

    def wait_for(watcher: _Watcher) -> None:
        WAIT_WATCHER.set(watcher)
        try:
            slots.take(30)
            outcome.append("admitted")
        except WaitInterrupted:
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
    assert slots.waiting == 0 and slots.in_use == 1
    already = threading.Thread(target=wait_for, args=(_Watcher(closing=True),))
    already.start()
    already.join(5)
    assert outcome == ["interrupted"] * 2
    slots.give_back()  # the place is free again, not handed to an interrupted waiter
    slots.take(0)
    assert slots.in_use == 1
