"""The demo's writes that no service makes: opportunities whose creation, stage entry, command
plan and history lie in the past, so that the waterfall, hygiene and the sales cycle have a
quarter of history to show on the day the demo is loaded."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.repository import Repository
from app.models import CommandPlan
from app.models import Opportunity
from app.models import OpportunityHistory


class BackdatedOpportunityRepository(Repository[Opportunity]):
    model = Opportunity

    async def add_backdated(
        self,
        opportunity: Opportunity,
        plan: CommandPlan,
        history: Sequence[OpportunityHistory],
    ) -> Opportunity:
        """The opportunity as given (timestamps included), its command plan and its history
        rows (their `opportunity_id` filled in here)."""
        await self.add(opportunity)
        plan.opportunity_id = opportunity.id
        self.session.add(plan)
        for row in history:
            row.opportunity_id = opportunity.id
            self.session.add(row)
        await self.session.flush()
        return opportunity
