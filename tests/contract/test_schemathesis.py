"""Property-based contract test: every operation of Engage's own OpenAPI document, seeded and
authenticated, against a real server on a real database. Fails on any 5xx, an undocumented
status, or a response that does not match its declared schema, headers or content type."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from app import demo
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.main import create_app
from app.users import service as users_service
from app.users.schemas import TokenCreate, UserCreate
from tests.conftest import create_database, drop_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The collection a path parameter follows -> the table whose ids make it a real resource.
TABLES = {
    "users": "users",
    "tokens": "api_tokens",
    "territories": "territories",
    "accounts": "accounts",
    "units": "units",
    "plans": "plans",
    "activities": "activities",
    "leads": "leads",
    "contacts": "contacts",
    "opportunities": "opportunities",
    "meetings": "meetings",
    "stages": "stages",
    "quotas": "users",
    "forecasts": "forecast_submissions",
    "webhooks": "webhooks",
}
KNOWN: dict[str, list[str]] = {}


async def _seed(url: str) -> str:
    """Load the demo dataset, keep a token for a dedicated admin, and collect real ids."""
    engine = create_engine(url, Settings(database_url=url))
    try:
        async with create_session_factory(engine)() as session:
            await demo.load(session)
            user = await users_service.create_user(
                session, None, UserCreate(email="schemathesis@example.com", name="ST", role="admin")
            )
            token_row, token = await users_service.create_token(
                session, None, user.id, TokenCreate()
            )
            await session.commit()
            for table in set(TABLES.values()):
                exists = await session.scalar(text("SELECT to_regclass(:t)"), {"t": table})
                if exists is None:
                    continue
                key = "slug" if table == "stages" else "id"
                rows = (
                    await session.execute(text(f"SELECT {key}::text FROM {table} LIMIT 50"))
                ).all()
                # The test's own admin and token stay untouched so every case is authenticated.
                KNOWN[table] = [r[0] for r in rows if r[0] not in (str(user.id), str(token_row.id))]
            return token
    finally:
        await engine.dispose()


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, str]]:
    """Engage served by uvicorn in a thread, on its own throwaway database."""
    url = asyncio.run(create_database("engage_contract"))
    token = asyncio.run(_seed(url))
    app = create_app(Settings(database_url=url, environment="test", rate_limit_per_minute=0))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield base, token
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        asyncio.run(drop_database(url))


@pytest.fixture(scope="module")
def api_schema(live_server: tuple[str, str]) -> Any:
    base, _ = live_server
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


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
