"""The method router's route table finds, among the few templates of a path's shape, what a scan
of every template in order of literal segments would find."""

from __future__ import annotations

import json
import re

from app.cli import openapi_document
from app.core.strict_http import PathTemplate
from app.core.strict_http import RouteTable

DOCUMENT = json.loads(openapi_document())


def _scan(table: RouteTable, path: str) -> PathTemplate | None:
    return next((t for t in table.templates if t.pattern.match(path)), None)


def test_resolve_agrees_with_a_full_scan() -> None:
    table = RouteTable.from_openapi(DOCUMENT)
    paths = []
    for template in DOCUMENT["paths"]:
        for value in ("3f2b8a8e-0d4c-4a49-8a53-0c2d1e7b9f10", "batch", "import", "x"):
            paths.append(re.sub(r"\{[^}]+\}", value, template))
    paths += ["/api/v1/nothing", "/", "/api/v1/leads/batch/extra", "/docs", "/api"]
    for path in paths:
        assert table.resolve(path) == _scan(table, path), path


def test_a_literal_segment_wins_and_a_parameter_first_template_is_still_found() -> None:
    table = RouteTable(
        {
            "/api/v1/leads/{id}": ["get", "patch"],
            "/api/v1/leads/batch": ["post"],
            "/{tenant}/status": ["get"],
        }
    )
    resolved = table.resolve("/api/v1/leads/batch")
    assert resolved is not None and resolved.template == "/api/v1/leads/batch"
    resolved = table.resolve("/api/v1/leads/abc")
    assert resolved is not None and resolved.methods == {"GET", "PATCH"}
    resolved = table.resolve("/acme/status")
    assert resolved is not None and resolved.template == "/{tenant}/status"
    assert table.resolve("/api/v1/other") is None
