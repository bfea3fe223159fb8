"""Territories, their extended team, accounts, units, adoption history, plans, activities, and
the stored analysis and diagram of each territory."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
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

from app.core.enums import AccountType
from app.core.enums import ActivityStatus
from app.core.enums import ActivityType
from app.core.enums import Adoption
from app.core.enums import ItSupport
from app.core.enums import Segment
from app.core.enums import TeamRole
from app.core.enums import UnitKind
from app.core.enums import Vertical
from app.models.base import Base
from app.models.base import Versioned
from app.models.base import custom_index
from app.models.base import custom_view
from app.models.base import enum_check
from app.models.base import reference
from app.models.base import stored_custom
from app.models.base import timestamp_now
from app.models.base import uuid_pk
from app.models.search_documents import ACCOUNT_DOCUMENT
from app.models.search_documents import search_index
from app.models.search_documents import search_vector


class Territory(Versioned, Base):
    __tablename__ = "territories"
    __table_args__ = (
        CheckConstraint(enum_check("segment", Segment), name="segment"),
        Index("ix_territories_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[uuid.UUID] = reference("users.id")
    segment: Mapped[str] = mapped_column(String(20), nullable=False)
    region: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    team_version: Mapped[int] = mapped_column(Integer, server_default=text("1"), nullable=False)


class TerritoryMember(Base):
    __tablename__ = "territory_members"
    __table_args__ = (
        CheckConstraint(enum_check("role", TeamRole), name="role"),
        CheckConstraint("user_id IS NOT NULL OR name IS NOT NULL", name="user_or_name"),
        Index("ix_territory_members_territory_id", "territory_id"),
        Index("ix_territory_members_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    territory_id: Mapped[uuid.UUID] = reference("territories.id", ondelete="CASCADE")
    user_id: Mapped[uuid.UUID | None] = reference("users.id")
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Account(Versioned, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        custom_index("accounts"),
        CheckConstraint(enum_check("vertical", Vertical), name="vertical"),
        CheckConstraint(enum_check("account_type", AccountType), name="account_type"),
        CheckConstraint(
            "it_support IS NULL OR " + enum_check("it_support", ItSupport), name="it_support"
        ),
        CheckConstraint("domain = lower(domain)", name="domain_lower"),
        Index("uq_accounts_domain", "domain", unique=True),
        search_index("accounts"),
        Index("ix_accounts_territory_id", "territory_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    territory_id: Mapped[uuid.UUID] = reference("territories.id", ondelete="RESTRICT")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    domain: Mapped[str | None] = mapped_column(String(253))
    search_vector: Mapped[str] = search_vector(ACCOUNT_DOCUMENT)
    vertical: Mapped[str] = mapped_column(String(40), nullable=False)
    account_type: Mapped[str] = mapped_column(String(20), nullable=False)
    routes_to_market: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), nullable=False, server_default=text("'{}'")
    )
    cloud_providers: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'")
    )
    partners: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    it_support: Mapped[str | None] = mapped_column(String(20))
    custom_values: Mapped[dict[str, Any]] = stored_custom()
    custom: Mapped[dict[str, Any]] = custom_view("account", custom_values)


class Unit(Versioned, Base):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(enum_check("kind", UnitKind), name="kind"),
        CheckConstraint(enum_check("adoption", Adoption), name="adoption"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_units_account_id", "account_id"),
        Index("ix_units_parent_id", "parent_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = reference("accounts.id", ondelete="CASCADE")
    parent_id: Mapped[uuid.UUID | None] = reference("units.id", ondelete="RESTRICT")
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    adoption: Mapped[str] = mapped_column(String(10), nullable=False)
    devops_headcount: Mapped[int | None] = mapped_column(Integer)
    current_tools: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'")
    )


class AdoptionChange(Base):
    __tablename__ = "adoption_changes"
    __table_args__ = (
        Index("ix_adoption_changes_unit_id_at", "unit_id", "at"),
        Index("ix_adoption_changes_new_at", "new", "at"),
        Index("ix_adoption_changes_opportunity_id_at", "opportunity_id", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    unit_id: Mapped[uuid.UUID] = reference("units.id", ondelete="CASCADE")
    at: Mapped[datetime] = timestamp_now()
    actor_id: Mapped[uuid.UUID | None] = reference("users.id")
    old: Mapped[str | None] = mapped_column(String(10))
    new: Mapped[str] = mapped_column(String(10), nullable=False)
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Plan(Versioned, Base):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(enum_check("vertical", Vertical), name="vertical"),
        # One strategic plan per vertical and territory (seed step 2).
        Index("uq_plans_territory_id_vertical", "territory_id", "vertical", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    territory_id: Mapped[uuid.UUID] = reference("territories.id", ondelete="CASCADE")
    vertical: Mapped[str] = mapped_column(String(40), nullable=False)
    objectives: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    tactics: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )


class Activity(Versioned, Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(enum_check("type", ActivityType), name="type"),
        CheckConstraint(enum_check("status", ActivityStatus), name="status"),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"
        ),
        Index("ix_activities_territory_id", "territory_id"),
        Index("ix_activities_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    territory_id: Mapped[uuid.UUID] = reference("territories.id", ondelete="RESTRICT")
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    vertical: Mapped[str | None] = mapped_column(String(40))
    account_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    partner: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="planned")
    created_by: Mapped[uuid.UUID] = reference("users.id")


REPORT_KINDS = ("analysis", "diagram", "diagram_png")


class TerritoryReportVersion(Base):
    """A counter per territory that triggers on accounts, units, adoption_changes and
    territories (its name) raise whenever the analysis' or the diagram's input changes
    (migration 0011). Kept apart from `territories.version`, which is the territory's ETag."""

    __tablename__ = "territory_report_versions"

    territory_id: Mapped[uuid.UUID] = reference(
        "territories.id", ondelete="CASCADE", primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))


class TerritoryReport(Base):
    """An analysis (JSON) or diagram (SVG) exactly as served, computed from the inputs at
    `input_version`; served again while that is the territory's current report version, the
    code is the same, and, for the analysis, whose "last N days" windows move with the date,
    while `as_of` is today."""

    __tablename__ = "territory_reports"
    __table_args__ = (CheckConstraint(enum_check("kind", REPORT_KINDS), name="kind"),)

    territory_id: Mapped[uuid.UUID] = reference(
        "territories.id", ondelete="CASCADE", primary_key=True
    )
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    # The diagram's `vertical` filter; '' when there is none (and for the analysis).
    variant: Mapped[str] = mapped_column(Text, primary_key=True)
    # The local date an analysis was computed for; null for the diagram (no date in it).
    as_of: Mapped[date | None] = mapped_column(Date)
    # A digest of the code that made the body (app.territories.analysis.REPORT_CODE_VERSION).
    code_version: Mapped[str] = mapped_column(Text, nullable=False)
    input_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # STORAGE EXTERNAL: uncompressed
    computed_at: Mapped[datetime] = timestamp_now()
