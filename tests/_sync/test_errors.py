# DO NOT EDIT: generated from tests/_async/test_errors.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
"""Error responses, transport failures and retries: every failure is a typed PhosonError."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
import respx

from phoson import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PhosonAPIError,
    PhosonClient,
    PhosonConnectionError,
    PhosonError,
    PhosonResponseValidationError,
    PhosonTimeoutError,
    RateLimitError,
    UnprocessableEntityError,
)
from tests.payloads import AGENT, API_KEY, BASE_URL, json_response, requests_of

VALIDATION_DETAIL: list[dict[str, Any]] = [
    {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}},
]


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, PhosonAPIError),
        (409, ConflictError),
        (418, PhosonAPIError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_status_maps_to_error_class(
    client: PhosonClient, api: respx.MockRouter, status: int, cls: type[PhosonAPIError]
) -> None:
    """Each error status raises its class, with status_code, detail, request_id and response."""
    api.get("/agents/x").mock(
        return_value=json_response(status, {"detail": "Agent not found"}, "req_err")
    )
    with pytest.raises(cls) as caught:
        client.agents.get("x", max_retries=0)
    error = caught.value
    assert type(error) is cls and isinstance(error, PhosonAPIError)
    assert error.status_code == status
    assert error.detail == "Agent not found"
    assert error.request_id == "req_err"
    assert error.response is not None and error.response.status_code == status
    assert str(error) == f"{status} {cls.__name__}: Agent not found (request id req_err)"


def test_docs_not_found_example(client: PhosonClient, api: respx.MockRouter) -> None:
    """The docs' error example: a missing agent gives status_code 404 and the server's detail."""
    api.get("/agents/non-existent-id").mock(
        return_value=json_response(404, {"detail": "Agent not found"})
    )
    try:
        client.agents.get("non-existent-id")
    except PhosonAPIError as e:
        assert e.status_code == 404
        assert e.detail == "Agent not found"
    else:
        pytest.fail("no error raised")


def test_validation_error_detail_is_fastapi_list(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A 422's detail is FastAPI's list, and str() names the field and message on one line."""
    api.post("/agents").mock(return_value=json_response(422, {"detail": VALIDATION_DETAIL}))
    with pytest.raises(UnprocessableEntityError) as caught:
        client.agents.create(name="", description="")
    assert caught.value.detail == VALIDATION_DETAIL
    assert str(caught.value) == (
        "422 UnprocessableEntityError: name: Field required (request id req_123)"
    )
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b"", "application/json", ""),
        (b"upstream timed out", "text/plain", "upstream timed out"),
        (
            b"<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1>nginx</body></html>",
            "text/html",
            "502 Bad Gateway nginx",
        ),
        (b'{"error": "weird"}', "application/json", {"error": "weird"}),
        (b"\xff\xfe not utf-8", "text/plain", "\ufffd\ufffd not utf-8"),
    ],
)
def test_error_bodies_that_are_not_json_detail_still_read(
    client: PhosonClient,
    api: respx.MockRouter,
    body: bytes,
    content_type: str,
    detail: Any,
) -> None:
    """Empty, plain-text, HTML and odd JSON error bodies still give a readable detail."""
    api.get("/agents").mock(
        return_value=httpx.Response(400, content=body, headers={"content-type": content_type})
    )
    with pytest.raises(BadRequestError) as caught:
        client.agents.list()
    assert caught.value.detail == detail
    assert str(caught.value).startswith("400 BadRequestError: ")


def test_errors_survive_pickling(client: PhosonClient, api: respx.MockRouter) -> None:
    """API errors can cross process boundaries (multiprocessing, task queues)."""
    api.get("/agents/x").mock(return_value=json_response(404, {"detail": "Agent not found"}))
    with pytest.raises(NotFoundError) as caught:
        client.agents.get("x")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is NotFoundError
    assert (copy.status_code, copy.detail, copy.request_id) == (404, "Agent not found", "req_123")
    assert str(copy) == str(caught.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "not valid JSON"),
        (b'{"id": "agt_1"}', "name: Field required"),
        (b"[1, 2]", "Input should be an object"),
    ],
)
def test_success_body_that_is_not_the_contract_raises_validation_error(
    client: PhosonClient, api: respx.MockRouter, body: bytes, message: str
) -> None:
    """A 2xx body that is not JSON or not an Agent raises PhosonResponseValidationError."""
    api.get("/agents/agt_1").mock(
        return_value=httpx.Response(200, content=body, headers={"x-request-id": "req_v"})
    )
    with pytest.raises(PhosonResponseValidationError) as caught:
        client.agents.get("agt_1")
    error = caught.value
    assert isinstance(error, PhosonError)
    assert error.status_code == 200 and error.request_id == "req_v"
    assert message in str(error) and "GET /agents/agt_1" in str(error)
    assert error.body_excerpt == body.decode()
    assert error.__cause__ is None and error.__suppress_context__


