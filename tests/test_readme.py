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
import os
import re
import subprocess
import sys
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


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_readme_cli_examples_run(server: LocalPhosonServer, tmp_path: Path) -> None:
    """Every `phoson ...` line of the Command line section runs against the local server (the
    placeholder ids replaced by real ones) and exits 0."""
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        agent = client.agents.create(name="Readme", description="runs the README")
        conv = client.conversations.create(agent_id=agent.id)
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section("Command line"), re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if "phoson " in command:
                commands.append(command.replace("agt_123", agent.id).replace("conv_123", conv.id))
    assert len(commands) >= 6
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOSON_")}
    env.update(PHOSON_API_KEY=server.api_key, PHOSON_BASE_URL=server.url)
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    for command in commands:
        if "--local" in command:
            command = command.replace(
                "phoson ", "env -u PHOSON_API_KEY -u PHOSON_BASE_URL phoson ", 1
            )
        result = subprocess.run(
            ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip(), command


def test_readme_first_command_prints_tokens_and_run_id_offline() -> None:
    """`uv run python examples/quickstart.py`, with no key set, streams tokens and a run id
    from a local server it starts itself (and says so on stderr)."""
    assert "uv run python examples/quickstart.py" in section("The two commands")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOSON_")}
    root = README.parent
    for script in ("examples/quickstart.py", "examples/quickstart_sync.py"):
        result = subprocess.run(
            [sys.executable, script], cwd=root, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "using a local server" in result.stderr
        assert "You said: Hello, how are you?" in result.stdout
        assert re.search(r"\n\nRun ID: run_[0-9a-f]+\n$", result.stdout), result.stdout
