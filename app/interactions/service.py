"""Logged interactions (API.md section 11): calls, emails, meetings and messages about a
subject. One on a lead is a touch. Integrations log by email address and re-send safely."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.enums import SubjectType
from app.core.errors import Duplicate
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.interactions.repository import InteractionRepository
from app.interactions.schemas import InteractionCreate
from app.interactions.schemas import InteractionFilters
from app.leads.rules import in_future
from app.leads.service import source_of
from app.leads.touch_repository import TouchRepository
from app.models import Interaction
from app.subjects.repository import SubjectRepository
from app.subjects.service import check_subject
from app.subjects.service import check_subject_filter

MISSING = "No such interaction."
get = Finder(InteractionRepository, MISSING)


def _problems(data: InteractionCreate, now: datetime) -> list[FieldError]:
    problems: list[FieldError] = []
    by_subject = data.subject_type is not None or data.subject_id is not None
    if by_subject == (data.email is not None):
        problems.append(
            FieldError("email", "one_of", "Give either subject_type and subject_id, or email.")
        )
    if in_future(data.occurred_at, now):
        problems.append(
            FieldError("occurred_at", "in_future", "An interaction records what happened.")
        )
    if data.breakup and data.direction != "outbound":
        problems.append(FieldError("breakup", "outbound_only", "A breakup email is outbound."))
    return problems


async def _subject(
    session: AsyncSession, principal: Principal, data: InteractionCreate
) -> tuple[SubjectType, uuid.UUID]:
    if data.email is None:
        await check_subject(session, principal, data.subject_type, data.subject_id)
        assert data.subject_type is not None and data.subject_id is not None  # checked
        return data.subject_type, data.subject_id
    # An integration's email sync attaches to whoever has the address; a person logs only
    # against the leads and contacts they can see.
    viewer = None if principal.role == "integration" else principal
    found = await SubjectRepository(session).with_email(data.email, viewer)
    if found is None:
        raise field_error(
            "email", "not_found", "No open lead or contact you can see has this email."
        )
    return found


async def log(
    session: AsyncSession, principal: Principal, data: InteractionCreate
) -> tuple[Interaction, bool]:
    """The logged interaction and whether it is new (False: its `external_id` was logged
    before, and the stored one is answered unchanged)."""
    if principal.role == "integration" and data.email is None:
        raise Forbidden("Integrations log interactions by `email`, not by subject.")
    now = datetime.now(UTC)
    if problems := _problems(data, now):
        raise ValidationFailed("The interaction is invalid; see `errors`.", errors=problems)
    interactions = InteractionRepository(session)
    source = source_of(principal)
    if data.external_id is not None:
        stored = await _stored(interactions, principal, source, data.external_id)
        if stored is not None:
            return stored, False
    subject_type, subject_id = await _subject(session, principal, data)
    values = data.model_dump(exclude={"email", "subject_type", "subject_id"})
    values.update(
        subject_type=subject_type,
        subject_id=subject_id,
        occurred_at=data.occurred_at or now,
        source=source,
        created_by=principal.id,
    )
    try:
        async with session.begin_nested():
            interaction = await TouchRepository(session).record(values)
    except IntegrityError:
        # The same external_id committed by a concurrent request: answer that one.
        assert data.external_id is not None
        stored = await _stored(interactions, principal, source, data.external_id)
        if stored is None:
            raise
        return stored, False
    await events.emit(
        session,
        EventType.INTERACTION_LOGGED,
        EventResource.INTERACTION,
        interaction.id,
        principal.id,
    )
    return interaction, True


async def _stored(
    interactions: InteractionRepository, principal: Principal, source: str, external_id: str
) -> Interaction | None:
    """The interaction already logged under (`source`, `external_id`); a person's manual one
    that the caller cannot see is a conflict, not an answer."""
    stored = await interactions.with_external_id(source, external_id)
    if stored is None:
        return None
    if not await interactions.is_visible(principal, stored.id):
        raise Duplicate("An interaction with this external_id exists.")
    return stored


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: InteractionFilters,
    sort: str,
) -> tuple[list[Interaction], str | None]:
    if principal.role != "integration":
        await check_subject_filter(session, principal, filters.subject_type, filters.subject_id)
    return await InteractionRepository(session).list_page(principal, page, filters, sort)
