"""Every Python block of README.md and docs/*.md runs, as written, against the local server.

The README says at its top how to run them ("Trying the examples"), and this test does the same:

- a **fragment**, a block with top-level `await` (or `async for`/`async with`), runs after the
  README's prelude, the block marked `<!-- prelude -->` (it makes `client`, an
  `AsyncPhosonClient`, and `agent` and `conv` with it), both in one asyncio runner, as
  `python -m asyncio` runs them typed at its prompt; both must also paste at that prompt as
  3.11 and 3.12 read it, line by line (an empty line after each indented block);
- any other block is a **program**: it runs alone in a fresh namespace (`__name__` is
  `"__main__"`), as `python file.py` would, so it imports and makes everything it uses.

PHOSON_API_KEY and PHOSON_BASE_URL point at the local server, as the README's "No account yet"
says to set them. A block preceded by `<!-- not run: reason -->` is skipped (signatures, pytest
modules): the reason is required, and `test_every_python_block_is_found` checks that no Python
block escapes (an indented fence, `py` or `python3` as its language).
"""

from __future__ import annotations

import ast
import asyncio
import codeop
import inspect
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phoson import AsyncPhosonClient, PhosonClient
from phoson.testing import LocalPhosonServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The documents whose Python blocks run: the README and every page under docs/.
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
#: A fenced block at the start of a line, with its language and text.
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
#: The marker on the line before a fence: `<!-- not run: reason -->` or `<!-- prelude -->`.
MARKER = re.compile(r"<!--\s*(?P<kind>not run|prelude)\s*(?::\s*(?P<reason>[^>]*?))?\s*-->\s*\Z")
#: The names the prelude makes for the fragments.
PRELUDE_NAMES = ("client", "agent", "conv")


@dataclass(frozen=True)
class Block:
    """One fenced Python block: where it is, its code, and how it runs."""

    document: Path
    line: int  # of its first line of code
    code: str
    kind: str  # "program", "fragment", "prelude" or "not run"
    reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The Python blocks of one document, in order."""
    text = document.read_text(encoding="utf-8")
    found: list[Block] = []
    for fence in FENCE.finditer(text):
        if fence["lang"].strip() != "python":
            continue
        line = text.count("\n", 0, fence.start("code")) + 1
        before = text[max(0, fence.start() - 300) : fence.start()]
        marker = MARKER.search(before)
        code = fence["code"]
        if marker is not None:
            kind, reason = marker["kind"], (marker["reason"] or "").strip()
        else:
            kind, reason = ("fragment" if needs_a_loop(code) else "program"), ""
        found.append(Block(document, line, code, kind, reason))
    return found


def all_blocks() -> list[Block]:
    return [block for document in DOCUMENTS for block in blocks(document)]


def needs_a_loop(code: str) -> bool:
    """Whether the block has top-level `await`, `async for` or `async with`."""
    compiled = compile(code, "<block>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return bool(compiled.co_flags & inspect.CO_COROUTINE)


def prelude() -> Block:
    (found,) = [block for block in blocks(README) if block.kind == "prelude"]
    return found


async def run_in_loop(block: Block, namespace: dict[str, Any]) -> None:
    """Run a block the way `python -m asyncio` runs what is typed at its prompt."""
    compiled = compile(block.code, block.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):
        await result


def paste_problem(block: Block) -> str | None:
    """What goes wrong when the block is pasted at the `python -m asyncio` prompt of Python
    3.11 and 3.12, which read a paste line by line: an indented block ends only at an empty
    line (so a statement right after one is a SyntaxError, and an empty line inside one ends
    it early). None when it pastes cleanly."""
    compiler = codeop.CommandCompiler()
    compiler.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    buffer: list[str] = []
    for number, line in enumerate([*block.code.splitlines(), ""], start=block.line):
        buffer.append(line)
        try:
            compiled = compiler("\n".join(buffer), "<stdin>", "single")
        except SyntaxError as error:
            return f"{block.document.name}:{number}: {error.msg} (an empty line is needed, or unwanted)"
        if compiled is not None:
            buffer = []
    return None


def run_fragment(block: Block) -> None:
    """The prelude, then the fragment, in one event loop and one namespace."""

    async def main() -> None:
        namespace: dict[str, Any] = {"__name__": "__main__"}
        try:
            await run_in_loop(prelude(), namespace)
            await run_in_loop(block, namespace)
        finally:
            client = namespace.get("client")
            if isinstance(client, AsyncPhosonClient):
                await client.close()

    asyncio.run(main())


def run_program(block: Block) -> None:
    """The block alone, as a script."""
    compiled = compile(block.code, block.name, "exec")
    try:
        exec(compiled, {"__name__": "__main__"})
    except NameError as error:
        if error.name in PRELUDE_NAMES:
            pytest.fail(
                f"{block.name} uses `{error.name}` but has no top-level `await`, so it runs "
                "alone as a program: write it as a fragment (with `await`; it then runs after "
                "the README's prelude) or make it whole (import and create what it uses)"
            )
        raise


def test_every_python_block_is_found() -> None:
    """Every Python block of the docs is collected (none hides behind another language tag or
    an indented fence), the README has exactly one prelude and many runnable blocks, and each
    skipped block says why."""
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        openers = re.findall(r"^[ \t]*```[ \t]*(py\w*|python\w*)", text, re.M | re.I)
        assert [lang for lang in openers if lang != "python"] == [], document
        assert len(openers) == len(blocks(document)), (document, "an indented ```python fence?")
    found = all_blocks()
    assert [block.name for block in found if block.kind == "prelude"] == [prelude().name]
    assert prelude().document == README
    assert set(PRELUDE_NAMES) <= set(re.findall(r"^(\w+) = ", prelude().code, re.M))
    assert len([block for block in found if block.kind in ("program", "fragment")]) >= 15
    for block in found:
        if block.kind == "not run":
            assert block.reason, f"{block.name}: say why it does not run"


@pytest.mark.parametrize(
    "block",
    [block for block in all_blocks() if block.kind != "prelude"],
    ids=lambda block: block.name,
)
def test_doc_block_runs(
    block: Block,
    server: LocalPhosonServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The block runs to the end against the local server: a fragment after the README's
    prelude in one event loop, a program alone; what it prints is what it says."""
    if block.kind == "not run":
        pytest.skip(f"not run: {block.reason}")
    monkeypatch.setenv("PHOSON_API_KEY", server.api_key)
    monkeypatch.setenv("PHOSON_BASE_URL", server.url)
    if block.kind == "fragment":
        assert paste_problem(prelude()) is None
        assert paste_problem(block) is None, "pasted at the asyncio prompt"
        run_fragment(block)
    else:
        run_program(block)
    output = capsys.readouterr().out
    if "Run ID" in block.code:
        assert re.search(r"(Run ID|Done\. Run ID): run_\w+", output), output
    if "print(e.status_code)" in block.code:
        assert output.splitlines()[:2] == ["404", "Agent not found"]
    if "get_finished_spans" in block.code:  # the tracing example prints what its comments say
        shown = re.findall(r"^# (.*)$", block.code.split("get_finished_spans", 1)[1], re.M)
        assert [line.replace("run_...", "run_") for line in shown] == [
            re.sub(r"run_\w+", "run_", line) for line in output.splitlines()
        ]


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_readme_lists_every_client_option() -> None:
    """The constructor signature in "The clients" and its `with_options(...)` list name every
    parameter the two clients take, in the order they take them."""
    clients = section("The clients")
    signature = re.search(r"```python\nAsyncPhosonClient\(\n(.*?)\)\n```", clients, re.S)
    assert signature is not None
    documented = re.findall(r"^    (\w+):", signature[1], re.M)
    listed = re.search(r"`with_options\(([^)]*)\)`", clients)
    assert listed is not None
    documented_copy = re.findall(r"(\w+)=", listed[1])
    for cls in (AsyncPhosonClient, PhosonClient):
        taken = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        assert documented == taken, cls
        copy = [p for p in inspect.signature(cls.with_options).parameters if p != "self"]
        assert documented_copy == copy, cls


