"""Platform behaviour that needs real commits or processes: idempotency in flight, migrations
under the advisory lock, pool pre-ping after a PostgreSQL restart, CORS, readiness, the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.db import create_engine
from app.core.db import create_session_factory
from app.core.idempotency import IdempotencyClaim
from app.core.idempotency import _lock_key
from app.main import create_app
from app.models import ApiToken
from app.models import IdempotencyRecord
from app.models import User
from tests.api.conftest import test_settings as settings_for_tests
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def committed_admin(engine: AsyncEngine) -> AsyncIterator[tuple[User, str]]:
    """An admin committed for real (for tests that need several transactions); removed after."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        actor = await make_user(session, "admin")
        await session.commit()
    try:
        yield actor.user, actor.token
    finally:
        async with AsyncSession(engine) as session:
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.principal_id == actor.id)
            )
            created = select(User.id).where(User.email.like(f"%{actor.id.hex[:6]}%"))
            await session.execute(delete(ApiToken).where(ApiToken.user_id.in_(created)))
            await session.execute(delete(User).where(User.id.in_(created)))
            await session.execute(delete(User).where(User.id == actor.id))
            await session.commit()


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engage.test")  # type: ignore[arg-type]


async def test_idempotency_key_in_flight_is_409_with_retry_after(
    engine: AsyncEngine, committed_admin: tuple[User, str]
) -> None:
    admin, token = committed_admin
    app = create_app(
        settings_for_tests(), session_factory=async_sessionmaker(engine, expire_on_commit=False)
    )
    path = "/api/v1/users"
    claim = IdempotencyClaim(admin.id, "POST", path, "in-flight-1", b"")
    body = {"email": f"flight-{admin.id.hex[:6]}@example.com", "name": "F", "role": "rep"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "in-flight-1"}
    async with engine.connect() as holder, _client(app) as client:
        # Another request holding the key: its transaction-scoped lock is taken here.
        await holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(claim)})
        r = await client.post(path, json=body, headers=headers)
        assert r.status_code == 409
        assert r.json()["type"] == "/problems/idempotency-in-flight"
        assert r.headers["retry-after"] == "1"
        await holder.rollback()
        r = await client.post(path, json=body, headers=headers)
        assert r.status_code == 201
        again = await client.post(path, json=body, headers=headers)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == r.json()["id"]


async def test_requests_survive_a_postgres_restart_of_the_pools_connections(
    database_url: str, committed_admin: tuple[User, str]
) -> None:
    settings = Settings(database_url=database_url, pool_size=2)
    engine = create_engine(database_url, settings)
    app = create_app(settings_for_tests(), session_factory=create_session_factory(engine))
    headers = {"Authorization": f"Bearer {committed_admin[1]}"}
    try:
        async with _client(app) as client:
            assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
            async with engine.connect() as conn:
                killer = create_async_engine(database_url)
                async with killer.connect() as k:
                    await k.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND application_name = 'engage' "
                            "AND pid <> pg_backend_pid()"
                        )
                    )
                await killer.dispose()
                del conn
            assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    finally:
        await engine.dispose()


def _migrate_processes(url: str, count: int) -> list[subprocess.Popen[str]]:
    env = {"ENGAGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "migrate"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]


async def test_concurrent_migrations_wait_for_the_advisory_lock() -> None:
    """Three processes migrating one empty database at once: one applies, the others wait."""
    url = await create_database("engage_migrate")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        processes = _migrate_processes(url, 3)
        results = [await asyncio.to_thread(p.communicate, timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], results
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
            stages = (await conn.execute(text("SELECT count(*) FROM users"))).scalar()
        assert versions == 1 and stages == 0
    finally:
        await engine.dispose()
        await drop_database(url)


async def test_cors_allow_list(connection: object) -> None:
    factory = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint")  # type: ignore[call-overload]
    app = create_app(
        settings_for_tests(cors_origins=["https://app.example.com"]), session_factory=factory
    )
    async with _client(app) as client:
        ok = await client.options(
            "/api/v1/me",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert ok.headers.get("access-control-allow-origin") == "https://app.example.com"
        bad = await client.options(
            "/api/v1/me",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in bad.headers


async def test_readyz_is_503_when_schema_not_at_head(
    client: httpx.AsyncClient, app: object
) -> None:
    app.state.migration_heads = {"not-a-revision"}  # type: ignore[attr-defined]
    r = await client.get("/readyz")
    assert r.status_code == 503


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings(timezone="Mars/Olympus")
    assert Settings(timezone="Europe/Berlin").tz.key == "Europe/Berlin"


def test_production_refuses_default_cursor_secret() -> None:
    with pytest.raises(RuntimeError):
        create_app(Settings(environment="production"))


def test_cli_help_and_users_create_prints_token_last(database_url: str) -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    for command in ("serve", "migrate", "users", "openapi", "demo"):
        assert command in help_text
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "users",
            "create",
            "--email",
            email,
            "--name",
            "Cli",
            "--role",
            "admin",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"ENGAGE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("eng_")

    async def me() -> int:
        engine = create_async_engine(database_url)
        app = create_app(settings_for_tests(), session_factory=async_sessionmaker(engine))
        try:
            async with _client(app) as client:
                r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                return r.status_code
        finally:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "DELETE FROM api_tokens WHERE user_id IN "
                        "(SELECT id FROM users WHERE email = :e)"
                    ),
                    {"e": email},
                )
                await conn.execute(text("DELETE FROM users WHERE email = :e"), {"e": email})
            await engine.dispose()

    assert asyncio.run(me()) == 200


async def test_jit_is_off_for_new_connections(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("SHOW jit"))).scalar() == "off"
