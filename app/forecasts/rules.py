"""Forecast rules: weekly submission checks, week keys, week-over-week changes and the
roll-up arithmetic of API.md section 8 (the SQL roll-up is cross-checked against `rollup`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "DEAL_STATUSES",
    "DEAL_TYPES",
    "SUBMISSION_FIGURE_NAMES",
    "DealFacts",
    "RollupFigures",
    "SubmissionFigures",
    "SubmissionProblem",
    "expected_loss",
    "figure_changes",
    "figure_values",
    "iso_week",
    "measure",
    "net_best_case",
    "net_commit",
    "realised_loss",
    "rollup",
    "validate_submission",
]

ZERO = Decimal(0)
_RATIO_PLACES = Decimal("0.0001")

DEAL_TYPES = ("new_business", "expansion", "renewal")
DEAL_STATUSES = ("won", "lost", "open")

# Every figure of a submission, entered and derived, in the order a response shows them.
SUBMISSION_FIGURE_NAMES = (
    "gross_commit",
    "gross_best_case",
    "renewal_loss_commit",
    "renewal_loss_best_case",
    "net_commit",
    "net_best_case",
    "net_most_likely",
)


@dataclass(frozen=True)
class SubmissionFigures:
    """The figures a rep enters in a weekly forecast call."""

    gross_commit: Decimal
    gross_best_case: Decimal
    renewal_loss_commit: Decimal
    renewal_loss_best_case: Decimal
    net_most_likely: Decimal


@dataclass(frozen=True)
class SubmissionProblem:
    """One broken rule, shaped like an entry of a problem's `errors` list."""

    field: str
    code: str
    message: str


def net_commit(f: SubmissionFigures) -> Decimal:
    return f.gross_commit - f.renewal_loss_commit


def net_best_case(f: SubmissionFigures) -> Decimal:
    return f.gross_best_case - f.renewal_loss_best_case


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _check_pair(
    commit_field: str, commit: Decimal, best_case_field: str, best_case: Decimal
) -> list[SubmissionProblem]:
    problems: list[SubmissionProblem] = []
    if commit < ZERO:
        problems.append(
            SubmissionProblem(
                commit_field, "negative", f"{commit_field} must be 0 or more, got {_money(commit)}"
            )
        )
    if best_case < commit:
        problems.append(
            SubmissionProblem(
                best_case_field,
                "below_commit",
                f"{best_case_field} ({_money(best_case)}) must be at least "
                f"{commit_field} ({_money(commit)})",
            )
        )
    return problems


def validate_submission(f: SubmissionFigures) -> list[SubmissionProblem]:
    """Every rule the submission breaks; empty when it is valid."""
    entered = {
        "gross_commit": f.gross_commit,
        "gross_best_case": f.gross_best_case,
        "renewal_loss_commit": f.renewal_loss_commit,
        "renewal_loss_best_case": f.renewal_loss_best_case,
        "net_most_likely": f.net_most_likely,
    }
    # Comparisons with NaN raise, so non-finite figures are reported and nothing else checked.
    not_finite = [
        SubmissionProblem(name, "not_finite", f"{name} must be a finite amount")
        for name, value in entered.items()
        if not value.is_finite()
    ]
    if not_finite:
        return not_finite
    problems = _check_pair("gross_commit", f.gross_commit, "gross_best_case", f.gross_best_case)
    problems += _check_pair(
        "renewal_loss_commit",
        f.renewal_loss_commit,
        "renewal_loss_best_case",
        f.renewal_loss_best_case,
    )
    # Renewal losses can put net commit above net best case, so the range is whichever way round.
    low, high = sorted((net_commit(f), net_best_case(f)))
    if not low <= f.net_most_likely <= high:
        problems.append(
            SubmissionProblem(
                "net_most_likely",
                "outside_range",
                f"net_most_likely ({_money(f.net_most_likely)}) must lie between "
                f"{_money(low)} and {_money(high)} (net commit {_money(net_commit(f))}, "
                f"net best case {_money(net_best_case(f))})",
            )
        )
    return problems


def figure_values(f: SubmissionFigures) -> dict[str, Decimal]:
    """All figures of a submission, derived nets included, keyed by SUBMISSION_FIGURE_NAMES."""
    return {
        "gross_commit": f.gross_commit,
        "gross_best_case": f.gross_best_case,
        "renewal_loss_commit": f.renewal_loss_commit,
        "renewal_loss_best_case": f.renewal_loss_best_case,
        "net_commit": net_commit(f),
        "net_best_case": net_best_case(f),
        "net_most_likely": f.net_most_likely,
    }


