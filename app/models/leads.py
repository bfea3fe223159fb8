"""Leads (with routing and duplicate keys) and contacts; touches live in `records`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.core.enums import BpmStage
from app.core.enums import LeadStatus
from app.core.enums import PersonaSlug
from app.models.base import Base
from app.models.base import Versioned
from app.models.base import custom_index
from app.models.base import custom_view
from app.models.base import enum_check
from app.models.base import reference
from app.models.base import stored_custom
from app.models.base import timestamp_now
from app.models.base import uuid_pk
from app.models.search_documents import CONTACT_DOCUMENT
from app.models.search_documents import LEAD_DOCUMENT
from app.models.search_documents import search_index
from app.models.search_documents import search_vector


class Lead(Versioned, Base):
    __tablename__ = "leads"
    __table_args__ = (
        custom_index("leads"),
        CheckConstraint(enum_check("status", LeadStatus), name="status"),
        CheckConstraint("persona IS NULL OR " + enum_check("persona", PersonaSlug), name="persona"),
        CheckConstraint(
            "bpm_stage IS NULL OR " + enum_check("bpm_stage", BpmStage), name="bpm_stage"
        ),
        CheckConstraint(
            "status <> 'disqualified' OR disqualify_reason IS NOT NULL", name="disqualify_reason"
        ),
        # One open lead per email: two integrations posting one person at once get one lead.
        Index(
            "uq_leads_open_email",
            text("lower(email)"),
            unique=True,
            postgresql_where=text("status NOT IN ('converted', 'disqualified')"),
        ),
        Index(
            "uq_leads_source_external_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        search_index("leads"),
        Index("ix_leads_owner_id", "owner_id"),
        Index("ix_leads_account_id", "account_id"),
        # Most leads name no activity; every query on it names one.
        Index(
            "ix_leads_activity_id",
            "activity_id",
            postgresql_where=text("activity_id IS NOT NULL"),
        ),
        Index("ix_leads_created_by", "created_by"),
        Index("ix_leads_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    source: Mapped[str] = mapped_column(String(40), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The activity, account and owner (a user) are ids checked once per INSERT statement by a
    # trigger, like `created_by`, not row by row by foreign keys (migration 0027); the rules
    # and their errors are the same.
    activity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    company: Mapped[str | None] = mapped_column(String(200))
    search_vector: Mapped[str] = search_vector(LEAD_DOCUMENT)
    domain: Mapped[str | None] = mapped_column(String(253))
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    persona: Mapped[str | None] = mapped_column(String(40))
    bpm_stage: Mapped[str | None] = mapped_column(String(40))
    inbound: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="new")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    disqualify_reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = timestamp_now()
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    touch_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    converted_contact_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    converted_opportunity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # A user's id, checked the same way (migration 0025: a batch has one creator).
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    custom_values: Mapped[dict[str, Any]] = stored_custom()
    custom: Mapped[dict[str, Any]] = custom_view("lead", custom_values)


class Contact(Versioned, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        custom_index("contacts"),
        CheckConstraint("persona IS NULL OR " + enum_check("persona", PersonaSlug), name="persona"),
        search_index("contacts"),
        Index("ix_contacts_account_id", "account_id"),
        Index("ix_contacts_account_email", "account_id", text("lower(email)")),
        # Logging an interaction by email finds the contact without knowing its account.
        Index("ix_contacts_email_lower", text("lower(email)")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = reference("accounts.id")
    lead_id: Mapped[uuid.UUID | None] = reference("leads.id")
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    search_vector: Mapped[str] = search_vector(CONTACT_DOCUMENT)
    title: Mapped[str | None] = mapped_column(String(200))
    persona: Mapped[str | None] = mapped_column(String(40))
    custom_values: Mapped[dict[str, Any]] = stored_custom()
    custom: Mapped[dict[str, Any]] = custom_view("contact", custom_values)
