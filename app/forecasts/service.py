"""The fiscal calendar setting, quotas, the forecast roll-up and weekly submissions (API.md
section 8): who may do what, which period and owner a request means, and the submission rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core import settings_store
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.errors import NotFound
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.forecasts.fiscal import InvalidPeriod
from app.forecasts.fiscal import Period
from app.forecasts.fiscal import parse_period
from app.forecasts.fiscal import period_for
from app.forecasts.fiscal import submittable_periods
from app.forecasts.repository import ENTERED_FIGURES
from app.forecasts.repository import QuotaRepository
from app.forecasts.repository import RollupRepository
from app.forecasts.repository import SubmissionRepository
from app.forecasts.rules import SubmissionFigures
from app.forecasts.rules import figure_changes
from app.forecasts.rules import figure_values
from app.forecasts.rules import iso_week
from app.forecasts.rules import validate_submission
from app.forecasts.schemas import AccuracyWeek
from app.forecasts.schemas import DirectReportRollup
from app.forecasts.schemas import FiscalSettings
from app.forecasts.schemas import Forecast
from app.forecasts.schemas import ForecastAccuracy
from app.forecasts.schemas import ForecastCreate
from app.forecasts.schemas import ForecastFigures
from app.forecasts.schemas import ForecastFilters
from app.forecasts.schemas import Quota
from app.forecasts.schemas import ReportQuery
from app.forecasts.schemas import Rollup
from app.forecasts.schemas import RollupFigures
from app.forecasts.schemas import TeamSum
from app.models import User
from app.users.repository import UserRepository

FISCAL_KEY = "fiscal"
FISCAL_DEFAULTS: Mapping[str, Any] = {"fiscal_year_start_month": 1}

# Submissions of these roles are team calls and carry `team_sum` (only they can have reports).
TEAM_CALL_ROLES = frozenset({"manager", "admin"})


# --- fiscal calendar ---------------------------------------------------------------------


FISCAL = settings_store.Document(FISCAL_KEY, FISCAL_DEFAULTS, FiscalSettings)


async def fiscal_start_month(session: AsyncSession) -> int:
    return (await FISCAL.get(session)).fiscal_year_start_month


def local_now(tz: tzinfo, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(tz)


async def resolve_period(
    session: AsyncSession, label: str | None, field: str, tz: tzinfo
) -> Period:
    """The named period (422 on `field` when malformed or impossible); the current fiscal
    quarter in ENGAGE_TIMEZONE when `label` is None."""
    start_month = await fiscal_start_month(session)
    if label is None:
        return period_for(local_now(tz).date(), start_month)
    try:
        return parse_period(label, start_month)
    except InvalidPeriod as exc:
        raise field_error(field, "invalid_period", str(exc)) from exc


async def resolve_owner(
    session: AsyncSession,
    principal: Principal,
    owner_id: uuid.UUID | None,
    field: str = "query.owner_id",
) -> User:
    """The owner a report is about: the caller by default; someone the caller cannot see is
    treated as nonexistent (422 `not_found` on `field`)."""
    user = await UserRepository(session).get_in_scope(principal, owner_id or principal.id)
    if user is None:
        raise not_visible(field)
    return user


async def report_scope(
    session: AsyncSession, principal: Principal, query: ReportQuery
) -> tuple[Period, User]:
    """The period and owner a section-8 report is about (`query.period`, `query.owner_id`)."""
    return await resolve_period(
        session, query.period, "query.period", query.tz
    ), await resolve_owner(session, principal, query.owner_id)


# --- quotas ------------------------------------------------------------------------------


def _quota_view(user_id: uuid.UUID, period: str, row: RowMapping | None, currency: str) -> Quota:
    if row is None:
        return Quota(
            user_id=user_id,
            period=period,
            amount=None,
            explicit=False,
            version=0,
            currency=currency,
        )
    return Quota(
        user_id=user_id,
        period=period,
        amount=row["quota"],
        explicit=row["explicit"],
        version=row["version"],
        currency=currency,
    )


async def _quota_target(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, label: str, tz: tzinfo
) -> tuple[User, Period]:
    period = await resolve_period(session, label, "path.period", tz)
    user = await UserRepository(session).get_in_scope(principal, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user, period


async def get_quota(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    label: str,
    tz: tzinfo,
    currency: str,
) -> Quota:
    """Visible to the user, their managers and admins (anyone else: 404)."""
    _, period = await _quota_target(session, principal, user_id, label, tz)
    rows = await QuotaRepository(session).effective([user_id], period.label)
    return _quota_view(user_id, period.label, rows.get(user_id), currency)


def _check_may_set_quota(principal: Principal, user_id: uuid.UUID) -> None:
    # Visible users of a manager are their subtree, so the only visible target not strictly
    # below them is themselves: decided here, before any lookup.
    if principal.role == "manager" and user_id == principal.id:
        raise Forbidden("Managers set quotas for users below them, not for themselves.")


async def put_quota(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    label: str,
    amount: Decimal,
    if_match: str | None,
    tz: tzinfo,
    currency: str,
) -> tuple[Quota, bool]:
    """Set the explicit quota; True when it was created (no explicit quota before)."""
    _check_may_set_quota(principal, user_id)
    user, period = await _quota_target(session, principal, user_id, label, tz)
    if user.role == "integration":
        raise field_error("path.user_id", "not_a_seller", "Integration users do not carry quotas.")
    if amount < 0:
        raise field_error("amount", "negative", "amount must be 0 or more.")
    quotas = QuotaRepository(session)
    created = False
    quota = await quotas.explicit_for_update(user_id, period.label)
    if quota is None:
        check_if_match(if_match, 0)
        quota = await quotas.add_explicit(user_id, period.label, amount)
        created = quota is not None
        if quota is None:  # inserted concurrently: update that one instead
            quota = await quotas.explicit_for_update(user_id, period.label)
            assert quota is not None
    if not created:
        check_if_match(if_match, quota.version)
        await quotas.apply_patch(quota, {"amount": amount})
    rows = await quotas.effective([user_id], period.label)
    return _quota_view(user_id, period.label, rows.get(user_id), currency), created


async def delete_quota(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    label: str,
    if_match: str | None,
    tz: tzinfo,
) -> None:
    """Remove the explicit quota so a manager's quota rolls up from their reports again."""
    _check_may_set_quota(principal, user_id)
    _, period = await _quota_target(session, principal, user_id, label, tz)
    quotas = QuotaRepository(session)
    quota = await quotas.explicit_for_update(user_id, period.label)
    if quota is None:
        raise NotFound("This user has no explicit quota for the period.")
    check_if_match(if_match, quota.version)
    await quotas.delete(quota)


