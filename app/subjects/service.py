"""Checks on a record's subject shared by notes, tasks and interactions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SubjectType
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.visibility import Viewer
from app.subjects.repository import SubjectRepository
from app.users.repository import UserRepository


async def check_subject(
    session: AsyncSession,
    viewer: Viewer,
    subject_type: SubjectType | None,
    subject_id: uuid.UUID | None,
    prefix: str = "",
) -> None:
    """Both or neither given; a given subject must be visible (else 422 `not_found` on
    `subject_id`, like any id the caller cannot see)."""
    if (subject_type is None) != (subject_id is None):
        missing = "subject_type" if subject_type is None else "subject_id"
        raise field_error(
            f"{prefix}{missing}", "required", "subject_type and subject_id go together."
        )
    if (
        subject_type is not None
        and subject_id is not None
        and not await SubjectRepository(session).is_visible(viewer, subject_type, subject_id)
    ):
        raise not_visible(f"{prefix}subject_id")


async def check_subject_filter(
    session: AsyncSession,
    viewer: Viewer,
    subject_types: Sequence[SubjectType] | None,
    subject_ids: Sequence[uuid.UUID] | None,
) -> None:
    """A list's `subject_type` may stand alone; `subject_id` needs its type(s), and each id
    must be a visible subject of one of them (422 on `query.subject_id`, like any invisible id
    in a filter)."""
    if subject_ids is not None:
        if not subject_types:
            raise field_error(
                "query.subject_type", "required", "subject_id needs its subject_type."
            )
        visible = await SubjectRepository(session).visible_ids(viewer, subject_types, subject_ids)
        if len(visible) < len(set(subject_ids)):
            raise not_visible("query.subject_id")


async def check_user_filter(
    session: AsyncSession, viewer: Viewer, user_ids: Sequence[uuid.UUID] | None, field: str
) -> None:
    """Users named in a list filter must be in the caller's directory."""
    await UserRepository(session).check_filter(viewer, user_ids, field)
