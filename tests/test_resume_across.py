"""Resume tokens across client kinds and processes: a run started by one client (or a process
that is then killed) is finished by another, which receives exactly the rest of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import anyio
import pytest

from phoson import AsyncPhosonClient, PhosonClient, StreamEvent
from phoson.testing import LocalPhosonServer

MESSAGE = "alpha beta gamma delta epsilon zeta"


def described(events: list[StreamEvent]) -> list[tuple[str, object]]:
    return [(e.type, getattr(e, "content", None)) for e in events]


def whole_run(client: PhosonClient) -> list[StreamEvent]:
    """Every event of an uninterrupted run of MESSAGE (the local model is deterministic)."""
    return list(client.messages.stream(conversation(client), MESSAGE))


def conversation(client: PhosonClient) -> str:
    agent = client.agents.create(name="resume", description="across")
    return client.conversations.create(agent.id).id


def test_blocking_token_resumed_by_async_client(server: LocalPhosonServer) -> None:
    """A token from the blocking client's stream is resumed by the async client: the two
    together deliver the run once, and the server created one run for it."""
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        whole = whole_run(client)
        conv = conversation(client)
        with client.messages.stream(conv, MESSAGE) as stream:
            first = [next(stream) for _ in range(3)]
            token = stream.resume_token
    assert token is not None
    runs_before = server.stats.runs_created

    async def resume() -> list[StreamEvent]:
        async with AsyncPhosonClient(api_key=server.api_key, base_url=server.url) as other:
            return [e async for e in other.messages.resume(token)]

    rest = anyio.run(resume)
    assert described(first + rest) == described(whole)
    assert server.stats.runs_created == runs_before


def test_async_token_resumed_by_blocking_client(server: LocalPhosonServer) -> None:
    """A token from the async client's stream is resumed by the blocking client."""

    async def start() -> tuple[list[StreamEvent], str | None]:
        async with AsyncPhosonClient(api_key=server.api_key, base_url=server.url) as client:
            agent = await client.agents.create(name="resume", description="across")
            conv = (await client.conversations.create(agent.id)).id
            async with client.messages.stream(conv, MESSAGE) as stream:
                first = [await stream.__anext__() for _ in range(2)]
                return first, stream.resume_token

    first, token = anyio.run(start)
    assert token is not None
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        whole = whole_run(client)
        rest = list(client.messages.resume(token))
    assert described(first + rest) == described(whole)
    assert server.stats.runs_created == 2  # the interrupted run and whole_run's


#: Process A: starts the run, reads some events, prints the token, then waits to be killed.
PROCESS_A = textwrap.dedent(
    """
    import sys, time
    from phoson import PhosonClient

    url, key, conv, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = PhosonClient(api_key=key, base_url=url)
    stream = client.messages.stream(conv, sys.argv[5])
    for _ in range(count):
        next(stream)
    print(stream.resume_token, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("count", [1, 4])
def test_killed_process_run_is_finished_by_another(server: LocalPhosonServer, count: int) -> None:
    """Process A streams, reads `count` events, stores its token and is killed with SIGKILL;
    process B (this one) resumes from the token and receives exactly the rest of the run: no
    event repeated or lost, no second run. B's snapshot holds the events from the token on;
    run_done.content is the whole reply."""
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        whole = whole_run(client)
        conv = conversation(client)
    runs_before = server.stats.runs_created
    args = [server.url, server.api_key, conv, str(count), MESSAGE]
    with subprocess.Popen(
        [sys.executable, "-c", PROCESS_A, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    ) as process_a:
        try:
            assert process_a.stdout is not None
            token = process_a.stdout.readline().strip()
        finally:
            process_a.send_signal(signal.SIGKILL)
            process_a.wait(30)
    assert process_a.returncode == -signal.SIGKILL
    assert token.startswith("phr1.")
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        stream = client.messages.resume(token)
        rest = list(stream)
    assert described(rest) == described(whole[count:])
    assert server.stats.runs_created == runs_before + 1
    done = rest[-1]
    assert done.type == "run_done" and done.content == whole[-1].content  # type: ignore[union-attr]
    assert stream.text == "".join(e.content for e in rest if e.type == "token")
