"""Request and response shapes for contacts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from app.core.schemas import Email, RequestModel, ResponseModel, Str100, Str200

Persona = Literal[
    "technology_leader",
    "business_application_leader",
    "security_leader",
    "coo_cxo_leader",
    "financial_leader",
]


class ContactCreate(RequestModel):
    account_id: uuid.UUID = Field(description="An account you can see.")
    lead_id: uuid.UUID | None = Field(None, description="The lead this person came from.")
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    email: Email | None = None
    title: Str200 | None = None
    persona: Persona | None = None


class ContactUpdate(RequestModel):
    """JSON Merge Patch of a contact."""

    account_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    email: Email | None = None
    title: Str200 | None = None
    persona: Persona | None = None

    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"account_id"})


class Contact(ResponseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    lead_id: uuid.UUID | None
    first_name: str | None
    last_name: str | None
    email: str | None
    title: str | None
    persona: Persona | None
    created_at: datetime
    updated_at: datetime
    version: int


class ContactPage(ResponseModel):
    items: list[Contact]
    next_cursor: str | None
