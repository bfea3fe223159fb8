"""The subject of a note, task or interaction (API.md section 11): a lead, contact, account or
opportunity, visible exactly when its own repository says so. One place maps a subject type
to that repository; notes, tasks, interactions and timelines all ask here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from typing import cast

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.contacts.repository import ContactRepository
from app.core.enums import SubjectType
from app.core.repository import Repository
from app.core.visibility import Viewer
from app.leads.repository import LeadRepository
from app.leads.repository import is_open
from app.models import Contact
from app.models import Lead
from app.opportunities.repository import OpportunityRepository

REPOSITORIES: dict[SubjectType, type[Repository[Any]]] = {
    SubjectType.LEAD: LeadRepository,
    SubjectType.CONTACT: ContactRepository,
    SubjectType.ACCOUNT: AccountRepository,
    SubjectType.OPPORTUNITY: OpportunityRepository,
}


def visibility_rule(subject_type: SubjectType) -> Repository[Any]:
    """The subject type's repository, for its `visible(viewer)` SQL alone (which reads no
    session: statements built once, such as the timeline's, use it without one)."""
    return REPOSITORIES[subject_type](cast(AsyncSession, None))


def subject_visible(viewer: Viewer, type_column: Any, id_column: Any) -> ColumnElement[bool]:
    """SQL: the row's subject (`type_column`, `id_column`) is visible to `viewer`."""
    if viewer.role == "admin":
        return true()
    clauses = []
    for subject_type in SubjectType:
        rule = visibility_rule(subject_type)
        ids = select(rule.id_column).where(rule.visible(viewer))
        clauses.append(and_(type_column == subject_type.value, id_column.in_(ids)))
    return or_(*clauses)


class SubjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _repository(self, subject_type: SubjectType) -> Repository[Any]:
        return REPOSITORIES[subject_type](self.session)

    async def is_visible(
        self, viewer: Viewer, subject_type: SubjectType, subject_id: uuid.UUID
    ) -> bool:
        return await self._repository(subject_type).is_visible(viewer, subject_id)

    async def visible_ids(
        self, viewer: Viewer, subject_types: Iterable[SubjectType], ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of `ids` are subjects of one of `subject_types` the viewer may see."""
        wanted = set(ids)
        seen: set[uuid.UUID] = set()
        for subject_type in subject_types:
            seen |= await self._repository(subject_type).visible_ids(viewer, wanted - seen)
        return seen

    def visible(self, viewer: Viewer, type_column: Any, id_column: Any) -> ColumnElement[bool]:
        return subject_visible(viewer, type_column, id_column)

    async def with_email(
        self, email: str, viewer: Viewer | None
    ) -> tuple[SubjectType, uuid.UUID] | None:
        """Whom an email address names: the open lead with it, else the most recently updated
        contact with it; among what `viewer` sees (everyone's when None)."""
        address = email.lower()
        lead = select(Lead.id).where(func.lower(Lead.email) == address, is_open())
        contact = (
            select(Contact.id)
            .where(func.lower(Contact.email) == address)
            .order_by(Contact.updated_at.desc(), Contact.id.desc())
            .limit(1)
        )
        if viewer is not None:
            lead = lead.where(LeadRepository(self.session).visible(viewer))
            contact = contact.where(ContactRepository(self.session).visible(viewer))
        lead_id = await self.session.scalar(lead.limit(1))
        if lead_id is not None:
            return SubjectType.LEAD, lead_id
        contact_id = await self.session.scalar(contact)
        return None if contact_id is None else (SubjectType.CONTACT, contact_id)
