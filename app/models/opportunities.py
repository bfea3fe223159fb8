"""Stages, opportunities, their append-only history, command plans, qualifications, meetings
and the meeting-preparation reference data."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.core.enums import BpmStage
from app.core.enums import ForecastCategory
from app.core.enums import LossReason
from app.core.enums import OpportunityType
from app.core.enums import PersonaSlug
from app.core.enums import RenewalForecastCategory
from app.core.enums import StageSlug
from app.models.base import MONEY
from app.models.base import Base
from app.models.base import Timestamps
from app.models.base import Versioned
from app.models.base import custom_index
from app.models.base import custom_view
from app.models.base import enum_check
from app.models.base import reference
from app.models.base import stored_custom
from app.models.base import timestamp_now
from app.models.base import uuid_pk
from app.models.search_documents import search_index
from app.models.search_documents import search_vector


class Stage(Timestamps, Base):
    __tablename__ = "stages"
    __table_args__ = (
        CheckConstraint(enum_check("forecast_category", ForecastCategory), name="category"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
    )

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    probability: Mapped[int] = mapped_column(Integer, nullable=False)
    forecast_category: Mapped[str] = mapped_column(String(20), nullable=False)
    terminal: Mapped[bool] = mapped_column(Boolean, nullable=False)
    requirements: Mapped[dict[str, list[str]]] = mapped_column(JSONB, nullable=False)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), nullable=False)


class Opportunity(Versioned, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        custom_index("opportunities"),
        CheckConstraint(enum_check("type", OpportunityType), name="type"),
        CheckConstraint(enum_check("stage", StageSlug), name="stage"),
        CheckConstraint(enum_check("forecast_category", ForecastCategory), name="category"),
        CheckConstraint(
            "renewal_forecast_category IS NULL OR "
            + enum_check("renewal_forecast_category", RenewalForecastCategory),
            name="renewal_category",
        ),
        CheckConstraint(
            "loss_reason IS NULL OR " + enum_check("loss_reason", LossReason), name="loss_reason"
        ),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        CheckConstraint(
            "bpm_stage IS NULL OR " + enum_check("bpm_stage", BpmStage), name="bpm_stage"
        ),
        # A rep's list page: their own opportunities, and those at their territories' accounts,
        # in keyset order from index entries alone (migrations 0024 and 0029).
        Index("ix_opportunities_owner_id_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_opportunities_account_id_created_at_id", "account_id", "created_at", "id"),
        search_index("opportunities"),
        Index("ix_opportunities_close_date", "close_date"),
        Index("ix_opportunities_lead_id", "lead_id"),
        Index("ix_opportunities_activity_id", "activity_id"),
        # Lists: keyset order with visibility checked on the index entries (migration 0008).
        Index(
            "ix_opportunities_created_at_id",
            "created_at",
            "id",
            postgresql_include=["owner_id", "account_id"],
        ),
        Index(
            "ix_opportunities_updated_at_id",
            "updated_at",
            "id",
            postgresql_include=["owner_id", "account_id"],
        ),
        # The pipeline summary: an index-only scan of one period (migration 0008; the forecast
        # roll-up read it too until migration 0010 gave it kept sums).
        Index(
            "ix_opportunities_close_date_rollup",
            "close_date",
            postgresql_include=[
                "owner_id",
                "stage",
                "type",
                "forecast_category",
                "amount",
                "renewal_arr",
                "renewal_loss_amount",
                "renewal_forecast_category",
            ],
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # The opportunity's name and its account's, kept by triggers (migration 0016).
    search_vector: Mapped[str | None] = search_vector(None)
    account_id: Mapped[uuid.UUID] = reference("accounts.id")
    contact_id: Mapped[uuid.UUID | None] = reference("contacts.id")
    owner_id: Mapped[uuid.UUID] = reference("users.id")
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    stage: Mapped[str] = mapped_column(String(40), nullable=False)
    stage_number: Mapped[int] = mapped_column(Integer, nullable=False)
    probability: Mapped[int] = mapped_column(Integer, nullable=False)
    forecast_category: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    renewal_arr: Mapped[Decimal | None] = mapped_column(MONEY)
    renewal_loss_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    renewal_forecast_category: Mapped[str | None] = mapped_column(String(20))
    close_date: Mapped[date | None] = mapped_column(Date)
    next_step: Mapped[str | None] = mapped_column(String(1000))
    next_step_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entry_use_case: Mapped[str | None] = mapped_column(String(40))
    potential_seats: Mapped[int | None] = mapped_column(Integer)
    proposal_sent_on: Mapped[date | None] = mapped_column(Date)
    signature_requested_on: Mapped[date | None] = mapped_column(Date)
    loss_reason: Mapped[str | None] = mapped_column(String(20))
    loss_details: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[uuid.UUID | None] = reference("opportunities.id")
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    bpm_stage: Mapped[str | None] = mapped_column(String(40))
    lead_id: Mapped[uuid.UUID | None] = reference("leads.id")
    activity_id: Mapped[uuid.UUID | None] = reference("activities.id")
    sales_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stage_entered_at: Mapped[datetime] = timestamp_now()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = reference("users.id")
    custom_values: Mapped[dict[str, Any]] = stored_custom()
    custom: Mapped[dict[str, Any]] = custom_view("opportunity", custom_values)


class OpportunityHistory(Base):
    """Append-only: a trigger in the migration rejects UPDATE and DELETE."""

    __tablename__ = "opportunity_history"
    __table_args__ = (
        Index("ix_opportunity_history_opportunity_id_seq", "opportunity_id", "seq"),
        Index("ix_opportunity_history_opportunity_id_at", "opportunity_id", "at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), nullable=False)
    opportunity_id: Mapped[uuid.UUID] = reference("opportunities.id")
    at: Mapped[datetime] = timestamp_now()
    actor_id: Mapped[uuid.UUID | None] = reference("users.id")
    field: Mapped[str] = mapped_column(String(40), nullable=False)
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class CommandPlan(Base):
    __tablename__ = "command_plans"

    opportunity_id: Mapped[uuid.UUID] = reference(
        "opportunities.id", ondelete="CASCADE", primary_key=True
    )
    overview: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    meddppicc: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    close_plan: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    risks: Mapped[str | None] = mapped_column(Text)
    help_needed: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), nullable=False)
    created_at: Mapped[datetime] = timestamp_now()
    updated_at: Mapped[datetime] = timestamp_now()
    updated_by: Mapped[uuid.UUID | None] = reference("users.id")


class CommandPlanRevision(Base):
    __tablename__ = "command_plan_revisions"
    __table_args__ = (Index("ix_command_plan_revisions_opportunity_id", "opportunity_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    opportunity_id: Mapped[uuid.UUID] = reference("opportunities.id", ondelete="CASCADE")
    at: Mapped[datetime] = timestamp_now()
    actor_id: Mapped[uuid.UUID | None] = reference("users.id")
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(60)), nullable=False)


class CommandPlanReview(Base):
    __tablename__ = "command_plan_reviews"
    __table_args__ = (Index("ix_command_plan_reviews_opportunity_id", "opportunity_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    opportunity_id: Mapped[uuid.UUID] = reference("opportunities.id", ondelete="CASCADE")
    at: Mapped[datetime] = timestamp_now()
    reviewer_id: Mapped[uuid.UUID] = reference("users.id")
    notes: Mapped[str] = mapped_column(Text, nullable=False)


class Qualification(Base):
    __tablename__ = "qualifications"
    __table_args__ = (
        CheckConstraint("(lead_id IS NULL) <> (opportunity_id IS NULL)", name="one_subject"),
        Index("ix_qualifications_lead_id", "lead_id", "evaluated_at"),
        Index("ix_qualifications_opportunity_id", "opportunity_id", "evaluated_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    lead_id: Mapped[uuid.UUID | None] = reference("leads.id")
    opportunity_id: Mapped[uuid.UUID | None] = reference("opportunities.id")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    qualified: Mapped[bool] = mapped_column(Boolean, nullable=False)
    evaluated_at: Mapped[datetime] = timestamp_now()
    evaluated_by: Mapped[uuid.UUID] = reference("users.id")


class Meeting(Versioned, Base):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("(lead_id IS NULL) <> (opportunity_id IS NULL)", name="one_subject"),
        CheckConstraint("persona IS NULL OR " + enum_check("persona", PersonaSlug), name="persona"),
        Index("ix_meetings_lead_id", "lead_id"),
        Index("ix_meetings_opportunity_id", "opportunity_id", "scheduled_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    lead_id: Mapped[uuid.UUID | None] = reference("leads.id")
    opportunity_id: Mapped[uuid.UUID | None] = reference("opportunities.id")
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    persona: Mapped[str | None] = mapped_column(String(40))
    attendee_contact_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    objectives: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    pre_call_questions: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    agenda: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    research: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    agenda_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    next_step_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = reference("users.id")


class PersonaProfile(Versioned, Base):
    __tablename__ = "personas"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    objectives: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    obstacles: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    metrics: Mapped[list[str]] = mapped_column(JSONB, nullable=False)


class DiscoveryQuestion(Versioned, Base):
    __tablename__ = "discovery_questions"
    __table_args__ = (Index("ix_discovery_questions_element", "element", "persona"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    element: Mapped[str] = mapped_column(String(40), nullable=False)
    persona: Mapped[str | None] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(String(1000), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class BuyerProcessStage(Versioned, Base):
    __tablename__ = "buyer_process_stages"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    buyer_actions: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
