"""Database down (API.md section 10): every request gets an answer, 503 `unavailable` with
Retry-After while PostgreSQL cannot be reached; `engage serve` without a database exits with one
line; and a 500 closes the connection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests
from tests.api.test_rate_limits import client_for
from tests.factories import Actors

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on exit: nothing listens there


UNREACHABLE = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/engage"


async def test_requests_answer_503_while_the_database_is_unreachable() -> None:
    # Rate limiting off; on with a budget counted in PostgreSQL on every request (small), and
    # on with one counted locally at first (large: the flush fails and is kept for later).
    for per_minute in (0, 50, 600):
        settings = settings_for_tests(
            database_url=UNREACHABLE,
            rate_limit_per_minute=per_minute,
            connect_timeout_seconds=2,
            gc_young_threshold=0,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), client_for(app) as client:
            auth = {"Authorization": "Bearer eng_whoever"}
            anonymous = await client.get("/api/v1/leads")
            # Without a token nothing needs the database, unless its address's budget does.
            assert anonymous.status_code == (503 if per_minute == 50 else 401)
            for r in (
                anonymous,
                await client.get("/api/v1/me", headers=auth),
                await client.post("/api/v1/leads", json={"email": "a@b.example"}, headers=auth),
            ):
                if r.status_code == 401:
                    continue
                assert r.status_code == 503, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["type"] == "/problems/unavailable"
                assert r.json()["status"] == 503
                assert int(r.headers["retry-after"]) > 0
                assert r.headers["cache-control"] == "no-store"
            ready = await client.get("/readyz")
            assert ready.status_code == 503


def _failing_app(connection: AsyncConnection) -> FastAPI:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    app = create_app(settings_for_tests(), session_factory=factory)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.router.add_api_route("/api/v1/broken", broken, methods=["GET", "POST"])
    return app


async def test_a_500_is_a_problem_and_closes_the_connection(
    connection: AsyncConnection, actors: Actors
) -> None:
    async with client_for(_failing_app(connection)) as client:
        for method in ("GET", "POST"):
            r = await client.request(method, "/api/v1/broken", headers=actors.rep.headers)
            assert r.status_code == 500
            assert r.json()["type"] == "/problems/internal"
            assert "a bug" not in r.text
            assert r.headers["connection"] == "close"
        ok = await client.get("/api/v1/me", headers=actors.rep.headers)
        assert ok.status_code == 200 and "connection" not in ok.headers


def test_serve_without_a_database_exits_with_one_line() -> None:
    env = {
        **os.environ,
        "ENGAGE_DATABASE_URL": UNREACHABLE,
        "ENGAGE_CONNECT_TIMEOUT_SECONDS": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(_closed_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("engage: cannot reach the database"), lines
    assert "Traceback" not in done.stderr
