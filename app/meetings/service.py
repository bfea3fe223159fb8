"""Meetings (call plans) on a lead or an opportunity; attendees are contacts of its account."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.repository import ContactRepository
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.meetings import repository
from app.meetings.repository import MeetingRepository
from app.meetings.schemas import MeetingCreate
from app.meetings.schemas import MeetingFilters
from app.meetings.schemas import MeetingUpdate
from app.models import Meeting

MISSING = "No such meeting."
get = Finder(MeetingRepository, MISSING)

EMPTY_RESEARCH = {"crm": None, "linkedin": None, "website": None}


async def _subject_account(
    session: AsyncSession,
    principal: Principal,
    lead_id: uuid.UUID | None,
    opportunity_id: uuid.UUID | None,
) -> uuid.UUID | None:
    """The account of the meeting's lead or opportunity (None for a lead without one)."""
    if lead_id is not None:
        lead = await repository.visible_lead(session, principal, lead_id)
        if lead is None:
            raise not_visible("lead_id")
        return lead.account_id
    assert opportunity_id is not None
    opportunity = await repository.visible_opportunity(session, principal, opportunity_id)
    if opportunity is None:
        raise not_visible("opportunity_id")
    return opportunity.account_id


async def _check_attendees(
    session: AsyncSession, contact_ids: list[uuid.UUID], account_id: uuid.UUID | None
) -> None:
    if not contact_ids:
        return
    if len(set(contact_ids)) != len(contact_ids):
        raise field_error("attendee_contact_ids", "duplicate", "An attendee is listed twice.")
    outside = (
        contact_ids
        if account_id is None
        else await ContactRepository(session).outside_account(contact_ids, account_id)
    )
    if outside:
        raise field_error(
            f"attendee_contact_ids.{contact_ids.index(outside[0])}",
            "not_found",
            "Attendees must be contacts of the account of the meeting's lead or opportunity.",
        )


async def create(session: AsyncSession, principal: Principal, data: MeetingCreate) -> Meeting:
    if (data.lead_id is None) == (data.opportunity_id is None):
        raise field_error(
            "lead_id" if data.lead_id is None else "opportunity_id",
            "exactly_one",
            "Give exactly one of lead_id and opportunity_id.",
        )
    account_id = await _subject_account(session, principal, data.lead_id, data.opportunity_id)
    await _check_attendees(session, data.attendee_contact_ids, account_id)
    values = data.model_dump(mode="json", include={"objectives", "pre_call_questions", "agenda"})
    research = data.research.model_dump() if data.research is not None else {}
    meeting = Meeting(
        lead_id=data.lead_id,
        opportunity_id=data.opportunity_id,
        scheduled_at=data.scheduled_at,
        persona=data.persona,
        attendee_contact_ids=data.attendee_contact_ids,
        research={**EMPTY_RESEARCH, **research},
        agenda_sent_at=data.agenda_sent_at,
        outcome=data.outcome,
        next_step_at=data.next_step_at,
        created_by=principal.id,
        **values,
    )
    return await MeetingRepository(session).add(meeting)


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: MeetingFilters,
    sort: str,
) -> tuple[list[Meeting], str | None]:
    meetings = MeetingRepository(session)
    await meetings.check_filters(principal, filters)
    return await meetings.list_page(principal, page, filters, sort)


async def update(
    session: AsyncSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    patch: MeetingUpdate,
    if_match: str | None,
) -> Meeting:
    meeting = await get.for_change(session, principal, meeting_id, if_match)
    changes: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)
    typed = patch.model_dump(exclude_unset=True)
    for name in ("scheduled_at", "agenda_sent_at", "next_step_at", "attendee_contact_ids"):
        if name in typed:
            changes[name] = typed[name]
    if "research" in changes:
        research = changes["research"]
        changes["research"] = (
            dict(EMPTY_RESEARCH)
            if research is None
            else {**EMPTY_RESEARCH, **meeting.research, **research}
        )
    if "attendee_contact_ids" in changes:
        account_id = await _subject_account(
            session, principal, meeting.lead_id, meeting.opportunity_id
        )
        await _check_attendees(session, changes["attendee_contact_ids"], account_id)
    await MeetingRepository(session).apply_patch(meeting, changes)
    return meeting
