"""Exceptions and models cross process boundaries (multiprocessing, Celery) whole: the same
class, message and attributes after a pickle round trip."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

import phoson
from phoson import Agent, PhosonAPIError, PhosonError, RunDoneEvent, request_id_of
from tests.payloads import AGENT

#: A value for each constructor parameter an exception class may take.
SAMPLE_ARGUMENTS: dict[str, Any] = {
    "status_code": 418,
    "detail": [{"loc": ["body", "name"], "msg": "field required"}],
    "request_id": "req_1a2b",
    "response": httpx.Response(418, request=httpx.Request("GET", "https://x.test/agents")),
    "reason": "the connection closed",
    "events_received": 7,
    "last_event_id": "run_1:7",
    "message": "the thing failed",
    "body": "<html>bad gateway</html>",
    "event_type": "tool_end",
    "data": '{"tool": 1}',
    "limit": 4096,
}


def exception_classes() -> list[type[PhosonError]]:
    """Every PhosonError subclass the package exports."""
    found = [getattr(phoson, name) for name in phoson.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, PhosonError)]


def build(cls: type[PhosonError]) -> PhosonError:
    """An instance of `cls` with every constructor parameter given a sample value."""
    arguments: list[Any] = []
    keywords: dict[str, Any] = {}
    parameters: Mapping[str, inspect.Parameter]
    try:
        parameters = inspect.signature(cls).parameters
    except ValueError:  # Exception's own (*args) signature
        parameters = {}
    for name, parameter in parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        assert name in SAMPLE_ARGUMENTS, f"add a sample for {cls.__name__}({name}=...)"
        if parameter.kind == parameter.KEYWORD_ONLY:
            keywords[name] = SAMPLE_ARGUMENTS[name]
        else:
            arguments.append(SAMPLE_ARGUMENTS[name])
    if not arguments and not keywords:
        arguments = [SAMPLE_ARGUMENTS["message"]]
    return cls(*arguments, **keywords)


@pytest.mark.parametrize("cls", exception_classes(), ids=lambda cls: cls.__name__)
def test_every_exception_survives_pickling_whole(cls: type[PhosonError]) -> None:
    """Each exported exception comes back as the same class with the same message and every
    attribute (status_code, detail, request_id, body_excerpt, limit, events_received,
    last_event_id, ...); only an httpx `response` is left behind."""
    error = build(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    expected = {k: v for k, v in vars(error).items() if k != "response"}
    assert {k: v for k, v in vars(copy).items() if k != "response"} == expected
    if isinstance(error, PhosonAPIError):
        assert error.response is not None
        assert isinstance(copy, PhosonAPIError) and copy.response is None


def test_the_exception_list_is_not_empty() -> None:
    """The parametrized test above really covers the exception classes (and the subtle ones)."""
    names = {cls.__name__ for cls in exception_classes()}
    assert {"StreamTimeoutError", "EventTooLargeError", "PhosonResponseValidationError"} <= names


def test_models_keep_their_request_id_through_pickle() -> None:
    """A model from a response keeps its `request_id` (and unknown fields) after pickling."""
    agent = Agent.model_validate({**AGENT, "added_later": 1})
    agent._request_id = "req_77"  # pyright: ignore[reportPrivateUsage]  (as a response sets it)
    copy = pickle.loads(pickle.dumps(agent))
    assert copy == agent and request_id_of(copy) == "req_77"
    assert copy.model_extra == {"added_later": 1}
    event = RunDoneEvent(content="hi", run_id="r")
    assert pickle.loads(pickle.dumps(event)) == event
