"""The `phoson` command, run as `python -m phoson` against a real LocalPhosonServer.

Most tests start the command in a subprocess and check its stdout, stderr and exit status.
The --json forms and a few usage checks call `phoson._cli.main([...])` in-process instead: a
subprocess would prove nothing more there, and each one costs a good fraction of a second.
"""

# Reads argparse internals: walks argparse's subcommand actions, which have no public type.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from phoson import NotFoundError, PhosonClient
from phoson._cli import build_parser, main
from phoson.testing import LocalPhosonServer, reply_text

RUN_LINE = re.compile(r"run (run_\w+) · conversation (conv_\w+)")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def api() -> Iterator[LocalPhosonServer]:
    """One local server for this module's commands (they make their own objects)."""
    with LocalPhosonServer() as server:
        yield server


@pytest.fixture(scope="module")
def sdk(api: LocalPhosonServer) -> Iterator[PhosonClient]:
    """The SDK pointed at the same server, to set up and check what the commands did."""
    with PhosonClient(api_key=api.api_key, base_url=api.url) as client:
        yield client


def environment(api: LocalPhosonServer | None) -> dict[str, str]:
    """This process's environment without any PHOSON_* setting (plus the server's, if any)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PHOSON_")}
    env["PYTHONIOENCODING"] = "utf-8"
    if api is not None:
        env.update(PHOSON_API_KEY=api.api_key, PHOSON_BASE_URL=api.url)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "phoson", *args]


def ctrl_c_as_in_a_terminal() -> None:
    """For a command the tests send SIGINT: SIGINT as in a terminal's foreground job. A suite
    started as a background job (`pytest &`, or by a script) inherits SIGINT ignored, and
    Python then installs no KeyboardInterrupt handler in the command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def phoson(api: LocalPhosonServer | None, *args: str, stdin: str = "") -> Result:
    """Run `python -m phoson ARGS` to the end, configured for `api` through the environment."""
    done = subprocess.run(
        command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment(api),
        timeout=30,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def in_process(api: LocalPhosonServer, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run `main([...])` here, configured for `api` with the global options."""
    code = main(["--api-key", api.api_key, "--base-url", api.url, *args])
    out, err = capsys.readouterr()
    return Result(code, out, err)


Runner = Callable[..., Result]


@pytest.fixture
def cli(api: LocalPhosonServer, capsys: pytest.CaptureFixture[str]) -> Runner:
    """`main([...])` run in-process against `api`, as a function of the arguments."""

    def run(*args: str) -> Result:
        return in_process(api, capsys, *args)

    return run


def fields(text: str) -> dict[str, str]:
    """`key: value` lines as a dict."""
    return dict(line.split(": ", 1) for line in text.splitlines())


def table(text: str) -> list[list[str]]:
    """An aligned table's cells, row by row, after checking every cell starts under its
    column's header."""
    lines = text.splitlines()
    cells = [list(re.finditer(r"\S+(?: \S+)*", line)) for line in lines]
    starts = [cell.start() for cell in cells[0]]
    for row in cells[1:]:
        assert [cell.start() for cell in row] == starts, text
    return [[cell.group() for cell in row] for row in cells]


def last_message_body(api: LocalPhosonServer) -> dict[str, Any]:
    """The JSON body of the last message the server received."""
    stats = api.stats
    for request, body in zip(reversed(stats.requests), reversed(stats.request_bodies), strict=True):
        if request.method == "POST" and request.path.endswith("/messages"):
            parsed: dict[str, Any] = json.loads(body)
            return parsed
    raise AssertionError("no message was sent")


def run_line(err: str) -> tuple[str, str]:
    """The run id and conversation id of chat's closing stderr line."""
    found = RUN_LINE.fullmatch(err.splitlines()[-1])
    assert found is not None, err
    return found[1], found[2]


# -- chat -------------------------------------------------------------------------------------


def test_chat_streams_the_reply_to_stdout_and_reasoning_and_tools_to_stderr(
    api: LocalPhosonServer, sdk: PhosonClient
) -> None:
    """The reply alone goes to stdout; reasoning, the tool call and the run line go to
    stderr, marked; the model options given reach the API as the stream's parameters."""
    agent = sdk.agents.attach_mcp(
        sdk.agents.create(name="tools", description="has an MCP").id, "mcp_weather"
    )
    message = "Will it rain?"
    result = phoson(
        api,
        "chat",
        "--agent",
        agent.id,
        "--reasoning-effort",
        "low",
        "--model",
        "gpt-test",
        "--provider",
        "openai",
        "--temperature",
        "0.5",
        "--max-tokens",
        "64",
        message,
    )
    assert result.code == 0, result
    assert result.out == reply_text(message) + "\n"
    thinking, tool, tool_result, _ = result.err.splitlines()
    assert thinking.startswith("[thinking] Thinking (low effort)") and message in thinking
    assert tool == '[tool] mcp_weather.lookup(query="Will it rain?")'
    assert tool_result.startswith("[tool result] mcp_weather.lookup: mcp_weather looked up")
    run_id, conversation_id = run_line(result.err)
    assert sdk.conversations.get(conversation_id).agent_id == agent.id
    assert sdk.messages.list(conversation_id)[-1].run_id == run_id
    assert last_message_body(api) == {
        "content": message,
        "stream": True,
        "model": "gpt-test",
        "provider": "openai",
        "temperature": 0.5,
        "max_tokens": 64,
        "reasoning_effort": "low",
    }


def test_chat_creates_an_agent_and_a_conversation_that_can_be_continued(
    api: LocalPhosonServer, sdk: PhosonClient, cli: Runner
) -> None:
    """Without ids, chat starts a conversation with the "phoson-cli" agent; --conversation adds
    the next run to it, and `messages list` shows both runs as a table and as JSON."""
    first = phoson(api, "chat", "Hello")
    assert (first.code, first.out) == (0, reply_text("Hello") + "\n")
    assert len(first.err.splitlines()) == 1  # the run line only: no reasoning was asked for
    first_run, conversation_id = run_line(first.err)
    agent = sdk.agents.get(sdk.conversations.get(conversation_id).agent_id)
    assert (agent.name, agent.description) == ("phoson-cli", "Created by the phoson command")
    assert last_message_body(api) == {"content": "Hello", "stream": True}

    second = phoson(api, "chat", "--conversation", conversation_id, "And again")
    assert (second.code, second.out) == (0, reply_text("And again") + "\n")
    second_run, same_conversation = run_line(second.err)
    assert same_conversation == conversation_id

    listing = phoson(api, "messages", "list", conversation_id)
    assert listing.code == 0 and listing.err == ""
    header, *rows = table(listing.out)
    assert header == ["ID", "ROLE", "RUN", "CREATED", "CONTENT"]
    assert [row[1:3] for row in rows] == [
        ["user", "-"],
        ["assistant", first_run],
        ["user", "-"],
        ["assistant", second_run],
    ]
    assert rows[3][4] == reply_text("And again")

    history = json.loads(cli("--json", "messages", "list", conversation_id).out)
    assert [(m["role"], m["content"], m["run_id"]) for m in history] == [
        ("user", "Hello", None),
        ("assistant", reply_text("Hello"), first_run),
        ("user", "And again", None),
        ("assistant", reply_text("And again"), second_run),
    ]


def test_chats_without_ids_share_one_phoson_cli_agent(cli: Runner, sdk: PhosonClient) -> None:
    """Chats without --agent or --conversation all talk to the one agent named "phoson-cli"
    (the oldest, if there are several), each in a new conversation, so repeated chats leave no
    pile of agents; --new-agent makes another one and talks to it."""

    def cli_agents() -> list[str]:
        return [agent.id for agent in sdk.agents.list() if agent.name == "phoson-cli"]

    def chat(*args: str) -> tuple[str, str]:
        result = cli("chat", *args, "Hello")
        assert (result.code, result.out) == (0, reply_text("Hello") + "\n"), result
        _, conversation_id = run_line(result.err)
        return conversation_id, sdk.conversations.get(conversation_id).agent_id

    first_conversation, agent_id = chat()
    agents = cli_agents()
    assert agents[0] == agent_id  # the oldest (the list is in creation order)
    second_conversation, same_agent = chat()
    assert (same_agent, cli_agents()) == (agent_id, agents)
    assert second_conversation != first_conversation

    _, new_agent = chat("--new-agent")
    assert cli_agents() == [*agents, new_agent]
    assert chat()[1] == agent_id  # the oldest again


def test_chat_reads_the_message_from_stdin(api: LocalPhosonServer, sdk: PhosonClient) -> None:
    """Without MESSAGE, chat sends all of stdin (less its final newline), in a new
    conversation with the --agent given."""
    agent = sdk.agents.create(name="stdin", description="reads pipes")
    result = phoson(api, "chat", "--agent", agent.id, stdin="Summarise this\nplease\n")
    assert result.code == 0, result
    assert result.out == reply_text("Summarise this\nplease") + "\n"
    _, conversation_id = run_line(result.err)
    assert [c.id for c in sdk.conversations.list(agent_id=agent.id)] == [conversation_id]


def test_chat_with_nothing_to_send_is_a_usage_error(
    api: LocalPhosonServer, sdk: PhosonClient
) -> None:
    """Empty stdin and no MESSAGE exits 2 with chat's usage, before anything is created."""
    agents_before = len(sdk.agents.list())
    result = phoson(api, "chat", stdin="  \n")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("usage: phoson chat") and "the message is empty" in result.err
    assert len(sdk.agents.list()) == agents_before


def test_chat_reports_an_error_event_and_exits_1(api: LocalPhosonServer, sdk: PhosonClient) -> None:
    """A run that ends with an `error` event prints `error: <message>` on stderr, exit 1."""
    conversation = sdk.conversations.create(
        sdk.agents.create(name="failing", description="fails").id
    )
    api.script_next_run(conversation.id, error="model overloaded")
    result = phoson(api, "chat", "--conversation", conversation.id, "Hi")
    assert result.code == 1
    assert result.out == reply_text("Hi") + "\n"  # the tokens that came, line ended
    assert result.err == "error: model overloaded\n"


def test_chat_json_prints_each_event_as_one_json_line(
    api: LocalPhosonServer, sdk: PhosonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json, chat writes every event to stdout as a JSON object per line, each with the
    id of the conversation it belongs to."""
    conversation = sdk.conversations.create(sdk.agents.create(name="json", description="events").id)
    result = in_process(api, capsys, "chat", "--json", "--conversation", conversation.id, "Hi")
    assert result.code == 0
    events = [json.loads(line) for line in result.out.splitlines()]
    assert {event.pop("conversation_id") for event in events} == {conversation.id}
    assert {event["type"] for event in events[:-1]} == {"token"}
    assert events[-1]["type"] == "run_done" and events[-1]["content"] == reply_text("Hi")
    assert "".join(event["content"] for event in events[:-1]) == reply_text("Hi")
    assert run_line(result.err) == (events[-1]["run_id"], conversation.id)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("stop", "status", "note"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_or_sigterm_during_a_stream_closes_it_and_names_the_conversation(
    api: LocalPhosonServer, sdk: PhosonClient, stop: signal.Signals, status: int, note: str
) -> None:
    """SIGINT (Ctrl-C) or SIGTERM while the reply streams closes the stream (the server sees
    the client leave) and exits 130 or 143, with only a note naming the conversation and the
    `phoson resume` command on stderr; that command prints the rest of the reply (the same
    run: no second one starts)."""
    conversation = sdk.conversations.create(sdk.agents.create(name="slow", description="slow").id)
    api.script_next_run(conversation.id, delay=0.2)
    disconnects = api.stats.disconnects
    with subprocess.Popen(
        command("chat", "--conversation", conversation.id, "one two three four five six"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(api),
        preexec_fn=ctrl_c_as_in_a_terminal,
    ) as process:
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 1000)  # the first token has arrived
        process.send_signal(stop)
        rest, err = process.communicate(timeout=10)
    assert first and process.returncode == status
    reply = (first + rest).decode()
    assert reply_text("one two three four five six").startswith(reply) and len(reply) < 40
    stopped, resume_line = err.decode().splitlines()
    assert stopped == f"{note} · conversation {conversation.id}"
    assert resume_line.startswith("continue with: phoson resume phr1.")
    deadline = time.monotonic() + 5  # the server notices at its next write
    while api.stats.disconnects == disconnects and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.stats.disconnects == disconnects + 1
    runs = api.stats.runs_created
    resumed = phoson(api, *shlex.split(resume_line.removeprefix("continue with: phoson ")))
    assert resumed.code == 0, resumed.err
    assert reply + resumed.out == reply_text("one two three four five six") + "\n"
    assert run_line(resumed.err)[1] == conversation.id
    assert api.stats.runs_created == runs


def test_chat_whose_stream_breaks_prints_the_resume_command(
    api: LocalPhosonServer, sdk: PhosonClient
) -> None:
    """A chat whose connection breaks for good (a cut, then every reconnect refused) exits 1
    with the error and `continue with: phoson resume TOKEN`, which prints the rest."""
    conversation = sdk.conversations.create(sdk.agents.create(name="cut", description="c").id)
    api.cut_stream_after(3)
    for _ in range(3):  # the reconnect and its two retries
        api.drop_next()
    message = "seven eight nine ten eleven"
    broken = phoson(api, "chat", "--conversation", conversation.id, message)
    assert broken.code == 1
    error, resume_line = broken.err.splitlines()[-2:]
    assert error.startswith("error: stream ended before run_done or error")
    assert resume_line.startswith("continue with: phoson resume phr1.")
    resumed = phoson(api, *shlex.split(resume_line.removeprefix("continue with: phoson ")))
    assert resumed.code == 0, resumed.err
    assert broken.out + resumed.out == reply_text(message) + "\n"


def test_resume_with_a_bad_token_exits_1_before_any_request(
    api: LocalPhosonServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`phoson resume` with a token that was cut says so and sends nothing."""
    before = len(api.stats.requests)
    result = in_process(api, capsys, "resume", "phr1.AAAAAAAAAAAAAAAAAAAAAA")
    assert result.code == 1
    assert result.err.startswith("error: not a usable resume token: it was cut or altered")
    assert len(api.stats.requests) == before


def read_until(fd: int, wanted: bytes, timeout: float = 10) -> bytes:
    """Bytes from `fd` until `wanted` has arrived (or the writer has gone, or time is up)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 1000)
            except OSError:  # Linux: the terminal's other end is closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


def wait_in_terminal_read(pid: int, timeout: float = 10) -> None:
    """Return once process `pid` sleeps reading its terminal (Linux: its wchan). Echo comes
    from the terminal, so it does not show the process got there; a signal sent before would
    land between Python's signal check and the read, and wait for the read to end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/wchan") as wchan:
            if wchan.read() in ("wait_woken", "n_tty_read"):
                return
        time.sleep(0.01)
    raise AssertionError("the command never started reading its terminal")


@pytest.mark.skipif(sys.platform != "linux", reason="Linux terminals, signals and /proc")
@pytest.mark.parametrize(
    ("stop", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_stopping_at_the_stdin_prompt_ends_the_typed_line(
    api: LocalPhosonServer, stop: signal.Signals, status: int
) -> None:
    """Ctrl-C or SIGTERM while chat waits for a message typed on a terminal ends the half-typed
    line (the shell's prompt then starts on a line of its own), exits 130 or 143, no traceback,
    and sends nothing."""
    requests = len(api.stats.requests)
    leader, terminal = pty.openpty()
    process = subprocess.Popen(
        command("chat"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=environment(api),
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    try:
        prompt = read_until(leader, b"Ctrl-D\r\n", timeout=30)
        assert prompt.endswith(b"reading the message from stdin; end it with Ctrl-D\r\n"), prompt
        os.write(leader, b"half a mess")  # typed, not ended: the terminal echoes it
        echo = read_until(leader, b"half a mess")
        assert echo.endswith(b"half a mess"), echo
        wait_in_terminal_read(process.pid)
        process.send_signal(stop)
        assert process.wait(timeout=10) == status
        # Read while this end of the terminal is still open (a closed one may lose the output).
        assert read_until(leader, b"\r\n", timeout=2) == b"\r\n"  # the line ended, no more
    finally:
        process.kill()
        process.wait()
        os.close(leader)
        os.close(terminal)
    assert len(api.stats.requests) == requests


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_closed_stdout_pipe_ends_the_command_quietly(
    api: LocalPhosonServer, sdk: PhosonClient
) -> None:
    """When the reader of stdout goes away mid-reply (`| head -c 5`), chat stops with
    status 0 and nothing on stderr."""
    conversation = sdk.conversations.create(sdk.agents.create(name="piped", description="piped").id)
    api.script_next_run(conversation.id, delay=0.2)
    with subprocess.Popen(
        command("chat", "--conversation", conversation.id, "one two three four five six"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(api),
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert os.read(process.stdout.fileno(), 1000)
        process.stdout.close()
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == b""


def test_local_chat_needs_no_configuration() -> None:
    """`phoson --local chat "Hello"` with no PHOSON_* variables at all starts its own server,
    makes the agent and conversation, and streams the reply."""
    result = phoson(None, "--local", "chat", "Hello")
    assert result.code == 0, result
    assert result.out == reply_text("Hello") + "\n"
    # The conversation lived in the command's own server: the last line says it cannot be
    # continued instead of suggesting --conversation.
    assert re.fullmatch(
        r"run run_\w+ · conversation conv_\w+ · --local: gone when this command ends, "
        r"cannot be continued",
        result.err.splitlines()[-1],
    ), result.err


# -- agents, conversations and messages ------------------------------------------------------


def test_agents_commands_print_key_value_lines_tables_and_deletions(
    cli: Runner, sdk: PhosonClient
) -> None:
    """Every agents subcommand works and prints `key: value` lines for one agent, an
    aligned table for the list, and `deleted <id>`."""
    args = 'agents create --name "CLI agent" --description "made by a test" --memory-type semantic'
    created = cli(*shlex.split(args))
    agent = fields(created.out)
    assert created.code == 0 and created.err == ""
    assert (agent["name"], agent["description"], agent["memory_type"], agent["mcp_ids"]) == (
        "CLI agent",
        "made by a test",
        "semantic",
        "-",
    )
    assert list(agent) == [
        "id",
        "name",
        "description",
        "memory_type",
        "mcp_ids",
        "created_at",
        "updated_at",
    ]
    agent_id = agent["id"]
    assert fields(cli("agents", "get", agent_id).out) == agent

    renamed = fields(cli("agents", "update", agent_id, "--name", "Renamed").out)
    assert (renamed["name"], renamed["description"]) == ("Renamed", "made by a test")
    attached = fields(cli("agents", "attach-mcp", agent_id, "mcp_a").out)
    assert attached["mcp_ids"] == "mcp_a"

    header, *rows = table(cli("agents", "list").out)
    assert header == ["ID", "NAME", "MEMORY", "MCPS", "CREATED"]
    (row,) = [row for row in rows if row[0] == agent_id]
    assert row[1:4] == ["Renamed", "semantic", "mcp_a"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", row[4])
    assert len(rows) == len(sdk.agents.list())

    detached = fields(cli("agents", "detach-mcp", agent_id, "mcp_a").out)
    assert detached["mcp_ids"] == "-"
    deleted = cli("agents", "delete", agent_id)
    assert (deleted.code, deleted.out) == (0, f"deleted {agent_id}\n")
    with pytest.raises(NotFoundError):
        sdk.agents.get(agent_id)


def test_agents_commands_print_json(
    api: LocalPhosonServer, sdk: PhosonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json (before or after the subcommand) every agents subcommand prints the
    object's JSON, a list for `list`, and {"deleted": id} for `delete`."""

    def run(*args: str) -> Any:
        result = in_process(api, capsys, *args)
        assert result.code == 0 and result.err == "", result
        return json.loads(result.out)

    agent = run("agents", "create", "--json", "--name", "J", "--description", "d")
    assert (agent["name"], agent["memory_type"], agent["mcp_ids"]) == ("J", "persistent", [])
    assert run("--json", "agents", "get", agent["id"]) == agent
    listed: list[dict[str, Any]] = run("agents", "list", "--json")
    assert isinstance(listed, list) and agent in listed
    assert [a["id"] for a in listed] == [a.id for a in sdk.agents.list()]
    updated = run("agents", "update", agent["id"], "--memory-type", "semantic", "--json")
    assert updated["memory_type"] == "semantic" and updated["name"] == "J"
    assert run("--json", "agents", "attach-mcp", agent["id"], "mcp_b")["mcp_ids"] == ["mcp_b"]
    assert run("--json", "agents", "detach-mcp", agent["id"], "mcp_b")["mcp_ids"] == []
    assert run("--json", "agents", "delete", agent["id"]) == {"deleted": agent["id"]}


def test_conversations_commands_print_key_value_lines_tables_and_deletions(
    cli: Runner, sdk: PhosonClient
) -> None:
    """Every conversations subcommand works: one conversation as `key: value` lines, the
    list (all, or one agent's) as an aligned table, and `deleted <id>`."""
    agent = sdk.agents.create(name="talker", description="has conversations")
    other = sdk.conversations.create(
        sdk.agents.create(name="other", description="other").id, title="Elsewhere"
    )
    args = f'conversations create --agent {agent.id} --title "Trip plans" --thread-id t-1'
    created = cli(*shlex.split(args))
    assert created.code == 0 and created.err == ""
    conversation = fields(created.out)
    assert (conversation["agent_id"], conversation["title"], conversation["thread_id"]) == (
        agent.id,
        "Trip plans",
        "t-1",
    )
    conversation_id = conversation["id"]
    assert fields(cli("conversations", "get", conversation_id).out) == conversation
    renamed = fields(cli("conversations", "update", conversation_id, "--title", "New plans").out)
    assert renamed["title"] == "New plans"

    header, *rows = table(cli("conversations", "list").out)
    assert header == ["ID", "AGENT", "THREAD", "CREATED", "TITLE"]
    assert {row[0] for row in rows} >= {conversation_id, other.id}
    header, *rows = table(cli("conversations", "list", "--agent", agent.id).out)
    assert [[row[0], row[1], row[2], row[4]] for row in rows] == [
        [conversation_id, agent.id, "t-1", "New plans"]
    ]

    deleted = cli("conversations", "delete", conversation_id)
    assert (deleted.code, deleted.out) == (0, f"deleted {conversation_id}\n")
    assert sdk.conversations.list(agent_id=agent.id) == []


def test_conversations_and_messages_commands_print_json(
    api: LocalPhosonServer, sdk: PhosonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json every conversations subcommand, and `messages list`, prints JSON."""

    def run(*args: str) -> Any:
        result = in_process(api, capsys, "--json", *args)
        assert result.code == 0 and result.err == "", result
        return json.loads(result.out)

    agent = sdk.agents.create(name="json talker", description="d")
    conversation = run("conversations", "create", "--agent", agent.id)
    assert (conversation["title"], conversation["thread_id"]) == ("New Conversation", None)
    assert run("conversations", "get", conversation["id"]) == conversation
    assert run("conversations", "list", "--agent", agent.id) == [conversation]
    assert conversation in run("conversations", "list")
    renamed = run("conversations", "update", conversation["id"], "--title", "T")
    assert renamed["title"] == "T"
    assert run("messages", "list", conversation["id"]) == []
    sdk.messages.send(conversation["id"], "Hi")
    history = run("messages", "list", conversation["id"])
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", "Hi"),
        ("assistant", reply_text("Hi")),
    ]
    assert run("conversations", "delete", conversation["id"]) == {"deleted": conversation["id"]}


# -- errors and usage -------------------------------------------------------------------------


def test_a_missing_object_exits_1_with_status_and_detail(api: LocalPhosonServer) -> None:
    """A 404 prints `error: 404 <detail>` (and the request id) on stderr and exits 1."""
    result = phoson(api, "agents", "get", "agt_missing")
    assert (result.code, result.out) == (1, "")
    assert re.fullmatch(r"error: 404 Agent not found \(request id req_\w+\)\n", result.err)


def test_listing_the_conversations_of_an_unknown_agent_exits_1(
    cli: Runner, sdk: PhosonClient
) -> None:
    """`conversations list --agent ID` says when the agent does not exist (a 404, exit 1)
    rather than printing an empty table; an agent without conversations gets the empty table."""
    missing = cli("conversations", "list", "--agent", "agt_missing")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err.startswith("error: 404 Agent not found"), missing.err
    lonely = sdk.agents.create(name="lonely", description="has no conversations")
    empty = cli("conversations", "list", "--agent", lonely.id)
    assert (empty.code, empty.out, empty.err) == (0, "ID  AGENT  THREAD  CREATED  TITLE\n", "")


def test_a_value_the_server_rejects_exits_1_with_readable_validation_detail(
    api: LocalPhosonServer,
) -> None:
    """A 422's FastAPI error list reads as `field: message` (memory types are the server's
    to check, so an unknown one reaches it)."""
    result = phoson(
        api, "agents", "create", "--name", "x", "--description", "y", "--memory-type", "episodic"
    )
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(
        "error: 422 memory_type: Input should be 'persistent' or 'semantic'"
    )


def test_other_api_and_connection_errors_exit_1(
    api: LocalPhosonServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong key (401), a missing conversation and an unreachable server each print one
    `error:` line and exit 1."""
    assert main(["--api-key", "pk_wrong", "--base-url", api.url, "agents", "list"]) == 1
    assert capsys.readouterr().err.startswith("error: 401 Invalid API key")
    missing = in_process(api, capsys, "chat", "--conversation", "conv_missing", "Hi")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err.startswith("error: 404 Conversation not found")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main(["--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "agents", "list"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert (
        err.startswith(f"error: GET http://127.0.0.1:{port}/agents failed") and err.count("\n") == 1
    )


def test_a_missing_api_key_exits_1_with_the_ways_to_give_one() -> None:
    """With no key anywhere, the command says to set PHOSON_API_KEY, use --api-key or --local."""
    result = phoson(None, "agents", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("error: no API key")
    assert all(hint in result.err for hint in ("PHOSON_API_KEY", "--api-key", "--local"))


def test_bad_usage_exits_2_with_a_usage_message(api: LocalPhosonServer) -> None:
    """An unknown subcommand exits 2 with argparse's usage message and no request made."""
    requests = len(api.stats.requests)
    result = phoson(api, "agents", "frobnicate")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("usage: phoson agents") and "invalid choice" in result.err
    assert len(api.stats.requests) == requests


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required: COMMAND"),
        (["agents"], "required: ACTION"),
        (["agents", "update", "agt_1"], "nothing to change"),
        (["agents", "get", " "], "must be a non-empty id"),
        (["agents", "create", "--name", "x"], "required: --description"),
        (["conversations", "update", "conv_1"], "required: --title"),
        (["chat", "--provider", "acme", "Hi"], "invalid choice: 'acme'"),
        (["chat", "--max-tokens", "lots", "Hi"], "invalid int value"),
        (["chat", "--agent", "agt_1", "--conversation", "conv_1", "Hi"], "not allowed with"),
        (["chat", "--agent", "agt_1", "--new-agent", "Hi"], "not allowed with"),
        (["--local", "--api-key", "k", "agents", "list"], "cannot be combined"),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing, malformed or conflicting arguments exit 2 with a usage message."""
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage: phoson" in err and message in err


def test_version_and_the_console_script() -> None:
    """`--version` prints the package version; the installed `phoson` script is the same
    command as `python -m phoson`."""
    from phoson import __version__

    result = phoson(None, "--version")
    assert (result.code, result.out) == (0, f"phoson {__version__}\n")
    script = Path(sys.executable).with_name("phoson")
    if script.exists():
        done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30)
        assert (done.returncode, done.stdout) == (0, result.out)


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and every subcommand's parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            subcommands = cast("argparse._SubParsersAction[argparse.ArgumentParser]", action)
            for child in subcommands.choices.values():
                yield from parsers(child)


def test_every_option_and_argument_has_help_text() -> None:
    """`--help` explains every option and argument of every command (none listed bare)."""
    bare = [
        f"{parser.prog}: {'/'.join(action.option_strings) or action.dest}"
        for parser in parsers(build_parser())
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        and not (action.help or "").strip()
        and not isinstance(action, argparse._SubParsersAction)
    ]
    assert bare == []
    assert len(list(parsers(build_parser()))) == 19  # every command and group was walked
