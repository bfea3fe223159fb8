"""Notes, tasks and logged interactions (API.md section 11): what a rep writes down about a
lead, contact, account or opportunity (its subject: `subject_type` + `subject_id`).

A lead's touches are its interactions: one table, so `touch_count`, `first_response_at` and the
follow-up report read the same rows `/interactions` writes. `lead_id` is generated from the
subject (set only for lead subjects) and keeps the foreign key and the index touches had."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Computed
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.core.enums import SubjectType
from app.core.enums import TaskPriority
from app.core.enums import TaskStatus
from app.core.enums import TouchChannel
from app.core.enums import TouchDirection
from app.models.base import Base
from app.models.base import Timestamps
from app.models.base import Versioned
from app.models.base import enum_check
from app.models.base import reference
from app.models.base import uuid_pk

SUBJECT_CHECK = enum_check("subject_type", SubjectType)


def _subject_type() -> Mapped[str]:
    return mapped_column(String(20), nullable=False)


class Note(Versioned, Base):
    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(SUBJECT_CHECK, name="subject_type"),
        Index("ix_notes_subject", "subject_type", "subject_id", "created_at", "id"),
        Index("ix_notes_author_id", "author_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    subject_type: Mapped[str] = _subject_type()
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    author_id: Mapped[uuid.UUID] = reference("users.id")


class Task(Versioned, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("subject_type IS NULL OR " + SUBJECT_CHECK, name="subject_type"),
        CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject"),
        CheckConstraint(enum_check("priority", TaskPriority), name="priority"),
        CheckConstraint(enum_check("status", TaskStatus), name="status"),
        CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="completed_at"),
        Index("ix_tasks_subject", "subject_type", "subject_id", "created_at", "id"),
        Index("ix_tasks_owner_due", "owner_id", "due_at", "id"),
        Index("ix_tasks_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[str] = mapped_column(String(10), nullable=False, server_default="normal")
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="open")
    owner_id: Mapped[uuid.UUID] = reference("users.id")
    created_by: Mapped[uuid.UUID] = reference("users.id")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Interaction(Timestamps, Base):
    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(SUBJECT_CHECK, name="subject_type"),
        CheckConstraint(enum_check("channel", TouchChannel), name="channel"),
        CheckConstraint(enum_check("direction", TouchDirection), name="direction"),
        Index("ix_interactions_subject", "subject_type", "subject_id", "occurred_at", "id"),
        Index("ix_interactions_lead_id_occurred_at", "lead_id", "occurred_at"),
        Index(
            "uq_interactions_source_external_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_interactions_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    subject_type: Mapped[str] = _subject_type()
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("leads.id", ondelete="CASCADE"),
        Computed("CASE WHEN subject_type = 'lead' THEN subject_id END", persisted=True),
    )
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    direction: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    title: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    content_ref: Mapped[str | None] = mapped_column(String(500))
    breakup: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(40), nullable=False, server_default="manual")
    created_by: Mapped[uuid.UUID] = reference("users.id")


# A touch (API.md section 5) is an interaction whose subject is a lead.
Touch = Interaction
