"""/contacts: the people of the accounts you can see (integrations get 403)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.contacts import service
from app.contacts.schemas import (
    CONTACT_SORTS,
    Contact,
    ContactCreate,
    ContactFilters,
    ContactPage,
    ContactUpdate,
)
from app.core.enums import Expansion
from app.core.expand import expand_param
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.custom_fields.schemas import CUSTOM_FILTER_HELP, CustomQuery

router = APIRouter(tags=["contacts"])

CONTACT_EXPANSIONS = expand_param(Expansion.ACCOUNT)


@router.post(
    "/contacts",
    operation_id="contacts-create",
    status_code=201,
    response_model=Contact,
    dependencies=[Idempotent],
    description="Create a contact in an account you can see (`account_id` required). Several "
    "contacts may share an email, as in Salesforce; lead conversion reuses the oldest.",
)
async def create_contact(
    body: ContactCreate, principal: HumanPrincipal, session: Session, response: Response
) -> Contact:
    contact = await service.create_contact(session, principal, body)
    set_created(response, f"/api/v1/contacts/{contact.id}", contact.version)
    return Contact.model_validate(contact)


@router.get(
    "/contacts",
    operation_id="contacts-list",
    response_model=ContactPage,
    description="Contacts of the accounts you can see. Sort: `created_at` (default), "
    "`updated_at`, `-` for descending. `q` matches every word of name and email, whole or as "
    "a prefix. `expand=account` adds each contact's account summary." + CUSTOM_FILTER_HELP,
)
async def list_contacts(
    principal: HumanPrincipal,
    session: Session,
    page: Page,
    filters: Annotated[ContactFilters, Depends()],
    custom: CustomQuery,
    sort: str = CONTACT_SORTS.param,
    expand: Any = CONTACT_EXPANSIONS,
) -> ContactPage:
    rows, cursor = await service.list_contacts(
        session, principal, page, filters, sort, expand or (), custom
    )
    return ContactPage(items=[Contact.model_validate(c) for c in rows], next_cursor=cursor)


@router.get(
    "/contacts/{contact_id}",
    operation_id="contacts-get",
    response_model=Contact,
    description="A contact of an account you can see; `expand=account` adds the account's summary.",
)
async def get_contact(
    contact_id: uuid.UUID,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    expand: Any = CONTACT_EXPANSIONS,
) -> Contact:
    contact = await service.read_contact(session, principal, contact_id, expand or ())
    set_etag(response, contact.version)
    return Contact.model_validate(contact)


@router.patch("/contacts/{contact_id}", operation_id="contacts-update", response_model=Contact)
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactUpdate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Contact:
    contact = await service.update_contact(session, principal, contact_id, body, if_match)
    set_etag(response, contact.version)
    return Contact.model_validate(contact)
