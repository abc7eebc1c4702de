"""docs/openapi.json: valid OpenAPI 3.1, generated from the code (the server's routes and request
models, the SDK's wire module and response models), and a --check that fails on drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from phoson import _wire as wire
from phoson.testing import openapi
from phoson.testing._app import _ROUTES  # pyright: ignore[reportPrivateUsage]

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): spec
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    """openapi-spec-validator accepts the committed document as OpenAPI 3.1."""
    assert document["openapi"].startswith("3.1")
    # Its signature's key type changed across releases (Hashable keys up to 0.7.x).
    validate(document)  # type: ignore[arg-type,unused-ignore]


def test_every_route_the_server_serves_is_documented(document: dict[str, Any]) -> None:
    """The server's routing table and the document list the same methods on the same paths,
    under the server's endpoint names (operationId)."""
    served: set[tuple[str, str, str]] = set()
    for template, methods in _ROUTES:
        names = iter(
            ["{agent_id}", "{mcp_id}"] if template[0] == "agents" else ["{conversation_id}"]
        )
        path = "/" + "/".join(segment if segment else next(names) for segment in template)
        served |= {(method, path, endpoint) for method, endpoint in methods.items()}
    documented = {(m, p, spec["operationId"]) for (m, p), spec in operations(document).items()}
    assert documented == served


def test_every_sdk_call_is_documented(document: dict[str, Any]) -> None:
    """Each call the SDK can make names its operation in the document, and the document's
    method and path are the ones the SDK sends."""
    names = {n for n in wire.__all__ if n.split("_")[0] in {"agents", "conversations", "messages"}}
    expected = {n.replace("_", ".", 1) for n in names} - {"messages.send"}
    expected |= {"messages.send", "messages.stream"}
    documented = {
        method for spec in operations(document).values() for method in spec["x-phoson-sdk-methods"]
    }
    assert documented == expected
    call = wire.agents_attach_mcp("agt 1", "mcp/2")
    spec = operations(document)[("POST", "/agents/{agent_id}/mcps/{mcp_id}")]
    assert spec["x-phoson-sdk-methods"] == [call.operation]


def test_bodies_and_events_come_from_the_models(document: dict[str, Any]) -> None:
    """Request bodies are the server's validation models, the stream's events are the SDK's
    event models, and errors have FastAPI's shapes."""
    schemas = document["components"]["schemas"]
    create = schemas["MessageCreate"]
    assert create["required"] == ["content"]
    assert create["properties"]["stream"]["default"] is False
    send = operations(document)[("POST", "/conversations/{conversation_id}/messages")]
    content = send["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Message"}
    events = schemas["StreamEvent"]["discriminator"]["mapping"]
    assert set(events) == {"token", "reasoning", "tool_start", "tool_end", "run_done", "error"}
    frames = content["text/event-stream"]["schema"]
    assert frames == {"$ref": "#/components/schemas/ServerSentEvent"}
    token = schemas["ServerSentEvent"]["oneOf"][0]["properties"]
    assert token["event"] == {"const": "token"}
    assert token["data"]["contentSchema"] == {"$ref": "#/components/schemas/TokenEvent"}
    assert set(schemas["ToolStartEvent"]["required"]) == {"tool", "input", "tool_call_id"}
    validation = send["responses"]["422"]["content"]["application/json"]["schema"]
    assert validation == {"$ref": "#/components/schemas/HTTPValidationError"}


def test_check_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--check` passes on a freshly written file and fails (exit 1, saying what to run) on a
    stale or missing one; without it the file is rewritten."""
    target = tmp_path / "openapi.json"
    assert openapi.main(["--check", "--output", str(target)]) == 1
    assert openapi.main(["--output", str(target)]) == 0
    assert openapi.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text().replace('"Create an agent"', '"Make an agent"'))
    assert openapi.main(["--check", "--output", str(target)]) == 1
    assert "python -m phoson.testing.openapi" in capsys.readouterr().err
