"""/contacts: the people of the accounts you can see (integrations get 403)."""

from __future__ import annotations

from typing import Annotated
from typing import Any

from fastapi import APIRouter

from app.contacts import service
from app.contacts.schemas import CONTACT_SORTS
from app.contacts.schemas import Contact
from app.contacts.schemas import ContactCreate
from app.contacts.schemas import ContactFilters
from app.contacts.schemas import ContactPage
from app.contacts.schemas import ContactUpdate
from app.core.enums import Expansion
from app.core.expand import expand_param
from app.core.pagination import Page
from app.core.query_lists import built
from app.core.routes import Resource
from app.core.security import HumanPrincipal
from app.custom_fields.schemas import CUSTOM_FILTER_HELP
from app.custom_fields.schemas import CustomQuery

router = APIRouter(tags=["contacts"])
contacts = Resource(router, "/contacts", Contact, HumanPrincipal, name="contact")

CONTACT_EXPANSIONS = expand_param(Expansion.ACCOUNT)


contacts.create(
    service.create_contact,
    ContactCreate,
    description="Create a contact in an account you can see (`account_id` required). Several "
    "contacts may share an email, as in Salesforce; lead conversion reuses the oldest.",
)


contacts.list(
    service.list_contacts,
    ContactPage,
    params={
        "page": Page,
        "filters": Annotated[ContactFilters, built(ContactFilters)],
        "custom": CustomQuery,
        "sort": (str, CONTACT_SORTS.param),
        "expand": (Any, CONTACT_EXPANSIONS),
    },
    description="Contacts of the accounts you can see. Sort: `created_at` (default), "
    "`updated_at`, `-` for descending. `q` matches every word of name and email, whole or as "
    "a prefix. `expand=account` adds each contact's account summary." + CUSTOM_FILTER_HELP,
)


contacts.read(
    service.get_contact.expanded,
    params={"expand": (Any, CONTACT_EXPANSIONS)},
    description="A contact of an account you can see; `expand=account` adds the account's summary.",
)


contacts.update(service.update_contact, ContactUpdate)
