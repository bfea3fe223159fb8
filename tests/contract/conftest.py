"""The contract tests' live server: Engage served by uvicorn on its own throwaway database,
seeded with the demo dataset and an admin token."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from app import demo
from app.core.config import Settings
from app.core.db import create_engine
from app.core.db import create_session_factory
from app.main import create_app
from app.users import service as users_service
from app.users.schemas import TokenCreate
from app.users.schemas import UserCreate
from tests.conftest import create_database
from tests.conftest import drop_database

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