# --- roll-up -----------------------------------------------------------------------------


def ratio(value: Decimal | None) -> float | None:
    """A ratio SQL rounded to 4 places, as a JSON number (null without a denominator)."""
    return None if value is None else float(value)


async def rollup(session: AsyncSession, principal: Principal, query: ReportQuery) -> Rollup:
    period, owner = await report_scope(session, principal, query)
    rows = await RollupRepository(session).rollup(owner.id, period)
    total, reports = rows[0], rows[1:]
    return Rollup(
        period=period.label,
        owner_id=owner.id,
        currency=query.currency,
        figures=RollupFigures.model_validate(total),
        direct_reports=[
            DirectReportRollup(
                user_id=r["user_id"], name=r["name"], figures=RollupFigures.model_validate(r)
            )
            for r in reports
        ],
    )


# --- weekly submissions ------------------------------------------------------------------


def _entered(row: Mapping[Any, Any], prefix: str = "") -> SubmissionFigures:
    return SubmissionFigures(
        gross_commit=row[f"{prefix}gross_commit"],
        gross_best_case=row[f"{prefix}gross_best_case"],
        renewal_loss_commit=row[f"{prefix}renewal_loss_commit"],
        renewal_loss_best_case=row[f"{prefix}renewal_loss_best_case"],
        net_most_likely=row[f"{prefix}net_most_likely"],
    )


@dataclass(frozen=True)
class _Team:
    figures: dict[str, Decimal]
    calls: int


