"""Test-suite seams between the two clients' tests (build_sync.py renames the `a` names).

`agather` runs jobs as tasks in one event loop; `gather` runs them on threads, as a Django
server would. `acheckpoint` lets the event loop run pending callbacks (such as closing an
abandoned stream); `checkpoint` has nothing to wait for.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeAlias, TypeVar

import anyio
import anyio.lowlevel

T = TypeVar("T")

#: A job for `agather`: a function returning an awaitable.
AJob: TypeAlias = Callable[[], Awaitable[T]]
#: A job for `gather`: a plain function.
Job: TypeAlias = Callable[[], T]

__all__ = [
    "AJob",
    "Job",
    "acheckpoint",
    "agather",
    "apoll_until",
    "checkpoint",
    "gather",
    "poll_until",
]


async def agather(jobs: list[AJob[T]], *, limit: int | None = None) -> list[T]:
    """Run every job concurrently in this event loop; results in job order."""
    results: list[T | None] = [None] * len(jobs)

    async def run(index: int, job: AJob[T]) -> None:
        results[index] = await job()

    async with anyio.create_task_group() as group:
        for index, job in enumerate(jobs):
            group.start_soon(run, index, job)
    return results  # type: ignore[return-value]


def gather(jobs: list[Job[T]], *, limit: int | None = None) -> list[T]:
    """Run every job on a pool of threads (`limit` of them, default 16); results in job order."""
    with ThreadPoolExecutor(max_workers=limit or 16) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


async def acheckpoint() -> None:
    """Give the event loop a few turns to run what was scheduled."""
    for _ in range(3):
        await anyio.lowlevel.checkpoint()


def checkpoint() -> None:
    """Nothing is ever pending in blocking code."""


async def apoll_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Let the event loop run until `condition()` holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await anyio.sleep(0.01)
    return True


def poll_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Wait until `condition()` holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
