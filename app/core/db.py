"""The database: URL resolution (server or embedded PostgreSQL), engine and session factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings

# Keeps the embedded server handle alive for the life of the process.
_embedded: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL in `data_dir` and return its asyncpg URL."""
    import pgserver

    data_dir = data_dir.resolve()
    pgdata = data_dir / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _embedded.get(pgdata)
    if server is None:
        # Left running on exit so a second process (a worker, the CLI) can share it.
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        _embedded[pgdata] = server
    return to_asyncpg_url(server.get_uri())


def to_asyncpg_url(uri: str) -> str:
    parsed = urlparse(uri)
    query = parse_qs(parsed.query)
    user = parsed.username or "postgres"
    database = parsed.path.lstrip("/") or "postgres"
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    if host.startswith("/"):
        return f"postgresql+asyncpg://{user}@/{database}?host={host}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"postgresql+asyncpg://{user}@{host}{port}/{database}"


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    url = embedded_database_url(settings.data_dir)
    # Child processes (uvicorn workers, alembic) reuse the server this process started.
    os.environ["ENGAGE_DATABASE_URL"] = url
    return url


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        connect_args={
            "statement_cache_size": settings.statement_cache_size,
            "server_settings": {"application_name": "engage", "timezone": "UTC"},
        },
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
