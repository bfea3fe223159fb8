"""SQL for contacts: visible when their account is."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select

from app.contacts.schemas import ContactFilters
from app.core.enums import Expansion
from app.core.repository import Repository
from app.core.repository import check_filter_ids
from app.core.sql import in_array
from app.core.text_search import matches
from app.core.visibility import Viewer
from app.core.visibility import account_visible
from app.core.visibility import lead_visible
from app.models import Contact
from app.models import Lead


class ContactRepository(Repository[Contact]):
    model = Contact
    endpoint = "contacts"
    sort_columns = {"created_at": Contact.created_at, "updated_at": Contact.updated_at}
    references = {Expansion.ACCOUNT: Contact.account_id}
    filter_columns = {
        "account_id": Contact.account_id,
        "lead_id": Contact.lead_id,
        "persona": Contact.persona,
    }

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return account_visible(viewer, Contact.account_id)

    def conditions(self, filters: ContactFilters) -> Iterable[ColumnElement[bool]]:
        if filters.email:
            yield func.lower(Contact.email) == filters.email.lower()
        if filters.q:
            yield matches(Contact.search_vector, filters.q)

    async def first_with_email(self, account_id: uuid.UUID, email: str) -> Contact | None:
        """The oldest contact of the account with this email (case-insensitive)."""
        contact: Contact | None = await self.session.scalar(
            select(Contact)
            .where(Contact.account_id == account_id, func.lower(Contact.email) == email.lower())
            .order_by(Contact.created_at, Contact.id)
            .limit(1)
        )
        return contact

    async def check_lead_filter(
        self, viewer: Viewer, lead_ids: Iterable[uuid.UUID] | None, field: str
    ) -> None:
        await check_filter_ids(self.session, Lead.id, lead_visible(viewer), lead_ids, field)

    async def lead_is_visible(self, viewer: Viewer, lead_id: uuid.UUID) -> bool:
        """Whether the lead a contact names is one the viewer may see."""
        found = await self.session.scalar(
            select(Lead.id).where(Lead.id == lead_id, lead_visible(viewer))
        )
        return found is not None

    async def in_account(self, contact_id: uuid.UUID, account_id: uuid.UUID) -> bool:
        return not await self.outside_account([contact_id], account_id)

    async def outside_account(
        self, contact_ids: Sequence[uuid.UUID], account_id: uuid.UUID
    ) -> list[uuid.UUID]:
        """The given contact ids that are not contacts of `account_id`, in the order given."""
        inside = set(
            await self.session.scalars(
                select(Contact.id).where(
                    in_array(Contact.id, list(contact_ids)), Contact.account_id == account_id
                )
            )
        )
        return [c for c in contact_ids if c not in inside]
