"""Quotas per user and period, weekly forecast submissions, and the per-owner monthly sums the
forecast roll-up reads."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.models.base import MONEY
from app.models.base import Base
from app.models.base import Versioned
from app.models.base import reference
from app.models.base import timestamp_now
from app.models.base import uuid_pk


class Quota(Versioned, Base):
    __tablename__ = "quotas"
    __table_args__ = (Index("uq_quotas_user_id_period", "user_id", "period", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = reference("users.id")
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


class ForecastSubmission(Versioned, Base):
    __tablename__ = "forecast_submissions"
    __table_args__ = (
        Index("uq_forecast_submissions_user_period_week", "user_id", "period", "week", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = reference("users.id")
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    week: Mapped[str] = mapped_column(String(8), nullable=False)
    gross_commit: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    gross_best_case: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    renewal_loss_commit: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    renewal_loss_best_case: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net_most_likely: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = timestamp_now()
    # The submitter's roll-up figures when they called (API.md section 14); null before 0015.
    system: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


def _sum() -> Mapped[Decimal]:
    # Unbounded numeric: a sum of many numeric(15, 2) amounts may not fit numeric(15, 2).
    return mapped_column(Numeric(), nullable=False, server_default=text("0"))


class OpportunityMonthSums(Base):
    """Per owner and calendar month of `close_date`, what the owner's opportunities add to the
    forecast roll-up (API.md section 8); opportunities without a close date count nowhere.

    Written only by PostgreSQL: statement-level triggers on `opportunities` (migration 0010)
    apply every INSERT, UPDATE, DELETE and COPY in the same transaction, and remove a row when
    its last opportunity leaves it. Months, not fiscal periods, because every fiscal period
    starts on the first of a month whatever the fiscal-year start setting.
    """

    __tablename__ = "opportunity_month_sums"
    __table_args__ = (CheckConstraint("EXTRACT(day FROM close_month) = 1", name="first_of_month"),)

    owner_id: Mapped[uuid.UUID] = reference("users.id", ondelete="CASCADE", primary_key=True)
    close_month: Mapped[date] = mapped_column(Date, primary_key=True)
    opportunities: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    closed_won: Mapped[Decimal] = _sum()
    realised: Mapped[Decimal] = _sum()
    open_commit: Mapped[Decimal] = _sum()
    open_best_case: Mapped[Decimal] = _sum()
    loss_commit: Mapped[Decimal] = _sum()
    loss_best_case: Mapped[Decimal] = _sum()
