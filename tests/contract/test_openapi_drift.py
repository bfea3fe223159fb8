"""The committed openapi/openapi.json is what the app serves (`engage openapi` writes it)."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    assert COMMITTED.exists(), "run `engage openapi` and commit openapi/openapi.json"
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_document()), (
        "openapi/openapi.json is stale: run `engage openapi` and commit it"
    )


def test_every_operation_has_an_id_and_declares_problem_responses() -> None:
    spec = json.loads(openapi_document())
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            if path.startswith("/api/"):
                assert "application/problem+json" in operation["responses"]["422"]["content"]
