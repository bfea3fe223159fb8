"""Contacts: the people of an account; whoever can see the account can see and change them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.contacts.repository import ContactRepository
from app.contacts.schemas import ContactCreate
from app.contacts.schemas import ContactFilters
from app.contacts.schemas import ContactUpdate
from app.core import events
from app.core.changes import snapshot
from app.core.enums import CustomFieldObject
from app.core.enums import EventResource
from app.core.enums import Expansion
from app.core.errors import not_visible
from app.core.expand import Expanded
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.custom_fields import service as custom_fields
from app.models import Contact

CONTACT = CustomFieldObject.CONTACT
MISSING = "No such contact."
# The visible contact (locked `for_update`), else 404; `.expanded` adds `?expand=`.
get_contact = Finder(ContactRepository, MISSING)


async def _check_references(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> None:
    account_id = values.get("account_id")
    if account_id is not None and not await AccountRepository(session).is_visible(
        principal, account_id
    ):
        raise not_visible("account_id")
    lead_id = values.get("lead_id")
    if lead_id is not None and not await ContactRepository(session).lead_is_visible(
        principal, lead_id
    ):
        raise not_visible("lead_id")


async def create_contact(
    session: AsyncSession, principal: Principal, data: ContactCreate
) -> Contact:
    values = data.model_dump()
    await _check_references(session, principal, values)
    await custom_fields.take_for_create(session, CONTACT, values)
    return await store(session, Contact(**values), principal.id)


async def store(session: AsyncSession, contact: Contact, actor_id: uuid.UUID) -> Contact:
    """Stores a new contact and announces it (`contact.created`): how every contact is made,
    by hand or by converting a lead."""
    contact = await ContactRepository(session).add(contact)
    await events.emit_created(session, EventResource.CONTACT, contact, actor_id)
    return contact


async def update_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    patch: ContactUpdate,
    if_match: str | None,
) -> Contact:
    changes = patch.model_dump(exclude_unset=True)
    contact = await get_contact.for_change(session, principal, contact_id, if_match)
    await _check_references(session, principal, changes)
    await custom_fields.take_for_update(session, CONTACT, contact.custom_values, changes)
    before = snapshot(contact, changes)
    await ContactRepository(session).apply_patch(contact, changes)
    await events.emit_update(
        session, EventResource.CONTACT, contact.id, contact.version, before, changes, principal.id
    )
    return contact


async def list_contacts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: ContactFilters,
    sort: str,
    expand: Sequence[Expansion],
    custom: Mapping[str, str] | None = None,
) -> tuple[list[Expanded[Contact]], str | None]:
    accounts = AccountRepository(session)
    await accounts.check_filter(principal, filters.account_id, "query.account_id")
    await ContactRepository(session).check_lead_filter(principal, filters.lead_id, "query.lead_id")
    conditions = await custom_fields.filter_conditions(session, CONTACT, custom or {})
    return await ContactRepository(session).list_page_expanded(
        principal, page, filters, sort, expand, conditions=conditions, also_bound=custom
    )