def _forecast(row: RowMapping, team: _Team | None, currency: str) -> Forecast:
    values = figure_values(_entered(row))
    previous = figure_values(_entered(row, "prev_")) if row["has_previous"] else None
    change = figure_changes(values, previous)
    return Forecast(
        id=row["id"],
        owner_id=row["user_id"],
        period=row["period"],
        week=row["week"],
        **values,
        notes=row["notes"],
        currency=currency,
        submitted_at=row["submitted_at"],
        change=None if change is None else ForecastFigures(**change),
        team_sum=None if team is None else TeamSum(**team.figures, calls=team.calls),
        system=None if row["system"] is None else RollupFigures.model_validate(row["system"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


async def _with_team_sums(
    session: AsyncSession, rows: list[RowMapping], currency: str
) -> list[Forecast]:
    keys = [
        (r["user_id"], r["period"], r["week"]) for r in rows if r["owner_role"] in TEAM_CALL_ROLES
    ]
    sums = await SubmissionRepository(session).team_sums(keys)
    forecasts = []
    for row in rows:
        team = None
        found = sums.get((row["user_id"], row["period"], row["week"]))
        if found is not None:
            team = _Team(figures=figure_values(_entered(found)), calls=found["calls"])
        forecasts.append(_forecast(row, team, currency))
    return forecasts


async def submit(
    session: AsyncSession,
    principal: Principal,
    data: ForecastCreate,
    tz: tzinfo,
    currency: str,
    now: datetime | None = None,
) -> Forecast:
    """Record the caller's call for the week, with the caller's roll-up figures at that moment
    (`system`); a second one in the same week replaces it."""
    at = now or datetime.now(UTC)
    start_month = await fiscal_start_month(session)
    period = await resolve_period(session, data.period, "period", tz)
    open_periods = submittable_periods(local_now(tz, at).date(), start_month)
    if period.label not in {p.label for p in open_periods}:
        quarter, year, following = (p.label for p in open_periods)
        raise field_error(
            "period",
            "not_open",
            f"Forecasts are submitted for the current fiscal quarter ({quarter}) or year "
            f"({year}), or the next quarter ({following}); not for {period.label}.",
        )
    figures = _entered(data.model_dump())
    problems = validate_submission(figures)
    if problems:
        raise ValidationFailed(
            "; ".join(p.message for p in problems),
            errors=[FieldError(p.field, p.code, p.message) for p in problems],
        )
    rows = await RollupRepository(session).rollup(principal.id, period)
    system = RollupFigures.model_validate(rows[0]).model_dump(mode="json")
    submissions = SubmissionRepository(session)
    submission_id = await submissions.upsert(
        principal.id,
        period.label,
        iso_week(at, tz),
        {name: getattr(figures, name) for name in ENTERED_FIGURES},
        system,
        data.notes,
        at,
    )
    row = await submissions.row(principal, submission_id)
    assert row is not None
    await events.emit(
        session, "forecast.submitted", "forecast", submission_id, principal.id, row["version"]
    )
    return (await _with_team_sums(session, [row], currency))[0]


async def get_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, currency: str
) -> Forecast:
    row = await SubmissionRepository(session).row(principal, submission_id)
    if row is None:
        raise NotFound("No such forecast submission.")
    return (await _with_team_sums(session, [row], currency))[0]


async def list_submissions(
    session: AsyncSession,
    principal: Principal,
    label: str | None,
    owner_id: tuple[uuid.UUID, ...] | None,
    updated_after: datetime | None,
    page: PageParams,
    tz: tzinfo,
    currency: str,
) -> tuple[list[Forecast], str | None]:
    period = None if label is None else await resolve_period(session, label, "query.period", tz)
    await UserRepository(session).check_owner_filter(principal, owner_id)
    filters = ForecastFilters(
        owner_id=owner_id,
        period=None if period is None else period.label,
        updated_after=updated_after,
    )
    rows, cursor = await SubmissionRepository(session).rows_page(principal, filters, page)
    return await _with_team_sums(session, rows, currency), cursor


# --- accuracy ----------------------------------------------------------------------------


async def accuracy(
    session: AsyncSession, principal: Principal, query: ReportQuery
) -> ForecastAccuracy:
    """The owner's weekly calls for the period held against their net closed now."""
    period, owner = await report_scope(session, principal, query)
    rows = await SubmissionRepository(session).accuracy(owner.id, period)
    weeks = [AccuracyWeek.model_validate(r) for r in rows if r["week"] is not None]
    return ForecastAccuracy(
        period=period.label,
        owner_id=owner.id,
        currency=query.currency,
        actual_net_closed=rows[0]["actual_net_closed"],
        final=local_now(query.tz).date() > period.end,
        weeks=weeks,
        mean_absolute_error=rows[0]["mean_absolute_error"] if weeks else None,
    )
