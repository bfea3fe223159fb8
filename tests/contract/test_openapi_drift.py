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


def _request_schemas(spec: dict) -> set[str]:  # type: ignore[type-arg]
    names: set[str] = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    names.add(ref.rsplit("/", 1)[-1])
    return names


def _unbounded(schema: dict, path: str, components: dict, seen: set[str]) -> list[str]:  # type: ignore[type-arg]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded(components[name], name, components, seen)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, path, components, seen)
    kind = schema.get("type")
    if kind == "string" and not (
        "maxLength" in schema or "enum" in schema or "const" in schema or "format" in schema
    ):
        found.append(path)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(path + "[]")
        found += _unbounded(schema.get("items", {}), path + "[]", components, seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, f"{path}.{name}", components, seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        found += _unbounded(extra, path + "{}", components, seen)
    return found


def test_every_request_string_has_max_length_and_array_max_items() -> None:
    spec = json.loads(openapi_document())
    components = spec["components"]["schemas"]
    unbounded: list[str] = []
    for name in sorted(_request_schemas(spec)):
        unbounded += _unbounded(components[name], name, components, set())
    assert unbounded == []
