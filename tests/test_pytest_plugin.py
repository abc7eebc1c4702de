"""The pytest plugin, as a user meets it: a throw-away project with no conftest and no phoson
code of its own, only the installed package, runs tests that use the fixtures."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# Warnings are errors in the throw-away project: a fixture that left a resource open or an
# event loop unclosed fails it. As in this project's own settings, trio's warning about
# httpx's nested body iterators is ignored: a stream closes its response at the final event,
# and httpx does not close its inner iterators when the outer one is closed (the SDK closes
# the response itself).
INI = """
[pytest]
filterwarnings =
    error
    ignore:Async generator 'http(x|core)\\.:ResourceWarning
asyncio_default_fixture_loop_scope = function
"""

SYNC_TESTS = """
from phoson import PhosonClient
from phoson.testing import LocalPhosonServer, reply_text


def test_send(phoson_client: PhosonClient, phoson_server: LocalPhosonServer) -> None:
    agent = phoson_client.agents.create(name="Support", description="answers questions")
    conv = phoson_client.conversations.create(agent.id)
    assert phoson_client.messages.send(conv.id, "Hello").content == reply_text("Hello")
    assert [r.method for r in phoson_server.stats.requests] == ["POST", "POST", "POST"]


def test_each_test_starts_empty(phoson_client: PhosonClient) -> None:
    assert phoson_client.agents.list() == []


def test_faults_and_scripts(phoson_client: PhosonClient, phoson_server: LocalPhosonServer) -> None:
    phoson_server.fail_next(503, times=2, retry_after_ms=0)
    agent = phoson_client.agents.create(name="A", description="retried twice")
    conv = phoson_client.conversations.create(agent.id)
    phoson_server.script_next_run(conv.id, error="model overloaded")
    events = list(phoson_client.messages.stream(conv.id, "Hi"))
    assert events[-1].type == "error" and events[-1].message == "model overloaded"


def test_the_server_also_listens(phoson_server: LocalPhosonServer) -> None:
    with PhosonClient(api_key=phoson_server.api_key, base_url=phoson_server.url) as client:
        assert client.agents.list() == []
"""

ANYIO_TESTS = """
import pytest
from phoson import AsyncPhosonClient
from phoson.testing import LocalPhosonServer, reply_text


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_stream(async_phoson_client: AsyncPhosonClient, phoson_server: LocalPhosonServer) -> None:
    agent = await async_phoson_client.agents.create(name="A", description="d")
    conv = await async_phoson_client.conversations.create(agent.id)
    phoson_server.cut_stream_after(2)
    events = [e async for e in async_phoson_client.messages.stream(conv.id, "Hi there")]
    assert events[-1].type == "run_done" and events[-1].content == reply_text("Hi there")
"""

PYTEST_ASYNCIO_TESTS = """
import pytest
from phoson import AsyncPhosonClient
from phoson.testing import reply_text


@pytest.mark.asyncio
async def test_send(async_phoson_client: AsyncPhosonClient) -> None:
    agent = await async_phoson_client.agents.create(name="A", description="d")
    conv = await async_phoson_client.conversations.create(agent.id)
    assert (await async_phoson_client.messages.send(conv.id, "Hi")).content == reply_text("Hi")
    events = [e async for e in async_phoson_client.messages.stream(conv.id, "Again")]
    assert events[-1].type == "run_done"
"""


def test_a_project_with_only_the_installed_package_uses_the_fixtures(
    pytester: pytest.Pytester,
) -> None:
    """phoson_server, phoson_client and async_phoson_client are available without any conftest,
    give each test an empty server, reach faults and scripts, and run under anyio's plugin
    (asyncio and trio) and pytest-asyncio's."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_sync=SYNC_TESTS,
        test_anyio=ANYIO_TESTS,
        test_pytest_asyncio=PYTEST_ASYNCIO_TESTS,
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)
