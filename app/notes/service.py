"""Notes (API.md section 11): whoever sees the subject reads and adds its notes; only the
author or an admin changes or deletes one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.enums import EventResource
from app.core.errors import Forbidden
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.models import Note
from app.notes.repository import NoteRepository
from app.notes.schemas import NoteCreate
from app.notes.schemas import NoteFilters
from app.notes.schemas import NoteUpdate
from app.subjects.service import check_subject
from app.subjects.service import check_subject_filter
from app.subjects.service import check_user_filter

MISSING = "No such note."


async def create(session: AsyncSession, principal: Principal, data: NoteCreate) -> Note:
    await check_subject(session, principal, data.subject_type, data.subject_id)
    note = await NoteRepository(session).add(Note(**data.model_dump(), author_id=principal.id))
    await events.emit_created(session, EventResource.NOTE, note, principal.id)
    return note


def ensure_author(note: Note, principal: Principal) -> None:
    """403: the note is visible, but only its author or an admin changes it."""
    if not (principal.is_admin or note.author_id == principal.id):
        raise Forbidden("Only the note's author or an admin changes or deletes it.")


get = Finder(NoteRepository, MISSING, may_change=ensure_author)


async def list_page(
    session: AsyncSession, principal: Principal, page: PageParams, filters: NoteFilters, sort: str
) -> tuple[list[Note], str | None]:
    await check_subject_filter(session, principal, filters.subject_type, filters.subject_id)
    await check_user_filter(session, principal, filters.author_id, "query.author_id")
    return await NoteRepository(session).list_page(principal, page, filters, sort)


async def update(
    session: AsyncSession,
    principal: Principal,
    note_id: uuid.UUID,
    patch: NoteUpdate,
    if_match: str | None,
) -> Note:
    note = await get.for_change(session, principal, note_id, if_match)
    await NoteRepository(session).apply_patch(note, patch.model_dump(exclude_unset=True))
    return note


async def delete(
    session: AsyncSession, principal: Principal, note_id: uuid.UUID, if_match: str | None
) -> None:
    note = await get.for_change(session, principal, note_id, if_match)
    await NoteRepository(session).delete(note)
