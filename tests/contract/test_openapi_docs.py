"""The OpenAPI document as a client generator and a reader need it (API.md section 10), and the
docs pages working offline."""

from __future__ import annotations

import json
import re

import httpx

from app.cli import openapi_document
from app.core.openapi import description_coverage
from app.core.openapi import operations
from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests

SPEC = json.loads(openapi_document())


def test_every_error_response_is_problem_json_only() -> None:
    wrong = []
    for path, method, operation in operations(SPEC):
        for status, response in operation["responses"].items():
            if int(status) < 400 or path in ("/readyz", "/healthz"):
                continue
            content = response.get("content", {})
            schema = content.get("application/problem+json", {}).get("schema")
            if list(content) != ["application/problem+json"] or schema is None:
                wrong.append(f"{method} {path} {status}")
            elif schema != {"$ref": "#/components/schemas/Problem"}:
                wrong.append(f"{method} {path} {status} schema")
    assert wrong == []
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]


def test_every_operation_has_summary_and_description() -> None:
    missing = [
        f"{method} {path}"
        for path, method, operation in operations(SPEC)
        if not operation.get("summary") or not operation.get("description")
    ]
    assert missing == []


def test_at_least_98_percent_of_properties_are_described() -> None:
    described, total = description_coverage(SPEC)
    assert total > 500
    assert described / total >= 0.98, f"{described} of {total} properties described"


def test_every_create_operation_has_a_request_example() -> None:
    creates = [
        (path, operation)
        for path, method, operation in operations(SPEC)
        if method == "post" and "201" in operation["responses"]
    ]
    assert len(creates) >= 15
    missing = [
        path
        for path, operation in creates
        if not any("example" in m for m in operation["requestBody"]["content"].values())
    ]
    assert missing == []


async def test_docs_pages_load_their_assets_from_engage() -> None:
    app = create_app(settings_for_tests())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
        for page in ("/docs", "/redoc"):
            r = await client.get(page)
            assert r.status_code == 200 and "text/html" in r.headers["content-type"]
            sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
            assert sources, page
            assert all(s.startswith("/docs/assets/") for s in sources), sources
            for source in sources:
                asset = await client.get(source)
                assert asset.status_code == 200 and len(asset.content) > 1000, source


def test_csv_import_says_cells_are_stored_as_sent_and_warns_about_formulas() -> None:
    text = SPEC["paths"]["/api/v1/leads/import"]["post"]["description"]
    assert "stored as sent" in text
    assert all(f"`{c}`" in text for c in "=+-@") and "formula" in text