def shell_environment(server: LocalPhosonServer) -> dict[str, str]:
    """A shell's environment with the `phoson` command on PATH, set for the local server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOSON_")}
    env.update(PHOSON_API_KEY=server.api_key, PHOSON_BASE_URL=server.url)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_readme_cli_examples_run(server: LocalPhosonServer) -> None:
    """Each shell block of the "Command line" section runs as written, as one bash script
    (`set -eo pipefail`: every command must exit 0), against the local server: ids come
    from the commands that make them, as the README shows, not from placeholders."""
    scripts = re.findall(r"```bash\n(.*?)```", section("Command line"), re.S)
    assert scripts
    commands = [line for script in scripts for line in script.splitlines() if "phoson " in line]
    assert len(commands) >= 8
    for script in scripts:
        assert not re.search(r"\b(agt|conv|run)_1?23\b", script), "a placeholder id: " + script
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script],
            env=shell_environment(server),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (script, result.stderr)
        assert result.stdout.strip(), script


def test_readme_first_command_prints_tokens_and_run_id_offline() -> None:
    """`uv run python examples/quickstart.py`, with no key set, streams tokens and a run id
    from a local server it starts itself (and says so on stderr)."""
    assert "uv run python examples/quickstart.py" in section("The two commands")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOSON_")}
    for script in ("examples/quickstart.py", "examples/quickstart_sync.py"):
        result = subprocess.run(
            [sys.executable, script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "using a local server" in result.stderr
        assert "You said: Hello, how are you?" in result.stdout
        assert re.search(r"\n\nRun ID: run_[0-9a-f]+\n$", result.stdout), result.stdout


def test_the_readme_performance_ratios_are_the_recorded_runs() -> None:
    """Every ratio the README's Performance section states (`1.40x`, `48x`) is one of the
    recorded run's in bench/README.md's results table, to the README's precision: the
    README quotes measurements, never hopes."""
    results = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    table = results[results.index("<!-- bench-results:start -->") :]
    recorded = [float(ratio) for ratio in re.findall(r"(\d+(?:\.\d+)?)x\b", table)]
    stated = re.findall(r"(\d+(?:\.(\d+))?)x\b", section("Performance"))
    assert len(stated) >= 10
    for ratio, decimals in stated:
        places = len(decimals)
        assert any(round(value, places) == float(ratio) for value in recorded), ratio


def test_the_quick_starts_run_again_without_piling_up_agents(
    server: LocalPhosonServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run twice against one account, each quick start (async and blocking) makes its agent
    once and reuses it: one "My Assistant" agent, one conversation per run."""
    from examples import quickstart, quickstart_sync

    for _ in range(2):
        asyncio.run(quickstart.main(server.api_key, server.url))
        quickstart_sync.main(server.api_key, server.url)
    assert capsys.readouterr().out.count("Run ID: run_") == 4
    with PhosonClient(api_key=server.api_key, base_url=server.url) as client:
        (agent,) = client.agents.list()
        assert agent.name == "My Assistant"
        assert len(client.conversations.list(agent_id=agent.id)) == 4
