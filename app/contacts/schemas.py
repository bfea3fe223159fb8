"""Request and response shapes for contacts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from fastapi import Query
from pydantic import Field

from app.core.enums import PersonaSlug
from app.core.expand import EXPANDED_ACCOUNT
from app.core.expand import AccountSummary
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import SINGLE_LINE
from app.core.schemas import CustomIn
from app.core.schemas import CustomOut
from app.core.schemas import Email
from app.core.schemas import Moment
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str100
from app.core.schemas import Str200
from app.core.text_search import SearchText


class ContactCreate(RequestModel):
    account_id: uuid.UUID = Field(description="An account you can see.")
    lead_id: uuid.UUID | None = Field(None, description="The lead this person came from.")
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    email: Email | None = None
    title: Str200 | None = None
    persona: PersonaSlug | None = None
    custom: CustomIn | None = None


class ContactUpdate(RequestModel):
    """JSON Merge Patch of a contact."""

    account_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    email: Email | None = None
    title: Str200 | None = None
    persona: PersonaSlug | None = None
    custom: CustomIn | None = None

    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"account_id"})


class Contact(ResponseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    lead_id: uuid.UUID | None
    first_name: str | None
    last_name: str | None
    email: str | None
    title: str | None
    persona: PersonaSlug | None
    custom: CustomOut
    created_at: datetime
    updated_at: datetime
    version: int
    account: AccountSummary | None = EXPANDED_ACCOUNT


class ContactPage(PageOf[Contact]):
    pass


@dataclass(frozen=True)
class ContactFilters(ListFilters):
    account_id: AnyOf[uuid.UUID] = None
    lead_id: AnyOf[uuid.UUID] = None
    persona: AnyOf[PersonaSlug] = None
    email: Annotated[str | None, Query(max_length=254, pattern=SINGLE_LINE)] = None
    q: SearchText = None
    updated_after: Moment | None = None


CONTACT_SORTS = SortChoices("created_at", "updated_at")
