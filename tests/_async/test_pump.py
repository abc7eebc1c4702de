"""phoson._pump: the relay's background reader hands its items to the body one at a time. Under
any interleaving of the two sides, timeouts and an early close, the body gets the items in
order, none twice, none lost (all of them unless it closed first), and a closed pump stops its
producer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson._pump import ENDED, AsyncPump
from tests.budget import examples
from tests.concurrency import acheckpoint

#: Waits of the consumer: 0 (a poll, usually empty), short ones that often time out, long ones.
WAITS = st.lists(st.sampled_from([0.0, 0.0005, 0.005, 1.0]), min_size=1, max_size=8)


@settings(max_examples=examples(25))
@given(
    count=st.integers(0, 12),
    yields=st.lists(st.booleans(), min_size=1, max_size=8),
    waits=WAITS,
    close_after=st.none() | st.integers(0, 12),
)
async def test_every_item_once_in_order(
    count: int, yields: list[bool], waits: list[float], close_after: int | None
) -> None:
    """The body receives 0, 1, 2, ... in order with no gap or repeat; all `count` unless it
    closed first; after a close the producer's next put says stop."""
    pump: AsyncPump[int] = AsyncPump()
    stopped: list[int] = []

    async def produce() -> None:
        for item in range(count):
            if yields[item % len(yields)]:
                await acheckpoint()
            if not await pump.put(item):
                stopped.append(item)
                return

    pump.start(produce)
    got: list[int] = []
    turn = 0
    while True:
        if close_after is not None and len(got) == close_after:
            pump.close()
            break
        item = await pump.get(waits[turn % len(waits)])
        turn += 1
        if item is ENDED:
            break
        if isinstance(item, int):
            got.append(item)
    assert got == list(range(len(got)))
    if close_after is None or close_after >= count:
        assert got == list(range(count))


async def test_the_producers_failure_reaches_the_body() -> None:
    """An exception in the producer is raised by the body's next get, after the items before
    it."""
    pump: AsyncPump[int] = AsyncPump()

    async def produce() -> None:
        await pump.put(1)
        raise RuntimeError("reader broke")

    pump.start(produce)
    assert await pump.get(5.0) == 1
    with pytest.raises(RuntimeError, match="reader broke"):
        while await pump.get(5.0) is None:
            pass
