"""Request and response shapes for the fiscal calendar, quotas, roll-ups and weekly forecasts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from datetime import tzinfo
from typing import Annotated
from typing import ClassVar

from pydantic import Field
from pydantic import StringConstraints

from app.core.pagination import ListFilters
from app.core.query_lists import AnyOf
from app.core.schemas import MoneyIn
from app.core.schemas import MoneyOut
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Text
from app.forecasts.fiscal import PERIOD_PATTERN


@dataclass(frozen=True)
class ReportQuery:
    """What a section-8 report is about (`period`, `owner_id` from the query; None: the current
    fiscal quarter, the caller) and the server's time zone and currency."""

    period: str | None
    owner_id: uuid.UUID | None
    tz: tzinfo
    currency: str


PeriodLabel = Annotated[
    str,
    StringConstraints(max_length=10, pattern=PERIOD_PATTERN),
    Field(
        description="`FY2027` (a fiscal year) or `FY2027-Q1` (one of its quarters); the fiscal "
        "year is named by the calendar year it ends in.",
        examples=["FY2027-Q1"],
    ),
]

# --- fiscal calendar ---------------------------------------------------------------------


class FiscalSettings(ResponseModel):
    fiscal_year_start_month: int = Field(
        description="Month (1-12) the fiscal year starts in; 1 = the calendar year."
    )
    version: int


class FiscalSettingsUpdate(RequestModel):
    fiscal_year_start_month: int = Field(ge=1, le=12)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"version"})


# --- quotas ------------------------------------------------------------------------------


class QuotaPut(RequestModel):
    amount: MoneyIn = Field(description="The quota for the period, 0 or more.")
    read_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"user_id", "period", "explicit", "currency"}
    )


class Quota(ResponseModel):
    user_id: uuid.UUID
    period: str
    amount: MoneyOut | None = Field(
        description="The effective quota: the explicit one, else (for a manager) the sum of the "
        "direct reports' effective quotas; null when there is none."
    )
    explicit: bool = Field(description="True when set for this user; false when rolled up.")
    version: int = Field(description="Version of the explicit quota; 0 while none was set.")
    currency: str


# --- roll-up -----------------------------------------------------------------------------


class RollupFigures(ResponseModel):
    closed_won: MoneyOut = Field(description="Measure of the won opportunities.")
    realised_renewal_loss: MoneyOut = Field(
        description="Lost renewals' renewal_arr plus won renewals' shortfall."
    )
    net_closed: MoneyOut = Field(description="closed_won - realised_renewal_loss.")
    gross_commit: MoneyOut = Field(description="closed_won + measure of open ones in commit.")
    gross_best_case: MoneyOut = Field(
        description="gross_commit + measure of open ones in best_case."
    )
    renewal_loss_commit: MoneyOut = Field(
        description="realised_renewal_loss + expected losses in commit."
    )
    renewal_loss_best_case: MoneyOut = Field(
        description="renewal_loss_commit + expected losses in best_case."
    )
    net_commit: MoneyOut = Field(description="gross_commit - renewal_loss_commit.")
    net_best_case: MoneyOut = Field(description="gross_best_case - renewal_loss_best_case.")
    quota: MoneyOut | None = Field(description="Effective quota for the period; null when none.")
    gap_to_quota_commit: MoneyOut | None = Field(description="quota - net_commit.")
    gap_to_quota_best_case: MoneyOut | None = Field(description="quota - net_best_case.")
    attainment: float | None = Field(
        description="net_closed / quota, 4 places; null without a quota."
    )


class DirectReportRollup(ResponseModel):
    user_id: uuid.UUID
    name: str
    figures: RollupFigures


class Rollup(ResponseModel):
    period: str
    owner_id: uuid.UUID
    currency: str
    figures: RollupFigures
    direct_reports: list[DirectReportRollup] = Field(
        description="Each direct report of the owner with their whole subtree's figures, by name."
    )


# --- weekly submissions ------------------------------------------------------------------


