"""/notes: what a rep writes down about a lead, contact, account or opportunity."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.core.http import IfMatch, created, page_of, tagged
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.notes import service
from app.notes.schemas import NOTE_SORTS, Note, NoteCreate, NoteFilters, NotePage, NoteUpdate

router = APIRouter(tags=["notes"])


@router.post(
    "/notes",
    operation_id="notes-create",
    status_code=201,
    response_model=Note,
    dependencies=[Idempotent],
    summary="Write a note",
    description="A note on a subject you can see (an invisible or unknown one: 422 `not_found` "
    "on `subject_id`). The body is stored exactly as sent. Integrations: 403.",
)
async def create_note(
    body: NoteCreate, principal: HumanPrincipal, session: Session, response: Response
) -> Note:
    note = await service.create(session, principal, body)
    return created(response, Note, note, f"/api/v1/notes/{note.id}")


@router.get(
    "/notes",
    operation_id="notes-list",
    response_model=NotePage,
    summary="List notes",
    description="Notes of the subjects you can see. Filters: `subject_type` with `subject_id`, "
    "`author_id`, `updated_after`. Sort: `-created_at` (default), `created_at`.",
)
async def list_notes(
    *,
    principal: HumanPrincipal,
    session: Session,
    filters: Annotated[NoteFilters, Depends()],
    sort: str = NOTE_SORTS.param,
    page: Page,
) -> NotePage:
    rows, cursor = await service.list_page(session, principal, page, filters, sort)
    return page_of(NotePage, rows, cursor)


@router.get(
    "/notes/{note_id}",
    operation_id="notes-get",
    response_model=Note,
    summary="Read a note",
    description="A note whose subject you can see (else 404).",
)
async def get_note(
    note_id: uuid.UUID, principal: HumanPrincipal, session: Session, response: Response
) -> Note:
    return tagged(response, Note, await service.get(session, principal, note_id))


@router.patch(
    "/notes/{note_id}",
    operation_id="notes-update",
    response_model=Note,
    summary="Change a note",
    description="JSON Merge Patch of `body` and `pinned`, by the author or an admin; anyone "
    "else who can see the note gets 403 (authorship, not role, decides). Honours `If-Match`.",
)
async def update_note(
    note_id: uuid.UUID,
    body: NoteUpdate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Note:
    note = await service.update(session, principal, note_id, body, if_match)
    return tagged(response, Note, note)


@router.delete(
    "/notes/{note_id}",
    operation_id="notes-delete",
    status_code=204,
    summary="Delete a note",
    description="By the author or an admin (others who see it: 403). Honours `If-Match`.",
)
async def delete_note(
    note_id: uuid.UUID, principal: HumanPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.delete(session, principal, note_id, if_match)
    return Response(status_code=204)
