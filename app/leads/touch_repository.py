"""SQL for a lead's touches, which are its interactions (one table, `interactions`): recording
an interaction on a lead updates the lead's counters in the same transaction, whichever path
(`/leads/{id}/touches` or `/interactions`) logged it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from app.core.repository import Repository
from app.models import Lead
from app.models import Touch


class TouchRepository(Repository[Touch]):
    """Touches are visible with their lead: the service checks the lead first."""

    model = Touch
    endpoint = "touches"
    sort_columns = {"occurred_at": Touch.occurred_at}
    filter_columns = {"lead_id": Touch.lead_id}

    async def record(self, values: Mapping[str, Any]) -> Touch:
        """Record an interaction; one on a lead is a touch and updates the lead's counters."""
        touch: Touch | None = await self.session.scalar(
            insert(Touch).values(**values).returning(Touch)
        )
        assert touch is not None
        if touch.lead_id is not None:
            await self._count(touch)
        return touch

    async def _count(self, touch: Touch) -> None:
        occurred = touch.occurred_at
        await self.session.execute(
            update(Lead)
            .where(Lead.id == touch.lead_id)
            .values(
                touch_count=Lead.touch_count + 1,
                last_touch_at=func.greatest(Lead.last_touch_at, occurred),
                first_response_at=(
                    func.least(Lead.first_response_at, occurred)
                    if touch.direction == "outbound"
                    else Lead.first_response_at
                ),
                version=Lead.version + 1,
                updated_at=func.now(),
            )
            .execution_options(synchronize_session=False)
        )

    async def of_lead(self, lead_id: uuid.UUID, touch_id: uuid.UUID) -> Touch | None:
        touch: Touch | None = await self.session.scalar(
            select(Touch).where(Touch.id == touch_id, Touch.lead_id == lead_id)
        )
        return touch
