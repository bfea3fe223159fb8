"""The database: URL resolution (server or embedded PostgreSQL), engine and session factory."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlparse

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine

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


# Exceptions meaning "PostgreSQL cannot be reached or is going away", wherever they surface.
_DOWN: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, and connect timeouts (TimeoutError is an OSError)
    PoolTimeout,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionDoesNotExistError,
)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it wraps: SQLAlchemy's `orig`, a `raise ... from`) says the
    database cannot be reached, as opposed to refusing a statement."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, _DOWN) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return False


SERVER_SETTINGS = {"application_name": "engage", "timezone": "UTC"}


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        connect_args={
            "statement_cache_size": settings.statement_cache_size,
            "timeout": settings.connect_timeout_seconds,
            "server_settings": SERVER_SETTINGS,
        },
    )
    _ping_after_idle(engine, settings.pool_ping_after_idle_seconds)
    return engine


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before reuse only when it sat idle for `idle_seconds`.

    `pool_pre_ping` would cost three round trips (BEGIN, ping, ROLLBACK) on every request; a
    connection returned moments ago is as good as a ping. Raising DisconnectionError makes the
    pool discard the connection and hand out a fresh one.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.pop("checked_in_at", None)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # any failure: the pool retries with a new connection
            raise DisconnectionError(str(exc)) from exc


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for GET and HEAD: autocommit, so a read sends no BEGIN and no COMMIT.

    Each statement of a READ COMMITTED transaction takes its own snapshot anyway, so reads see
    nothing different; what a read cannot do here is write atomically, and it does not write.
    """
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
    )


def driver_dsn(url: str) -> str:
    """The asyncpg DSN of a `postgresql+asyncpg://` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _keep_session(connection: asyncpg.Connection) -> None:
    return None


async def create_side_pool(url: str, settings: Settings, size: int) -> asyncpg.Pool:
    """A small asyncpg pool apart from the engine's, for bookkeeping a request does while it
    holds a pooled connection (rate limits): it never competes with requests for the engine's
    pool. Connections open on first use, so creating it needs no database."""
    pool = await asyncpg.create_pool(
        driver_dsn(url),
        # Its statements leave no session state behind: skip asyncpg's reset on release
        # (a round trip per use).
        reset=_keep_session,
        min_size=0,
        max_size=size,
        timeout=settings.connect_timeout_seconds,
        statement_cache_size=settings.statement_cache_size,
        server_settings=SERVER_SETTINGS,
    )
    assert pool is not None
    return pool
