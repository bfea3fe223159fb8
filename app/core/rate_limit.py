"""Rate limits in fixed one-minute windows, counted in PostgreSQL so that every worker and
replica shares one budget (API.md sections 1 and 10).

The budget belongs to a *subject*: the user (all of a user's tokens share it), or, for a request
without a valid token, the client address, so tokens cannot be guessed at speed. Spending is one
autocommit statement on a connection that is never the request's own pooled one: production
counts on a small dedicated pool (`Counter` over asyncpg), so a request holding a pooled
connection never waits for a second one from the same pool (which deadlocked the pool past its
size). Once a subject is over budget, this process refuses it without asking the database again
until the window ends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

WINDOW_SECONDS = 60
HEAVY_PATHS = ("/api/v1/leads/batch", "/api/v1/leads/import")
HEAVY_COST = 10
_ADDRESS_NAMESPACE = uuid.UUID("5b0c8a64-3b58-4a43-9d0e-7c7e3c1e2f10")

# One round trip: spend in the current window and drop the subject's older windows.
SPEND_SQL = """
WITH pruned AS (
    DELETE FROM rate_limit_windows WHERE subject_id = $1 AND window_start < $2
)
INSERT INTO rate_limit_windows AS w (subject_id, window_start, count) VALUES ($1, $2, $3)
ON CONFLICT (subject_id, window_start) DO UPDATE SET count = w.count + excluded.count
RETURNING w.count
"""

# (subject, window start, cost) -> the subject's count in that window after spending.
Counter = Callable[[uuid.UUID, datetime, int], Awaitable[int]]


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(max(self.remaining, 0)).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


def cost_of(method: str, path: str) -> int:
    return HEAVY_COST if method == "POST" and path in HEAVY_PATHS else 1


def address_subject(address: str) -> uuid.UUID:
    """The budget key of requests without a valid token from one client address."""
    return uuid.uuid5(_ADDRESS_NAMESPACE, address)


def _window(epoch: int) -> tuple[datetime, int]:
    """The window's start and the seconds until it resets."""
    offset = epoch % WINDOW_SECONDS
    return datetime.fromtimestamp(epoch - offset, UTC), WINDOW_SECONDS - offset


async def _spend_on(session: AsyncSession, subject: uuid.UUID, start: datetime, cost: int) -> int:
    connection = await session.connection()
    used = (await connection.exec_driver_sql(SPEND_SQL, (subject, start, cost))).scalar_one()
    await session.commit()
    return int(used)


async def spend(
    session: AsyncSession, subject: uuid.UUID, cost: int, limit: int, now: datetime | None = None
) -> Budget:
    """Spend on a session's connection (and commit)."""
    start, reset = _window(int((now or datetime.now(UTC)).timestamp()))
    used = await _spend_on(session, subject, start, cost)
    return Budget(limit=limit, remaining=limit - used, reset_seconds=reset)


def session_counter(factory: Callable[[], async_sessionmaker[AsyncSession]]) -> Counter:
    """Counts in a session of its own: for apps given a session factory (tests). On a test's
    one shared connection a failed write's rollback also takes back its spend."""

    async def count(subject: uuid.UUID, start: datetime, cost: int) -> int:
        async with factory()() as session:
            return await _spend_on(session, subject, start, cost)

    return count


def pool_counter(pool: asyncpg.Pool) -> Counter:
    """Counts on the dedicated pool; a connection that died (a restart) is retried once."""

    async def count(subject: uuid.UUID, start: datetime, cost: int) -> int:
        for attempt in (1, 2):
            try:
                return int(await pool.fetchval(SPEND_SQL, subject, start, cost))
            except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    return count


class RateLimiter:
    def __init__(self, limit: int, count: Counter) -> None:
        self.limit = limit
        self._count = count
        self._window = 0
        # Subjects over budget in the current window: refused here, without a round trip.
        self._exhausted: set[uuid.UUID] = set()

    async def spend(self, subject: uuid.UUID, cost: int) -> Budget:
        epoch = int(time.time())
        start, reset = _window(epoch)
        if self._window != epoch - epoch % WINDOW_SECONDS:
            self._window = epoch - epoch % WINDOW_SECONDS
            self._exhausted.clear()
        if subject in self._exhausted:
            return Budget(limit=self.limit, remaining=-1, reset_seconds=reset)
        used = await self._count(subject, start, cost)
        budget = Budget(limit=self.limit, remaining=self.limit - used, reset_seconds=reset)
        if budget.exceeded:
            self._exhausted.add(subject)
        return budget
