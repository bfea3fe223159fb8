"""Evaluating and storing qualifications of leads and opportunities (API.md section 6).

The criteria are pure (`rules.py`); this finds the segment, stores every evaluation and
answers the latest. A small box initiative needs the segment: the account's territory's,
else the owner's only territory's, else it is unknown and the criterion fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import snapshot
from app.core.errors import NotFound
from app.core.security import Principal
from app.models import Lead
from app.models import Qualification
from app.opportunities import service as opportunity_service
from app.qualification import repository
from app.qualification.rules import CRITERIA
from app.qualification.rules import Authority
from app.qualification.rules import Fit
from app.qualification.rules import Initiative
from app.qualification.rules import QualificationInput
from app.qualification.rules import Timing
from app.qualification.rules import evaluate
from app.qualification.schemas import QualificationCreate


async def lead_segment(session: AsyncSession, lead: Lead) -> str | None:
    if lead.account_id is not None:
        return await repository.account_segment(session, lead.account_id)
    if lead.owner_id is not None:
        return await repository.only_territory_segment(session, lead.owner_id)
    return None


def _rules_input(data: QualificationCreate) -> QualificationInput:
    return QualificationInput(
        authority=Authority(involvement=data.authority.involvement),
        initiative=Initiative(
            kind=data.initiative.kind,
            driver=data.initiative.driver,
            description=data.initiative.description,
        ),
        fit=Fit(
            current_tools=tuple(data.fit.current_tools),
            entry_use_case=data.fit.entry_use_case,
            potential_seats=data.fit.potential_seats,
        ),
        timing=Timing(meeting_on=data.timing.meeting_on, next_step_at=data.timing.next_step_at),
    )


async def _store(
    session: AsyncSession,
    principal: Principal,
    data: QualificationCreate,
    segment: str | None,
    tz: tzinfo,
    *,
    lead_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
) -> Qualification:
    result = evaluate(_rules_input(data), segment, tz)
    criteria = {
        name: {"passed": getattr(result, name).passed, "reason": getattr(result, name).reason}
        for name in CRITERIA
    }
    return await repository.add(
        session,
        Qualification(
            lead_id=lead_id,
            opportunity_id=opportunity_id,
            inputs=data.model_dump(mode="json"),
            criteria=criteria,
            qualified=result.qualified,
            evaluated_at=datetime.now(UTC),
            evaluated_by=principal.id,
        ),
    )


async def _lead(session: AsyncSession, principal: Principal, lead_id: uuid.UUID) -> Lead:
    lead = await repository.visible_lead(session, principal, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    return lead


async def qualify_lead(
    session: AsyncSession,
    principal: Principal,
    lead_id: uuid.UUID,
    data: QualificationCreate,
    tz: tzinfo,
) -> Qualification:
    lead = await _lead(session, principal, lead_id)
    segment = await lead_segment(session, lead)
    return await _store(session, principal, data, segment, tz, lead_id=lead.id)


async def qualify_opportunity(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    data: QualificationCreate,
    tz: tzinfo,
) -> Qualification:
    opportunity = await opportunity_service.get(session, principal, opportunity_id)
    segment = await repository.account_segment(session, opportunity.account_id)
    return await _store(session, principal, data, segment, tz, opportunity_id=opportunity.id)


async def latest_of_lead(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID
) -> Qualification:
    lead = await _lead(session, principal, lead_id)
    latest = await repository.latest_for_lead(session, lead.id)
    if latest is None:
        raise NotFound("This lead has not been qualified yet.")
    return latest


async def latest_of_opportunity(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> Qualification:
    opportunity = await opportunity_service.get(session, principal, opportunity_id)
    latest = await repository.latest_for_opportunity(session, opportunity.id, opportunity.lead_id)
    if latest is None:
        raise NotFound("Neither this opportunity nor its lead has been qualified yet.")
    return latest


async def latest_for_lead(session: AsyncSession, lead_id: uuid.UUID) -> Qualification | None:
    return await repository.latest_for_lead(session, lead_id)


# What an evaluation is, copied whole when an opportunity inherits its lead's.
_EVALUATION = ("inputs", "criteria", "qualified", "evaluated_at", "evaluated_by")


async def inherit(
    session: AsyncSession, qualification: Qualification, opportunity_id: uuid.UUID
) -> Qualification:
    """A copy of a lead's evaluation stored on the opportunity opened from it (same inputs,
    verdicts, time and evaluator), so later evaluations of the lead do not change it."""
    return await repository.add(
        session,
        Qualification(opportunity_id=opportunity_id, **snapshot(qualification, _EVALUATION)),
    )
