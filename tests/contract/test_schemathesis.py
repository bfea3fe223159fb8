"""Property-based contract test: every operation of Engage's own OpenAPI document, seeded and
authenticated, against a real server on a real database. Fails on any 5xx, an undocumented
status, or a response that does not match its declared schema, headers or content type."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_headers_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.contract.conftest import KNOWN
from tests.contract.conftest import TABLES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schemathesis.hook
def flatmap_path_parameters(
    context: HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Half the time, aim each id at a real resource so success paths are checked too."""
    operation = context.operation
    if operation is None or not path_parameters:
        return st.just(path_parameters)
    segments = operation.path.strip("/").split("/")
    choices: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in path_parameters.items():
        marker = "{" + name + "}"
        position = segments.index(marker) if marker in segments else 0
        table = TABLES.get(segments[position - 1]) if position else None
        pool = KNOWN.get(table or "", [])
        choices[name] = st.sampled_from([value, *pool]) if pool else st.just(value)
    return st.fixed_dictionaries(choices)


@pytest.fixture(scope="module")
def api_schema(live_server: tuple[str, str]) -> Any:
    base, _ = live_server
    # A generous timeout: on a loaded CI machine the first /openapi.json can take seconds.
    return schemathesis.openapi.from_url(f"{base}/openapi.json", timeout=120)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case: Any, live_server: tuple[str, str]) -> None:
    _, token = live_server
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
