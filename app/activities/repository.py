"""SQL for engagement activities (visible with their territory, or to the integration that
created them) and their performance."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from app.activities.schemas import ActivityFilters
from app.core.enums import PIPELINE_STAGES
from app.core.enums import StageSlug
from app.core.repository import Repository
from app.core.repository import columns
from app.core.visibility import Viewer
from app.core.visibility import activity_visible
from app.models import Activity
from app.models import Contact
from app.models import Lead
from app.models import Opportunity
from app.models.base import MONEY


class ActivityRepository(Repository[Activity]):
    model = Activity
    endpoint = "activities"
    sort_columns = columns(Activity, "created_at", "name", "updated_at")
    filter_columns = columns(Activity, "territory_id", "type", "status", "vertical")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return activity_visible(viewer)

    def conditions(self, filters: ActivityFilters) -> Iterable[ColumnElement[bool]]:
        if filters.account_id:
            yield Activity.account_ids.overlap(list(filters.account_id))
        if filters.starts_from:
            yield Activity.starts_on >= filters.starts_from
        if filters.starts_to:
            yield Activity.starts_on <= filters.starts_to

    async def performance(self, activity_id: uuid.UUID) -> dict[str, Any]:
        """Leads, their contacts and the opportunities attributed to the activity: one
        statement."""
        leads = (
            select(func.count()).select_from(Lead).where(Lead.activity_id == activity_id)
        ).scalar_subquery()
        contacts = (
            select(func.count())
            .select_from(Contact)
            .join(Lead, Lead.id == Contact.lead_id)
            .where(Lead.activity_id == activity_id)
        ).scalar_subquery()
        zero = literal(Decimal("0"), MONEY)
        opportunities = (
            select(
                func.count().label("opportunities"),
                func.count()
                .filter(Opportunity.sales_accepted_at.is_not(None))
                .label("sales_accepted"),
                func.coalesce(
                    func.sum(Opportunity.amount).filter(
                        Opportunity.stage.in_(sorted(PIPELINE_STAGES))
                    ),
                    zero,
                ).label("open_pipeline_arr"),
                func.coalesce(
                    func.sum(Opportunity.amount).filter(Opportunity.stage == StageSlug.CLOSED_WON),
                    zero,
                ).label("won_arr"),
            )
            .where(Opportunity.activity_id == activity_id)
            .subquery()
        )
        row = (
            await self.session.execute(
                select(
                    leads.label("leads"),
                    contacts.label("contacts"),
                    opportunities.c.opportunities,
                    opportunities.c.sales_accepted,
                    opportunities.c.open_pipeline_arr,
                    opportunities.c.won_arr,
                )
            )
        ).one()
        return dict(row._mapping)
