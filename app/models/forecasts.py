"""Quotas per user and period, and weekly forecast submissions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Versioned, uuid_pk

MONEY = Numeric(15, 2)


class Quota(Versioned, Base):
    __tablename__ = "quotas"
    __table_args__ = (Index("uq_quotas_user_id_period", "user_id", "period", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id"), nullable=False
    )
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


class ForecastSubmission(Versioned, Base):
    __tablename__ = "forecast_submissions"
    __table_args__ = (
        Index("uq_forecast_submissions_user_period_week", "user_id", "period", "week", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id"), nullable=False
    )
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    week: Mapped[str] = mapped_column(String(8), nullable=False)
    gross_commit: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    gross_best_case: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    renewal_loss_commit: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    renewal_loss_best_case: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net_most_likely: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
