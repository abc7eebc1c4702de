"""Every Python example in README.md runs, as written, against the local server.

A block runs as a script; a block with top-level `await` runs inside a coroutine. Blocks find
`client`, `agent`, `conv`, `agent_id` and `conversation_id` already made (the README's
fragments assume them), and `PHOSON_API_KEY`/`PHOSON_BASE_URL` point at the local server. A
block preceded by `<!-- not run: reason -->` is skipped (signatures, not programs).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from phoson import AsyncPhosonClient, PhosonClient
from phoson.testing import LocalPhosonServer

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- not run: [^>]+-->\s*)?```python\n(.*?)```", re.S)


def blocks() -> list[tuple[int, str, bool]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start(2)) + 1
        found.append((line, match.group(2), match.group(1) is None))
    return found


def compile_block(code: str, filename: str) -> tuple[CodeType, bool]:
    """Compile a block, allowing top-level `await`; say whether it needs an event loop."""
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return compiled, bool(compiled.co_flags & inspect.CO_COROUTINE)


def test_readme_has_runnable_examples() -> None:
    """The README's examples are found, and only a few signature blocks are exempt."""
    found = blocks()
    assert len([b for b in found if b[2]]) >= 5
    assert len([b for b in found if not b[2]]) <= 2


@pytest.mark.parametrize(("line", "code", "runnable"), blocks(), ids=lambda v: str(v)[:8])
def test_readme_example_runs(
    line: int,
    code: str,
    runnable: bool,
    server: LocalPhosonServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README block at this line runs to the end against the local server."""
    if not runnable:
        pytest.skip("marked as not a program")
    monkeypatch.setenv("PHOSON_API_KEY", server.api_key)
    monkeypatch.setenv("PHOSON_BASE_URL", server.url)
    with PhosonClient() as setup:
        agent = setup.agents.create(name="Readme", description="runs the README")
        setup.agents.attach_mcp(agent.id, "mcp_weather")
        conv = setup.conversations.create(agent_id=agent.id, title="Readme")
    namespace: dict[str, Any] = {
        "__name__": "__readme__",
        "agent": agent,
        "conv": conv,
        "agent_id": agent.id,
        "conversation_id": conv.id,
    }
    compiled, needs_loop = compile_block(code, f"README.md:{line}")
    if needs_loop:

        async def run() -> None:
            async with AsyncPhosonClient() as client:
                namespace["client"] = client
                await eval(compiled, namespace)

        asyncio.run(run())
    else:
        with PhosonClient() as client:
            namespace["client"] = client
            exec(compiled, namespace)
    output = capsys.readouterr().out
    if "Run ID" in code or "run_id" in code:
        assert re.search(r"(Run ID|Done\. Run ID): run_\w+", output), output
    if "print(e.status_code)" in code:
        assert output.splitlines()[:2] == ["404", "Agent not found"]
