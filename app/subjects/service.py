"""Checks on a record's subject shared by notes, tasks and interactions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SubjectType
from app.core.errors import field_error, not_visible
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
    subject_type: SubjectType | None,
    subject_id: uuid.UUID | None,
) -> None:
    """A list's `subject_type` may stand alone; `subject_id` needs its type and must be
    visible (422 on `query.subject_id`, like any invisible id in a filter)."""
    if subject_id is not None:
        if subject_type is None:
            raise field_error(
                "query.subject_type", "required", "subject_id needs its subject_type."
            )
        await check_subject(session, viewer, subject_type, subject_id, prefix="query.")


async def check_user_filter(
    session: AsyncSession, viewer: Viewer, user_id: uuid.UUID | None, field: str
) -> None:
    """A user named in a list filter must be in the caller's directory."""
    if user_id is not None and not await UserRepository(session).is_visible(viewer, user_id):
        raise not_visible(field)
