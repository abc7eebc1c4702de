"""The docs' Quick Start with AsyncPhosonClient: find or create an agent, start a conversation,
stream a reply, print the run id.

    uv run python examples/quickstart.py

With PHOSON_API_KEY set (and optionally PHOSON_BASE_URL) it talks to that API. Without a key
it starts phoson.testing.LocalPhosonServer on this machine and runs the same code against it.
"""

from __future__ import annotations

import asyncio

from phoson import AsyncPhosonClient
from phoson.testing import configured_or_local


async def main(api_key: str, base_url: str | None) -> None:
    async with AsyncPhosonClient(api_key=api_key, base_url=base_url) as client:
        # 1. The agent: the one named "My Assistant" if there is one, else a new one (so
        #    running this again leaves no pile of agents on your account)
        agents = await client.agents.list()
        agent = next((a for a in agents if a.name == "My Assistant"), None)
        if agent is None:
            agent = await client.agents.create(
                name="My Assistant",
                description="A helpful assistant",
                memory_type="persistent",
            )

        # 2. Start a conversation
        conv = await client.conversations.create(agent_id=agent.id, title="Hello")

        # 3. Stream a response
        async for event in client.messages.stream(conv.id, "Hello, how are you?"):
            if event.type == "token":
                print(event.content, end="", flush=True)
            elif event.type == "run_done":
                print(f"\n\nRun ID: {event.run_id}")


if __name__ == "__main__":
    # The API named by PHOSON_API_KEY / PHOSON_BASE_URL, or else a local server.
    with configured_or_local() as (api_key, base_url):
        asyncio.run(main(api_key, base_url))
