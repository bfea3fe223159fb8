"""SQL for notes: visible with their subject."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.core.repository import Repository
from app.core.repository import columns
from app.core.visibility import Viewer
from app.models import Note
from app.subjects.repository import subject_visible


def note_visible(viewer: Viewer) -> ColumnElement[bool]:
    return subject_visible(viewer, Note.subject_type, Note.subject_id)


class NoteRepository(Repository[Note]):
    model = Note
    endpoint = "notes"
    sort_columns = columns(Note, "created_at")
    filter_columns = columns(Note, "subject_type", "subject_id", "author_id")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return note_visible(viewer)
