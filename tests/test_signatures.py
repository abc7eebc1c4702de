"""The shape of the public signatures: what is positional, what is keyword-only.

Only the ids a call addresses and a message's `content` (and, for the client's own calls, the
method and path) may be passed by position; everything after them is keyword-only, so that
parameters can later be added, reordered or grouped without breaking anyone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from phoson import AsyncPhosonClient, PhosonClient
from phoson.testing import LocalPhosonServer, configured_or_local

#: The parameters a client's call may take by position.
CLIENT_POSITIONAL = {"agent_id", "conversation_id", "mcp_id", "content", "method", "path"}
#: The test server's: the conversation a script is for, and the one thing each fault is about.
SERVER_POSITIONAL = {"conversation_id", "status", "k", "seconds", "kind"}

PUBLIC_CALLS = {
    "agents": ("create", "list", "get", "update", "delete", "attach_mcp", "detach_mcp"),
    "conversations": ("create", "list", "get", "update", "delete"),
    "messages": ("stream", "send", "list"),
}
CLIENT_CALLS = ("request", "get", "post", "patch", "delete", "stream_sse", "with_options")
SERVER_CALLS = (
    "script_next_run",
    "fail_next",
    "drop_next",
    "cut_stream_after",
    "delay_headers",
    "malformed_next",
)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.method} {request.url} was")


def _clients() -> Iterator[PhosonClient | AsyncPhosonClient]:
    yield PhosonClient(
        api_key="pk_test_signatures",
        base_url="http://phoson.localhost",
        http_client=httpx.Client(transport=httpx.MockTransport(_refuse)),
    )
    yield AsyncPhosonClient(
        api_key="pk_test_signatures",
        base_url="http://phoson.localhost",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(_refuse)),
    )


def _calls(client: PhosonClient | AsyncPhosonClient) -> Iterator[tuple[str, Callable[..., Any]]]:
    for resource_name, names in PUBLIC_CALLS.items():
        resource = getattr(client, resource_name)
        raw = resource.with_raw_response
        for name in names:
            yield f"{resource_name}.{name}", getattr(resource, name)
            if hasattr(raw, name):
                yield f"{resource_name}.with_raw_response.{name}", getattr(raw, name)
    for name in CLIENT_CALLS:
        yield f"client.{name}", getattr(client, name)


def _positional(function: Callable[..., Any]) -> list[str]:
    return [
        parameter.name
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]


@pytest.mark.parametrize("kind", ["PhosonClient", "AsyncPhosonClient"])
def test_only_ids_content_method_and_path_are_positional(kind: str) -> None:
    """Every call of both clients (plain and `with_raw_response`) takes by position only the
    ids it addresses, `content`, or the method and path of a custom call; the rest is
    keyword-only."""
    client = next(c for c in _clients() if type(c).__name__ == kind)
    seen = 0
    for where, call in _calls(client):
        extra = set(_positional(call)) - CLIENT_POSITIONAL
        assert not extra, f"{kind}: {where}() takes {sorted(extra)} by position"
        seen += 1
    assert seen == 36  # 15 calls, their 14 raw twins, 7 client calls: none left out


def test_the_test_servers_helpers_take_counts_and_options_by_keyword() -> None:
    """`LocalPhosonServer` takes everything by keyword; each fault helper takes at most the
    one thing it is about by position, and its count is always `times=`."""
    assert _positional(LocalPhosonServer) == []
    assert _positional(configured_or_local) == []
    server = LocalPhosonServer()
    for name in SERVER_CALLS:
        method = getattr(server, name)
        positional = _positional(method)
        assert len(positional) <= 1 and set(positional) <= SERVER_POSITIONAL, name
        if name != "script_next_run":
            times = inspect.signature(method).parameters["times"]
            assert times.kind is inspect.Parameter.KEYWORD_ONLY and times.default == 1, name


def test_an_option_passed_by_position_is_a_type_error_before_any_io() -> None:
    """`messages.send(conv, "Hi", "gpt-4o")` (a model name by position) fails at once with a
    TypeError, in both clients, and sends nothing (the transport refuses every request)."""
    sync, async_ = _clients()
    assert isinstance(sync, PhosonClient) and isinstance(async_, AsyncPhosonClient)
    attempts: list[Callable[[], object]] = [
        lambda: sync.messages.send("conv_1", "Hi", "gpt-4o"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: sync.messages.stream("conv_1", "Hi", "gpt-4o"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: sync.agents.create("Support", "answers"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: sync.conversations.create("agt_1", "Title"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: sync.conversations.list("agt_1"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: async_.messages.send("conv_1", "Hi", "gpt-4o"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: async_.messages.stream("conv_1", "Hi", "gpt-4o"),  # type: ignore[call-arg, misc, unused-ignore]
        lambda: async_.agents.update("agt_1", "New name"),  # type: ignore[call-arg, misc, unused-ignore]
    ]
    for attempt in attempts:
        with pytest.raises(TypeError, match="positional argument"):
            attempt()
    sync.close()


def test_an_old_style_count_first_fault_fails_loudly() -> None:
    """`fail_next(1, 503)` (the count first, as before `times=`) is refused rather than
    arming a status-1 fault: too many positionals, or a status that is no HTTP status."""
    server = LocalPhosonServer()
    with pytest.raises(TypeError):
        server.fail_next(1, 503)  # type: ignore[call-arg, misc, unused-ignore]
    with pytest.raises(ValueError, match="HTTP status"):
        server.fail_next(2)
    with pytest.raises(TypeError):
        server.drop_next(1)  # type: ignore[call-arg, misc, unused-ignore]


def test_async_raw_calls_are_coroutines_that_create_task_accepts() -> None:
    """`asyncio.create_task(client.agents.with_raw_response.get(...))` type-checks (the raw
    calls are typed as coroutines, not mere awaitables) and runs; each raw call is a coroutine
    function, as its plain twin is."""
    import asyncio
    from typing import assert_type

    from phoson import Agent, RawResponse
    from tests.payloads import AGENT, json_response

    async def main() -> RawResponse[Agent]:
        transport = httpx.MockTransport(lambda request: json_response(200, AGENT))
        async with AsyncPhosonClient(
            api_key="pk_test_signatures",
            base_url="http://phoson.localhost",
            http_client=httpx.AsyncClient(transport=transport),
        ) as client:
            raw = client.agents.with_raw_response
            assert inspect.iscoroutinefunction(raw.get)
            task = asyncio.create_task(raw.get("agt_1"))
            assert_type(task, asyncio.Task[RawResponse[Agent]])
            return await task

    result = asyncio.run(main())
    assert result.parse().id == AGENT["id"]


def test_cast_to_refuses_what_it_cannot_build() -> None:
    """`cast_to=tuple[...]` or `Sequence[...]` is a type checker's error (mypy checks the
    ignores below are needed: an unneeded one fails the build) and a TypeError before any
    I/O; `list[Model]` is accepted by both."""
    from collections.abc import Sequence

    from phoson import Agent

    def statically(client: PhosonClient) -> None:
        client.get("/agents", cast_to=tuple[Agent, ...])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
        client.get("/agents", cast_to=Sequence[Agent])  # type: ignore[type-var, type-abstract]  # pyright: ignore[reportArgumentType]
        agents: list[Agent] = client.get("/agents", cast_to=list[Agent])
        assert agents is not None

    sync, async_ = _clients()
    assert isinstance(sync, PhosonClient)
    wrong: list[Any] = [tuple[Agent, ...], Sequence[Agent]]
    for cast_to in wrong:
        with pytest.raises(TypeError, match="cast_to must be"):
            sync.get("/agents", cast_to=cast_to)
    sync.close()
    assert callable(statically) and isinstance(async_, AsyncPhosonClient)


def test_default_httpx_clients_show_httpx_parameters() -> None:
    """`DefaultHttpxClient` takes exactly httpx's parameters, typed (a misspelt `proxies=` is
    a type checker's error: mypy checks the ignore below is needed, and a TypeError at run
    time), and `help()` shows them with the SDK's defaults."""
    from phoson import DefaultAsyncHttpxClient, DefaultHttpxClient

    for ours, theirs in (
        (DefaultHttpxClient, httpx.Client),
        (DefaultAsyncHttpxClient, httpx.AsyncClient),
    ):
        shown = inspect.signature(ours).parameters
        assert list(shown) == list(inspect.signature(theirs).parameters)  # httpx's, all
        assert shown["timeout"].default == httpx.Timeout(600.0, connect=5.0)
        assert shown["follow_redirects"].default is False
    with pytest.raises(TypeError, match="proxies"):
        DefaultHttpxClient(proxies="http://proxy:3128")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    with DefaultHttpxClient(proxy="http://proxy:3128", timeout=2.0) as client:
        assert client.timeout == httpx.Timeout(2.0)
