"""The canary on the command line: a planted key (given as --api-key or PHOSON_API_KEY) never
shows on the `phoson` command's stdout or stderr, in tables or --json, whatever a server over
real loopback answers: error bodies and headers quoting it, run errors quoting it, event ids
echoing it, a stream cut after such an id."""

from __future__ import annotations

import json

import pytest

from phoson._cli import main
from tests.canary import canary_key, fill, leaks
from tests.payloads import AGENT
from tests.scripted_server import Script, ScriptedServer

STOP = {"x-should-retry": "false"}  # no retries: one script per request


def scripts(kind: str, key: str) -> list[Script]:
    auth = f"Bearer {key}"
    echo = {"x-request-id": auth, "x-echo": fill("{KEY_B64}", auth), **STOP}
    if kind == "error_detail":
        body = json.dumps({"detail": fill("bad key {KEY} / {KEY_PCT}", auth)}).encode()
        return [Script([body], headers={"content-type": "application/json", **echo}, status=401)]
    if kind == "error_items":
        item = {"loc": ["body", key], "msg": f"got {auth}", "input": key}
        body = json.dumps({"detail": [item, {"loc": None}]}).encode()
        return [Script([body], headers={"content-type": "application/json", **echo}, status=422)]
    if kind == "html":
        body = f"<html><p>proxy saw {auth}</p></html>".encode()
        return [Script([body], headers={"content-type": "text/html", **echo}, status=502)]
    if kind == "ok":
        body = json.dumps({**AGENT, "name": key, "description": auth}).encode()
        return [Script([body], headers={"content-type": "application/json", **echo})]
    events = (
        f"event: token\ndata: {json.dumps({'content': 'hi'})}\nid: {key}\n\n"
        f"event: error\ndata: {json.dumps({'message': f'refused {auth}'})}\nid: 2\n\n"
    ).encode()
    if kind == "run_error":
        return [Script([events], headers={"content-type": "text/event-stream", **echo})]
    # A stream cut right after an event whose id is the key: the resume echoes it back.
    cut = f"event: token\ndata: {json.dumps({'content': key})}\nid: {key}\n\n".encode()
    sse = {"content-type": "text/event-stream", **echo}
    return [Script([cut], headers=sse, end="cut"), Script([cut], headers=sse, end="cut")]


COMMANDS = {
    "agents_list": ["agents", "list"],
    "agents_get": ["agents", "get", "agt_1"],
    "chat": ["chat", "--conversation", "conv_1", "hello"],
}


#: (what the server answers, the command): an event stream answers chat only.
CASES = [
    (kind, command)
    for kind in ("error_detail", "error_items", "html", "ok", "run_error", "cut")
    for command in sorted(COMMANDS)
    if command == "chat" or kind not in ("run_error", "cut")
]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize(("kind", "command"), CASES)
def test_the_cli_never_prints_the_planted_key(
    kind: str,
    command: str,
    as_json: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever the server answers, neither stdout nor stderr holds any form of the key."""
    key = canary_key("cli")
    with ScriptedServer() as server:
        server.add(*scripts(kind, key))
        flags = ["--json"] if as_json else []
        if kind == "ok" and command == "chat":
            server.add(*scripts("run_error", key))
        main(["--api-key", key, "--base-url", server.url, *flags, *COMMANDS[command]])
    out, err = capsys.readouterr()
    assert not leaks(out, key), out
    assert not leaks(err, key), err
    assert out or err  # the command said something
