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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


async def _admin_token(url: str) -> str:
    engine = create_engine(url, Settings(database_url=url))
    try:
        async with create_session_factory(engine)() as session:
            user = await users_service.create_user(
                session, None, UserCreate(email="schemathesis@example.com", name="ST", role="admin")
            )
            _, token = await users_service.create_token(session, None, user.id, TokenCreate())
            await session.commit()
            return token
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, str]]:
    """Engage served by uvicorn in a thread, on its own throwaway database."""
    url = asyncio.run(create_database("engage_contract"))
    token = asyncio.run(_admin_token(url))
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