def iso_week(at: datetime, tz: tzinfo) -> str:
    """The ISO week (`2026-W48`) of the local date of `at` in `tz`."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("iso_week needs a timezone-aware datetime")
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year:04d}-W{week:02d}"


def figure_changes(
    current: Mapping[str, Decimal], previous: Mapping[str, Decimal] | None
) -> dict[str, Decimal] | None:
    """Each current figure minus the previous one (absent there = 0); None for a first call."""
    if previous is None:
        return None
    return {name: value - previous.get(name, ZERO) for name, value in current.items()}


@dataclass(frozen=True)
class DealFacts:
    """What the roll-up needs of one opportunity whose close date is in the period.

    `status` is `won`, `lost` or `open`; opportunities closed as unqualified or duplicate
    are not deals of the period and contribute nothing (any other status is ignored).
    """

    type: str
    status: str
    forecast_category: str
    amount: Decimal | None
    renewal_arr: Decimal | None
    renewal_loss_amount: Decimal | None
    renewal_forecast_category: str | None


@dataclass(frozen=True)
class RollupFigures:
    """The `figures` object of a forecast roll-up."""

    closed_won: Decimal
    realised_renewal_loss: Decimal
    net_closed: Decimal
    gross_commit: Decimal
    gross_best_case: Decimal
    renewal_loss_commit: Decimal
    renewal_loss_best_case: Decimal
    net_commit: Decimal
    net_best_case: Decimal
    quota: Decimal | None
    gap_to_quota_commit: Decimal | None
    gap_to_quota_best_case: Decimal | None
    attainment: float | None


def measure(deal: DealFacts) -> Decimal:
    """ARR a deal counts for: its amount, or for a renewal the uplift max(0, net_arr)."""
    if deal.type != "renewal":
        return deal.amount if deal.amount is not None else ZERO
    if deal.amount is None or deal.renewal_arr is None:
        return ZERO  # net_arr is null until both are known
    return max(ZERO, deal.amount - deal.renewal_arr)


def realised_loss(deal: DealFacts) -> Decimal:
    """ARR a closed renewal lost: all of it when lost, the shortfall when won."""
    if deal.type != "renewal" or deal.renewal_arr is None:
        return ZERO
    if deal.status == "lost":
        return deal.renewal_arr
    if deal.status == "won":
        return max(ZERO, deal.renewal_arr - (deal.amount if deal.amount is not None else ZERO))
    return ZERO


def expected_loss(deal: DealFacts) -> Decimal:
    """ARR an open renewal is expected to lose (renewal_loss_amount, else its default)."""
    if deal.type != "renewal" or deal.status != "open":
        return ZERO
    if deal.renewal_loss_amount is not None:
        return deal.renewal_loss_amount
    if deal.renewal_arr is None or deal.amount is None:
        return ZERO
    return max(ZERO, deal.renewal_arr - deal.amount)


def rollup(deals: Iterable[DealFacts], quota: Decimal | None) -> RollupFigures:
    """The forecast roll-up figures of API.md section 8 over the deals of one period."""
    closed_won = realised = open_commit = open_best_case = ZERO
    loss_commit = loss_best_case = ZERO
    for deal in deals:
        if deal.status == "won":
            closed_won += measure(deal)
            realised += realised_loss(deal)
        elif deal.status == "lost":
            realised += realised_loss(deal)
        elif deal.status == "open":
            if deal.forecast_category == "commit":
                open_commit += measure(deal)
            elif deal.forecast_category == "best_case":
                open_best_case += measure(deal)
            if deal.renewal_forecast_category == "commit":
                loss_commit += expected_loss(deal)
            elif deal.renewal_forecast_category == "best_case":
                loss_best_case += expected_loss(deal)
    gross_commit = closed_won + open_commit
    gross_best_case = gross_commit + open_best_case
    renewal_loss_commit = realised + loss_commit
    renewal_loss_best_case = renewal_loss_commit + loss_best_case
    net_commit_ = gross_commit - renewal_loss_commit
    net_best_case_ = gross_best_case - renewal_loss_best_case
    net_closed = closed_won - realised
    attainment = None
    if quota is not None and quota != ZERO:
        # ROUND_HALF_UP rounds half away from zero, as PostgreSQL's round(numeric, 4) does.
        attainment = float((net_closed / quota).quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP))
    return RollupFigures(
        closed_won=closed_won,
        realised_renewal_loss=realised,
        net_closed=net_closed,
        gross_commit=gross_commit,
        gross_best_case=gross_best_case,
        renewal_loss_commit=renewal_loss_commit,
        renewal_loss_best_case=renewal_loss_best_case,
        net_commit=net_commit_,
        net_best_case=net_best_case_,
        quota=quota,
        gap_to_quota_commit=None if quota is None else quota - net_commit_,
        gap_to_quota_best_case=None if quota is None else quota - net_best_case_,
        attainment=attainment,
    )
