"""The outbox: `emit` writes a domain event in the caller's transaction (a rolled-back change
emits nothing, a committed one always does) and queues one delivery per subscribed webhook."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

EVENT_TYPES = (
    "lead.created",
    "lead.converted",
    "opportunity.created",
    "opportunity.stage_changed",
    "opportunity.closed_won",
    "opportunity.lost",
    "unit.adoption_changed",
    "forecast.submitted",
)
RESOURCE_TYPES = ("lead", "opportunity", "unit", "forecast")

_EMIT = text(
    """
    WITH written AS (
        INSERT INTO events (type, actor_id, resource_type, resource_id, resource_version)
        SELECT :type, :actor_id, :resource_type, r.id, r.version
        FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[])) AS r(id, version)
        RETURNING id
    )
    INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT w.id, written.id
    FROM written CROSS JOIN webhooks w
    WHERE w.active AND :type = ANY(w.event_types)
    """
)


async def emit(
    session: AsyncSession,
    type: str,
    resource_type: str,
    resource_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    resource_version: int | None = None,
) -> None:
    await emit_many(session, type, resource_type, [(resource_id, resource_version)], actor_id)


async def emit_many(
    session: AsyncSession,
    type: str,
    resource_type: str,
    resources: Sequence[tuple[uuid.UUID, int | None]],
    actor_id: uuid.UUID | None,
) -> None:
    """One statement for any number of resources (batch creates stay set-based)."""
    if not resources:
        return
    await session.execute(
        _EMIT,
        {
            "type": type,
            "actor_id": actor_id,
            "resource_type": resource_type,
            "ids": [r[0] for r in resources],
            "versions": [r[1] for r in resources],
        },
    )
