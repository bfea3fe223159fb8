"""SQL for the stage table and for the facts the stage validator reads about an opportunity.

What a requirement means is decided in `app/stages/rules.py`; the SQL here imports its
definitions (the follow-up window, which elements name a person) rather than restating them.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Date
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import column
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import snapshot
from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import next_cursor
from app.core.pagination import paginate
from app.models import CommandPlan
from app.models import Meeting
from app.models import Opportunity
from app.models import Qualification
from app.models import Stage
from app.stages.rules import MEDDPPICC_ELEMENTS
from app.stages.rules import OVERVIEW_ELEMENTS
from app.stages.rules import PERSON_ELEMENTS
from app.stages.rules import StageDef
from app.stages.rules import follow_up_window

# The stage table.

# The columns a stage's definition takes as they are (its requirements become tuples).
_STAGE_COLUMNS = tuple(f.name for f in dataclasses.fields(StageDef) if f.name != "requirements")


def stage_def(row: Stage) -> StageDef:
    requirements = {kind: tuple(codes) for kind, codes in row.requirements.items()}
    return StageDef(**snapshot(row, _STAGE_COLUMNS), requirements=requirements)


async def stage_rows(session: AsyncSession) -> list[Stage]:
    return list((await session.scalars(select(Stage).order_by(Stage.number))).all())


async def stages_page(session: AsyncSession, page: PageParams) -> tuple[list[Stage], str | None]:
    keys = [SortKey(Stage.number)]
    rows = list((await session.scalars(paginate(select(Stage), keys, page, "stages", {}))).all())
    return rows, next_cursor(rows, page, "stages", {}, lambda s: [s.number])


async def stage_defs(session: AsyncSession) -> list[StageDef]:
    return [stage_def(row) for row in await stage_rows(session)]


async def stage_for_update(session: AsyncSession, slug: str) -> Stage | None:
    return await session.scalar(
        select(Stage)
        .where(Stage.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_stage(session: AsyncSession, slug: str) -> Stage | None:
    return await session.get(Stage, slug)


# Facts for the stage validator, computed by PostgreSQL.


def _filled_text(value: Any) -> ColumnElement[bool]:
    return func.nullif(func.btrim(value), "").is_not(None)


def filled_element_columns() -> dict[str, ColumnElement[bool]]:
    """One boolean per MEDDPPICC and overview element of `command_plans`: is it filled?

    Text must be non-blank; champion and economic buyer need a contact or notes.
    """
    columns: dict[str, ColumnElement[bool]] = {}
    for element in MEDDPPICC_ELEMENTS:
        if element in PERSON_ELEMENTS:
            columns[element] = or_(
                CommandPlan.meddppicc[(element, "contact_id")].astext.is_not(None),
                _filled_text(CommandPlan.meddppicc[(element, "notes")].astext),
            )
        else:
            columns[element] = _filled_text(CommandPlan.meddppicc[element].astext)
    for element in OVERVIEW_ELEMENTS:
        columns[element] = _filled_text(CommandPlan.overview[element].astext)
    return columns


def latest_qualified(opportunity_id: Any, lead_id: Any) -> ColumnElement[Any]:
    """The latest qualification's verdict: the opportunity's own, else its lead's."""
    own = (
        select(Qualification.qualified)
        .where(Qualification.opportunity_id == opportunity_id)
        .order_by(Qualification.evaluated_at.desc(), Qualification.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    of_lead = (
        select(Qualification.qualified)
        .where(Qualification.lead_id == lead_id)
        .order_by(Qualification.evaluated_at.desc(), Qualification.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(own, of_lead, false())


@dataclass(frozen=True)
class DerivedFacts:
    qualification_passed: bool
    follow_up_scheduled: bool
    filled_elements: frozenset[str]
    close_plan_steps: int
    close_plan_current: bool


async def derived_facts(
    session: AsyncSession, opportunity_id: uuid.UUID, now: datetime, today: date
) -> DerivedFacts:
    """What the validator needs beyond the opportunity's own columns, in one query.

    `follow_up_scheduled` and `close_plan_current` as `rules.py` defines them: `next_step_at`,
    or a meeting on the opportunity (or on the lead it came from), in the follow-up window;
    no close-plan step overdue (`rules.close_step_overdue`) on `today`.
    """
    start, end = follow_up_window(now)
    filled = filled_element_columns()
    step = (
        func.jsonb_array_elements(CommandPlan.close_plan)
        .table_valued(column("value", JSONB))
        .alias("step")
    )
    overdue_step = exists(
        select(literal(1))
        .select_from(step)
        .where(
            # rules.close_step_overdue: not done, due before today (no due date: never)
            step.c.value["done"].as_boolean().is_(False),
            cast(step.c.value["due_on"].astext, Date) < today,
        )
    )
    meeting_in_window = exists(
        select(Meeting.id).where(
            or_(
                Meeting.opportunity_id == Opportunity.id,
                and_(Opportunity.lead_id.is_not(None), Meeting.lead_id == Opportunity.lead_id),
            ),
            Meeting.scheduled_at > start,
            Meeting.scheduled_at <= end,
        )
    )
    stmt = (
        select(
            latest_qualified(Opportunity.id, Opportunity.lead_id).label("qualification_passed"),
            or_(
                and_(Opportunity.next_step_at > start, Opportunity.next_step_at <= end),
                meeting_in_window,
            ).label("follow_up_scheduled"),
            func.coalesce(func.jsonb_array_length(CommandPlan.close_plan), 0).label("steps"),
            func.coalesce(~overdue_step, True).label("close_plan_current"),
            *[expr.label(f"filled_{name}") for name, expr in filled.items()],
        )
        .select_from(Opportunity)
        .outerjoin(CommandPlan, CommandPlan.opportunity_id == Opportunity.id)
        .where(Opportunity.id == opportunity_id)
    )
    row = (await session.execute(stmt)).one()
    return DerivedFacts(
        qualification_passed=bool(row.qualification_passed),
        follow_up_scheduled=bool(row.follow_up_scheduled),
        filled_elements=frozenset(name for name in filled if getattr(row, f"filled_{name}")),
        close_plan_steps=int(row.steps),
        close_plan_current=bool(row.close_plan_current),
    )
