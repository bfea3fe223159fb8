"""The territory transfer's set-based statements: the open opportunities and open leads of a
territory's accounts that the old owner holds change owner in one UPDATE each, the
opportunities' history rows written by the same statement."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Update
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import OPEN_LEAD_STATUSES
from app.core.enums import OPEN_STAGES
from app.core.sql import in_array
from app.models import Account
from app.models import Lead
from app.models import Opportunity
from app.models import OpportunityHistory

Moved = list[tuple[uuid.UUID, int]]


def _reassign(
    model: Any,
    still_open: ColumnElement[bool],
    territory_id: uuid.UUID,
    old_owner: uuid.UUID,
    new_owner: uuid.UUID,
) -> Update:
    """The open records of the territory's accounts held by `old_owner` get `new_owner`, a
    new version and `updated_at`; returns (id, version) of each."""
    accounts = select(Account.id).where(Account.territory_id == territory_id)
    return (
        update(model)
        .where(model.account_id.in_(accounts), model.owner_id == old_owner, still_open)
        .values(owner_id=new_owner, version=model.version + 1, updated_at=func.now())
        .returning(model.id, model.version)
    )


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def move_opportunities(
        self,
        territory_id: uuid.UUID,
        old_owner: uuid.UUID,
        new_owner: uuid.UUID,
        actor_id: uuid.UUID,
        reason: str,
    ) -> Moved:
        """Returns each moved opportunity's (id, new version)."""
        moved = _reassign(
            Opportunity,
            in_array(Opportunity.stage, sorted(OPEN_STAGES)),
            territory_id,
            old_owner,
            new_owner,
        ).cte("moved")
        history = (
            insert(OpportunityHistory)
            .from_select(
                ["opportunity_id", "actor_id", "field", "old", "new", "reason"],
                select(
                    moved.c.id,
                    literal(actor_id, OpportunityHistory.actor_id.type),
                    literal("owner_id"),
                    literal(str(old_owner)),
                    literal(str(new_owner)),
                    literal(reason),
                ),
            )
            .cte("history")
        )
        rows = await self.session.execute(
            select(moved.c.id, moved.c.version).add_cte(history).order_by(moved.c.id)
        )
        return [(row.id, row.version) for row in rows]

    async def move_leads(
        self, territory_id: uuid.UUID, old_owner: uuid.UUID, new_owner: uuid.UUID
    ) -> Moved:
        """Returns each moved lead's (id, new version)."""
        rows = await self.session.execute(
            _reassign(
                Lead,
                in_array(Lead.status, sorted(OPEN_LEAD_STATUSES)),
                territory_id,
                old_owner,
                new_owner,
            )
        )
        return sorted((row.id, row.version) for row in rows)
