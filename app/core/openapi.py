"""The OpenAPI document as a client generator needs it, refined once after FastAPI builds it:
every error response is `application/problem+json` with the `Problem` schema (and under no
other media type), operations and properties the code leaves undescribed get the texts of
`app.core.openapi_text`, every create operation shows a request example, and multi-value
query filters are declared in their comma form."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from app.core.errors import PROBLEM_JSON
from app.core.openapi_text import EXAMPLES
from app.core.openapi_text import OPERATIONS
from app.core.openapi_text import PROPERTIES
from app.core.query_lists import MAX_VALUES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# FastAPI's own validation error shapes: Engage never sends them (its 422 is a Problem).
UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    verbs = {"get", "put", "post", "delete", "patch", "head", "options"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in verbs:
                yield path, method, operation


def _is_problem(response: Mapping[str, Any]) -> bool:
    """An error response of the API (not e.g. `/readyz`'s own 503 body)."""
    content = response.get("content", {})
    refs = {str(media.get("schema", {}).get("$ref", "")) for media in content.values()}
    names = {ref.rsplit("/", 1)[-1] for ref in refs}
    return PROBLEM_JSON in content or bool(names & {"Problem", *UNUSED_SCHEMAS})


def _problem_responses(document: dict[str, Any]) -> None:
    for _, _, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if status.isdigit() and int(status) >= 400 and _is_problem(response):
                response["content"] = {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}}
    schemas = document.get("components", {}).get("schemas", {})
    for name in UNUSED_SCHEMAS:
        schemas.pop(name, None)


def _describe_operations(document: dict[str, Any]) -> None:
    for _, _, operation in operations(document):
        if not operation.get("description"):
            text = OPERATIONS.get(operation.get("operationId", ""))
            if text:
                operation["description"] = text


def _describe_properties(document: dict[str, Any]) -> None:
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for prop, spec in schema.get("properties", {}).items():
            if "description" not in spec:
                text = PROPERTIES.get(f"{name}.{prop}") or PROPERTIES.get(prop)
                if text:
                    spec["description"] = text


def _examples(document: dict[str, Any]) -> None:
    for _, _, operation in operations(document):
        example = EXAMPLES.get(operation.get("operationId", ""))
        content = operation.get("requestBody", {}).get("content", {})
        if example is None or not content:
            continue
        for media in content.values():
            media.setdefault("example", example)


def _comma_lists(document: dict[str, Any]) -> None:
    """A multi-value query filter (`AnyOf`) is sent comma-separated: `form` without explode."""
    for _, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            variants = schema.get("anyOf", [schema])
            arrays = [v for v in variants if v.get("type") == "array"]
            if parameter.get("in") == "query" and arrays:
                parameter["style"] = "form"
                parameter["explode"] = False
                for array in arrays:
                    array["maxItems"] = MAX_VALUES


BEARER = "HTTPBearer"


def _security(document: dict[str, Any]) -> None:
    """Every operation under `/api/` takes an API token. The request middleware checks it, so
    the scheme is declared here rather than by a dependency that would run on every request."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[BEARER] = {"type": "http", "scheme": "bearer", "description": "An Engage API token."}
    for path, _, operation in operations(document):
        if path.startswith("/api/"):
            operation["security"] = [{BEARER: []}]


def refine(document: dict[str, Any]) -> dict[str, Any]:
    _security(document)
    _problem_responses(document)
    _comma_lists(document)
    _describe_operations(document)
    _describe_properties(document)
    _examples(document)
    return document


def install(app: FastAPI) -> None:
    """Replace `app.openapi` by one that refines FastAPI's document once, then caches it."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = refine(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def description_coverage(document: Mapping[str, Any]) -> tuple[int, int]:
    """(described, all) properties over the document's component schemas."""
    described = total = 0
    for schema in document.get("components", {}).get("schemas", {}).values():
        for spec in schema.get("properties", {}).values():
            total += 1
            described += "description" in spec
    return described, total
