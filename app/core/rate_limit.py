"""Per-token rate limits in fixed one-minute windows, counted in PostgreSQL so that every worker
and replica shares one budget. One short autocommit statement per request, outside the request's
transaction so concurrent requests of one token never wait on each other's work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import RateLimitWindow

WINDOW_SECONDS = 60
HEAVY_PATHS = ("/api/v1/leads/batch", "/api/v1/leads/import")
HEAVY_COST = 10


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


async def spend(
    session: AsyncSession, token_id: uuid.UUID, cost: int, limit: int, now: datetime | None = None
) -> Budget:
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % WINDOW_SECONDS, UTC)
    statement = (
        insert(RateLimitWindow)
        .values(token_id=token_id, window_start=start, count=cost)
        .on_conflict_do_update(
            index_elements=[RateLimitWindow.token_id, RateLimitWindow.window_start],
            set_={"count": RateLimitWindow.count + cost},
        )
        .returning(RateLimitWindow.count)
    )
    used = int((await session.execute(statement)).scalar_one())
    if used == cost:
        # First request of this token's window: drop its older windows.
        await session.execute(
            delete(RateLimitWindow).where(
                RateLimitWindow.token_id == token_id, RateLimitWindow.window_start < start
            )
        )
    await session.commit()
    reset = WINDOW_SECONDS - epoch % WINDOW_SECONDS
    return Budget(limit=limit, remaining=limit - used, reset_seconds=reset)
