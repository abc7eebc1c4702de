"""Hand-made calls (phoson._custom): what is refused, and where an accepted one goes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from phoson import Agent, PhosonError
from phoson._config import build_request, resolve_config
from phoson._custom import custom_call, parser_for
from phoson._types import DEFAULT_TIMEOUT

CONFIG = resolve_config(
    api_key="pk_test_0123456789abcdef",
    base_url="https://api.phoson.test/v1",
    timeout=DEFAULT_TIMEOUT,
    max_retries=0,
    default_headers=None,
)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@given(path=st.text(max_size=40).map(lambda tail: "/" + tail))
def test_any_accepted_path_goes_to_base_url_host(http: httpx.Client, path: str) -> None:
    """Whatever follows the leading '/', the request (and so the key) goes to base_url's host,
    under its path prefix."""
    try:
        call = custom_call("GET", path, None, None)
    except PhosonError:
        return
    request = build_request(http, CONFIG, call, {})
    assert request.url.scheme == "https"
    assert request.url.host == "api.phoson.test"
    assert request.url.raw_path.startswith(b"/v1/")


@pytest.mark.parametrize("path", ["/.", "/..", "/agents/../admin", "/a/./b", "/..?x=1", "/a\x00"])
def test_paths_that_would_be_rewritten_or_refused_by_httpx_are_refused_first(path: str) -> None:
    """Dot segments (resolved away by URL normalisation, so the request would leave base_url's
    path) and characters httpx rejects give a PhosonError before anything is built or sent."""
    with pytest.raises(PhosonError, match="path"):
        custom_call("GET", path, None, None)


@given(st.text(max_size=40).filter(lambda path: not path.startswith("/")))
def test_paths_without_a_leading_slash_are_refused(path: str) -> None:
    """A full URL, a relative path or an empty string is refused with a PhosonError."""
    with pytest.raises(PhosonError, match="path must start with '/'"):
        custom_call("GET", path, None, None)


def test_method_is_sent_upper_case_and_writes_change_state() -> None:
    """The method is normalised to upper case; only GET goes without an idempotency key."""
    assert custom_call("get", "/a", None, None).changes_state is False
    assert custom_call("post", "/a", {"x": 1}, None).method == "POST"
    assert custom_call("post", "/a", {"x": 1}, None).changes_state is True


def test_parser_for_each_cast_to() -> None:
    """Each accepted cast_to turns a 200 into its value; other types are refused."""
    request = httpx.Request("GET", "https://api.phoson.test/agents")
    body = b'{"id":"a","name":"n","description":"d","memory_type":"x",' + (
        b'"created_at":"2026-11-27T10:00:00Z","updated_at":"2026-11-27T10:00:00Z"}'
    )
    one = httpx.Response(200, content=body, request=request)
    many = httpx.Response(200, content=b"[" + body + b"]", request=request)
    assert parser_for(Agent)(one).id == "a"
    assert [a.id for a in parser_for(list[Agent])(many)] == ["a"]
    assert parser_for(httpx.Response)(one) is one
    assert parser_for(None)(one) is None
    for wrong in (str, dict, list, list[str], Agent.model_validate({**_fields(), "id": "x"})):
        with pytest.raises(TypeError, match="cast_to must be"):
            parser_for(wrong)


def _fields() -> dict[str, str]:
    return {
        "name": "n",
        "description": "d",
        "memory_type": "x",
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z",
    }