def test_connection_error_is_wrapped_after_retries(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A refused connection is retried max_retries times, then raises PhosonConnectionError."""
    route = api.get("/agents").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(PhosonConnectionError) as caught:
        client.agents.list()
    assert route.call_count == 3
    assert len(sleeps) == 2 and 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "GET https://api.phoson.test/agents failed: connection refused" in str(caught.value)
    assert not isinstance(caught.value, PhosonTimeoutError)


def test_read_timeout_is_a_timeout_error_and_not_retried(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """A read timeout raises PhosonTimeoutError at once (the server may still be working)."""
    route = api.get("/agents").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(PhosonTimeoutError) as caught:
        client.agents.list()
    assert route.call_count == 1
    assert isinstance(caught.value, PhosonConnectionError)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_connect_timeout_is_retried(client: PhosonClient, api: respx.MockRouter) -> None:
    """A connect timeout is retried like a refused connection."""
    route = api.get("/agents").mock(
        side_effect=[httpx.ConnectTimeout("slow"), json_response(200, [AGENT])]
    )
    assert [a.id for a in client.agents.list()] == ["agt_1"]
    assert route.call_count == 2


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_status_then_success(
    client: PhosonClient, api: respx.MockRouter, status: int, sleeps: list[float]
) -> None:
    """Retryable statuses are retried with the same Idempotency-Key, and the retry count sent."""
    route = api.post("/agents").mock(
        side_effect=[json_response(status, {"detail": "busy"}), json_response(201, AGENT)]
    )
    agent = client.agents.create(name="My Agent", description="d")
    assert agent.id == "agt_1"
    first, second = requests_of(route)
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.headers["x-phoson-retry-count"] == "0"
    assert second.headers["x-phoson-retry-count"] == "1"
    assert first.content == second.content
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501])
def test_other_statuses_are_not_retried(
    client: PhosonClient, api: respx.MockRouter, status: int
) -> None:
    """Statuses outside the retry list raise at once."""
    route = api.get("/agents").mock(return_value=json_response(status, {"detail": "no"}))
    with pytest.raises(PhosonAPIError):
        client.agents.list()
    assert route.call_count == 1


def test_retry_after_is_honoured(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """Retry-After seconds and retry-after-ms decide the wait instead of the backoff."""
    api.get("/agents").mock(
        side_effect=[
            httpx.Response(429, json={"detail": "slow down"}, headers={"retry-after": "3"}),
            httpx.Response(503, json={"detail": "busy"}, headers={"retry-after-ms": "250"}),
            json_response(200, []),
        ]
    )
    assert client.agents.list() == []
    assert sleeps == [3.0, 0.25]


def test_retry_after_too_long_raises_without_waiting(
    client: PhosonClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    """A Retry-After over 60 s fails the call at once rather than hang."""
    route = api.get("/agents").mock(
        return_value=httpx.Response(429, json={"detail": "quota"}, headers={"retry-after": "3600"})
    )
    with pytest.raises(RateLimitError) as caught:
        client.agents.list()
    assert caught.value.detail == "quota"
    assert route.call_count == 1 and sleeps == []


def test_max_retries_per_call_and_per_client(api: respx.MockRouter, sleeps: list[float]) -> None:
    """max_retries is set on the client and overridden per call; 0 means one attempt."""
    route = api.get("/agents").mock(return_value=json_response(503, {"detail": "down"}))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL, max_retries=4) as client:
        with pytest.raises(InternalServerError):
            client.agents.list()
        assert route.call_count == 5
        with pytest.raises(InternalServerError):
            client.agents.list(max_retries=0)
        assert route.call_count == 6
        with pytest.raises(InternalServerError):
            client.with_options(max_retries=1).agents.list()
        assert route.call_count == 8
    assert sleeps[:4] == pytest.approx([0.5, 1.0, 2.0, 4.0], rel=0.25)


def test_caller_idempotency_key_is_sent_on_every_retry(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """idempotency_key= replaces the generated key, on the first try and on retries."""
    route = api.delete("/agents/agt_1").mock(
        side_effect=[httpx.ConnectError("reset"), httpx.Response(204)]
    )
    client.agents.delete("agt_1", idempotency_key="my-key-1")
    assert [request.headers["idempotency-key"] for request in requests_of(route)] == [
        "my-key-1"
    ] * 2


def test_each_call_gets_its_own_idempotency_key(
    client: PhosonClient, api: respx.MockRouter
) -> None:
    """Two calls never share a generated key."""
    route = api.post("/agents").mock(return_value=json_response(201, AGENT))
    client.agents.create(name="a", description="b")
    client.agents.create(name="a", description="b")
    keys = {request.headers["idempotency-key"] for request in requests_of(route)}
    assert len(keys) == 2


def test_redirects_are_not_followed(client: PhosonClient, api: respx.MockRouter) -> None:
    """A redirect (to another host or not) is never followed with the key; it is an error."""
    api.get("/agents").mock(
        return_value=httpx.Response(307, headers={"location": "https://evil.example/agents"})
    )
    with pytest.raises(PhosonAPIError) as caught:
        client.agents.list()
    assert caught.value.status_code == 307
    assert "redirect to https://evil.example/agents not followed" in str(caught.value)
    # Only the one request went out: nothing was sent to the other host.
    assert len(api.calls) == 1
