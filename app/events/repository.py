"""SQL for the event feed: ordered by (transaction id, id), visibility applied per resource."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import EventResource
from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import decode_cursor
from app.core.pagination import encode_cursor
from app.core.pagination import keyset_after
from app.core.pagination import page_rows
from app.core.repository import any_of
from app.core.security import Principal
from app.core.visibility import account_visible
from app.core.visibility import lead_visible
from app.core.visibility import opportunity_visible
from app.core.visibility import owner_ids
from app.core.visibility import territory_visible
from app.events.schemas import EventFilters
from app.interactions.repository import interaction_visible
from app.models import Contact
from app.models import Event
from app.models import ForecastSubmission
from app.models import Interaction
from app.models import Lead
from app.models import Note
from app.models import Opportunity
from app.models import Task
from app.models import Unit
from app.notes.repository import note_visible
from app.tasks.repository import task_visible

ENDPOINT = "events"


def event_visible(principal: Principal) -> ColumnElement[bool]:
    """Only events about resources the caller can see now."""
    if principal.role == "admin":
        return true()
    lead = exists().where(Lead.id == Event.resource_id, lead_visible(principal))
    opportunity = exists().where(
        Opportunity.id == Event.resource_id, opportunity_visible(principal)
    )
    unit = exists().where(Unit.id == Event.resource_id, account_visible(principal, Unit.account_id))
    owners = owner_ids(principal)
    forecast = exists().where(
        ForecastSubmission.id == Event.resource_id,
        ForecastSubmission.user_id.in_(owners) if owners is not None else true(),
    )
    contact = exists().where(
        Contact.id == Event.resource_id, account_visible(principal, Contact.account_id)
    )
    note = exists().where(Note.id == Event.resource_id, note_visible(principal))
    task = exists().where(Task.id == Event.resource_id, task_visible(principal))
    interaction = exists().where(
        Interaction.id == Event.resource_id, interaction_visible(principal)
    )
    # Webhook events (pings) are for admins only: no clause here.
    return or_(
        and_(Event.resource_type == EventResource.NOTE, note),
        and_(Event.resource_type == EventResource.TASK, task),
        and_(Event.resource_type == EventResource.INTERACTION, interaction),
        and_(Event.resource_type == EventResource.LEAD, lead),
        and_(Event.resource_type == EventResource.OPPORTUNITY, opportunity),
        and_(Event.resource_type == EventResource.UNIT, unit),
        and_(Event.resource_type == EventResource.FORECAST, forecast),
        and_(
            Event.resource_type == EventResource.ACCOUNT,
            account_visible(principal, Event.resource_id),
        ),
        and_(Event.resource_type == EventResource.CONTACT, contact),
        and_(
            Event.resource_type == EventResource.TERRITORY,
            territory_visible(principal, Event.resource_id),
        ),
    )


async def feed(
    session: AsyncSession, principal: Principal, page: PageParams, filters: EventFilters
) -> tuple[list[Event], str | None]:
    keys = [SortKey(Event.xid), SortKey(Event.id)]
    # Served only below the oldest transaction still running: nothing older can appear later.
    horizon: ColumnElement[int] = literal_column(
        "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"
    )
    stmt = select(Event).where(Event.xid < horizon, event_visible(principal))
    stmt = stmt.where(*any_of(Event.type, filters.type))
    stmt = stmt.where(*any_of(Event.resource_type, filters.resource_type))
    binding = asdict(filters)
    position: list[Any] | None = None
    if page.cursor:
        position = decode_cursor(page.cursor, ENDPOINT, binding)
        stmt = stmt.where(keyset_after(keys, position))
    stmt = stmt.order_by(Event.xid, Event.id).limit(page_rows(page.limit))
    rows = list((await session.scalars(stmt)).all())
    if rows:
        position = [rows[-1].xid, rows[-1].id]
    # The feed always answers a resume position, so a poller never loses its place.
    cursor = encode_cursor(ENDPOINT, binding, position) if position is not None else None
    return rows, cursor