class ForecastCreate(RequestModel):
    period: PeriodLabel
    gross_commit: MoneyIn
    gross_best_case: MoneyIn
    renewal_loss_commit: MoneyIn
    renewal_loss_best_case: MoneyIn
    net_most_likely: MoneyIn = Field(
        description="The net 50/50: between net commit and net best case."
    )
    notes: Text | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "owner_id",
            "user_id",
            "week",
            "net_commit",
            "net_best_case",
            "submitted_at",
            "change",
            "team_sum",
            "currency",
        }
    )


class ForecastFigures(ResponseModel):
    gross_commit: MoneyOut
    gross_best_case: MoneyOut
    renewal_loss_commit: MoneyOut
    renewal_loss_best_case: MoneyOut
    net_commit: MoneyOut
    net_best_case: MoneyOut
    net_most_likely: MoneyOut


class TeamSum(ForecastFigures):
    calls: int = Field(
        description="How many direct reports' calls are summed (each report's latest call for the "
        "period in that week or before)."
    )


class Forecast(ResponseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    period: str
    week: str = Field(description="ISO week of the submission in ENGAGE_TIMEZONE, e.g. 2026-W48.")
    gross_commit: MoneyOut
    gross_best_case: MoneyOut
    renewal_loss_commit: MoneyOut
    renewal_loss_best_case: MoneyOut
    net_commit: MoneyOut = Field(description="Derived: gross_commit - renewal_loss_commit.")
    net_best_case: MoneyOut = Field(
        description="Derived: gross_best_case - renewal_loss_best_case."
    )
    net_most_likely: MoneyOut
    notes: str | None
    currency: str
    submitted_at: datetime
    change: ForecastFigures | None = Field(
        description="Each figure minus the same owner's previous submission for the period (the "
        "latest from an earlier week); null for the first."
    )
    system: RollupFigures | None = Field(
        description="The submitter's roll-up figures for the period when they called (what "
        "`GET /forecasts/rollup` said then; a manager's cover their subtree); null for calls "
        "made before Engage kept them. A resubmission in the same week takes them anew."
    )
    team_sum: TeamSum | None = Field(
        description="For a manager's (or admin's) call: the sum of their direct reports' latest "
        "calls that week; null for reps."
    )
    created_at: datetime
    updated_at: datetime
    version: int


class ForecastPage(PageOf[Forecast]):
    pass


# --- accuracy ----------------------------------------------------------------------------


class AccuracyWeek(ResponseModel):
    week: str = Field(description="ISO week of the call, e.g. 2026-W48.")
    submitted_at: datetime
    net_commit: MoneyOut = Field(description="The call's gross_commit - renewal_loss_commit.")
    net_most_likely: MoneyOut = Field(description="The call's net 50/50.")
    net_best_case: MoneyOut = Field(
        description="The call's gross_best_case - renewal_loss_best_case."
    )
    system_net_commit: MoneyOut | None = Field(
        description="The roll-up's net_commit when the call was made (its `system`); null for "
        "calls made before Engage kept it."
    )
    error_most_likely: MoneyOut = Field(
        description="net_most_likely - actual_net_closed: above 0 the call was too high."
    )


class ForecastAccuracy(ResponseModel):
    period: str
    owner_id: uuid.UUID
    currency: str
    actual_net_closed: MoneyOut = Field(
        description="The roll-up's net_closed for the period now (a manager's: their subtree's)."
    )
    final: bool = Field(
        description="True once the period has ended (ENGAGE_TIMEZONE): actual_net_closed is "
        "then the outcome, before it is the outcome so far."
    )
    weeks: list[AccuracyWeek] = Field(
        description="The owner's weekly calls for the period, oldest first.", max_length=60
    )
    mean_absolute_error: MoneyOut | None = Field(
        description="Mean of |error_most_likely| over the weeks, to the cent; null without weeks."
    )


@dataclass(frozen=True)
class ForecastFilters(ListFilters):
    """What `GET /forecasts` narrows to (the period already checked against the calendar)."""

    owner_id: AnyOf[uuid.UUID] = None
    period: str | None = None
    updated_after: datetime | None = None
