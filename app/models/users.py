"""Users (the manager tree), API tokens, idempotency records and admin settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.core.enums import Role
from app.models.base import Base
from app.models.base import Timestamps
from app.models.base import Versioned
from app.models.base import enum_check
from app.models.base import reference
from app.models.base import timestamp_now
from app.models.base import uuid_pk


class User(Versioned, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", Role), name="role"),
        CheckConstraint(
            "(role = 'integration') = (source IS NOT NULL)", name="source_for_integration"
        ),
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        Index(
            "uq_users_source", "source", unique=True, postgresql_where=text("source IS NOT NULL")
        ),
        Index("ix_users_manager_id", "manager_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    manager_id: Mapped[uuid.UUID | None] = reference("users.id", ondelete="RESTRICT")
    source: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), nullable=False)


class UserAncestor(Base):
    """A user at or above another in the manager tree, the user itself included: what
    `engage_subtree` reads, one index range per manager. Kept by triggers on `users` (migration
    0030); Engage's code only reads it."""

    __tablename__ = "user_ancestors"
    __table_args__ = (Index("ix_user_ancestors_user_id", "user_id"),)

    ancestor_id: Mapped[uuid.UUID] = reference(
        "users.id", ondelete="CASCADE", onupdate="CASCADE", primary_key=True
    )
    user_id: Mapped[uuid.UUID] = reference(
        "users.id", ondelete="CASCADE", onupdate="CASCADE", primary_key=True
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = reference("users.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = timestamp_now()


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (
        Index(
            "uq_idempotency_records_scope",
            "principal_id",
            "method",
            "path",
            "key",
            unique=True,
        ),
        Index("ix_idempotency_records_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(2000), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    body_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    response_body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = timestamp_now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Setting(Timestamps, Base):
    """One row per settings document (`fiscal`, `hygiene`, `cadence`), admin-editable."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), nullable=False)


class RateLimitWindow(Base):
    """Requests per subject per minute, shared by every worker and replica (UNLOGGED: a counter
    lost in a crash only resets a budget). The subject is a user's id, or for requests without
    a valid token an id derived from the client address (`rate_limit.address_subject`)."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
