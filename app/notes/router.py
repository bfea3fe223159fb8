"""/notes: what a rep writes down about a lead, contact, account or opportunity."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.routes import Resource
from app.core.security import HumanPrincipal
from app.notes import service
from app.notes.schemas import NOTE_SORTS
from app.notes.schemas import Note
from app.notes.schemas import NoteCreate
from app.notes.schemas import NoteFilters
from app.notes.schemas import NotePage
from app.notes.schemas import NoteUpdate

router = APIRouter(tags=["notes"])
notes = Resource(router, "/notes", Note, HumanPrincipal, name="note")

notes.create(
    service.create,
    NoteCreate,
    summary="Write a note",
    description="A note on a subject you can see (an invisible or unknown one: 422 `not_found` "
    "on `subject_id`). The body is stored exactly as sent. Integrations: 403.",
)
notes.list(
    service.list_page,
    NotePage,
    filters=NoteFilters,
    sorts=NOTE_SORTS,
    summary="List notes",
    description="Notes of the subjects you can see. Filters: `subject_type` with `subject_id`, "
    "`author_id`, `updated_after`. Sort: `-created_at` (default), `created_at`.",
)
notes.read(
    service.get,
    summary="Read a note",
    description="A note whose subject you can see (else 404).",
)
notes.update(
    service.update,
    NoteUpdate,
    summary="Change a note",
    description="JSON Merge Patch of `body` and `pinned`, by the author or an admin; anyone "
    "else who can see the note gets 403 (authorship, not role, decides). Honours `If-Match`.",
)
notes.delete(
    service.delete,
    summary="Delete a note",
    description="By the author or an admin (others who see it: 403). Honours `If-Match`.",
)
