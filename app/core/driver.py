"""Hot reads on the driver connection: a Core statement built once is compiled once (per
dialect) and then run with asyncpg directly on the request's pooled connection, past
SQLAlchemy's execution layer (parameter processing, result wrapping, greenlet hops), which cost
the worker more per request than PostgreSQL takes to answer an opportunity by id.

Parameters pass through their types' bind processors (JSONB values are serialised, as
SQLAlchemy would), and the statement's own bound literals keep their values. A connection the
driver reports broken is invalidated, so the pool opens a new one.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

_BROKEN = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


@dataclass(frozen=True)
class Compiled:
    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            process = self.processors.get(name)
            values.append(value if process is None or value is None else process(value))
        return values


_COMPILED: weakref.WeakKeyDictionary[Executable, Compiled] = weakref.WeakKeyDictionary()


def compiled(statement: Executable, dialect: Dialect) -> Compiled:
    """The statement's SQL (`$1`, `$2`, ...) and the names of its parameters in that order."""
    found = _COMPILED.get(statement)
    if found is None:
        result = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        found = _COMPILED[statement] = Compiled(
            result.string,
            tuple(result.positiontup or ()),
            dict(result.params),
            dict(result._bind_processors),
        )
    return found


@dataclass(frozen=True)
class ReadPool:
    """The asyncpg pool a served app's GETs run their hot reads on, and the dialect their
    statements compile for."""

    pool: asyncpg.Pool
    dialect: Dialect
    timeout: float  # longest wait for a connection (then 503, as for the engine's pool)
    # One turn per connection, granted first come, first served. Waiting on the pool itself
    # is not fair: a request arriving as a connection comes back takes it ahead of those
    # already waiting, which go to the back of the queue again (the long tail of a busy pool).
    turns: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "turns", asyncio.Semaphore(self.pool.get_max_size()))


# Where a read session carries its `ReadPool` (`UnitOfWork`), when the app has one.
READ_POOL = "engage.read_pool"


async def fetch(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Sequence[asyncpg.Record]:
    """The statement's rows, run by asyncpg: on a connection of the read pool when the session
    carries one (a served GET: no session connection, no greenlet hop, no transaction), else on
    the session's own connection (writes, and tests' sessions)."""
    reads: ReadPool | None = session.info.get(READ_POOL)
    if reads is not None:
        return await _pooled(reads, compiled(statement, reads.dialect), params)
    connection = await session.connection()
    query = compiled(statement, connection.dialect)
    # Checked out just now: the pooled connection is at hand without another greenlet hop
    # (`get_raw_connection()` would take one).
    driver: asyncpg.Connection = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    try:
        rows: Sequence[asyncpg.Record] = await driver.fetch(query.sql, *query.args(params))
    except _BROKEN:
        await connection.invalidate()
        raise
    return rows


async def _pooled(
    reads: ReadPool, query: Compiled, params: Mapping[str, Any]
) -> Sequence[asyncpg.Record]:
    """A read on the pool, run once more if its connection was broken (a server restart or a
    killed backend leaves dead connections in the pool; asyncpg replaces one when it comes
    back): a read changes nothing, so the second answer is the answer."""
    args = query.args(params)
    try:
        return await _fetch_on(reads, query.sql, args)
    except _BROKEN as exc:
        if isinstance(exc, TimeoutError):  # no turn in time: waiting again helps nobody
            raise
        return await _fetch_on(reads, query.sql, args)


async def _fetch_on(reads: ReadPool, sql: str, args: list[Any]) -> Sequence[asyncpg.Record]:
    async with asyncio.timeout(reads.timeout):
        await reads.turns.acquire()
    try:
        async with reads.pool.acquire(timeout=reads.timeout) as connection:
            rows: Sequence[asyncpg.Record] = await connection.fetch(sql, *args)
    finally:
        reads.turns.release()
    return rows


async def fetch_first(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> asyncpg.Record | None:
    rows = await fetch(session, statement, params)
    return rows[0] if rows else None
