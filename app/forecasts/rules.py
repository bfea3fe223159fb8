"""Forecast rules: weekly submission checks, week keys, week-over-week changes and the
measures of API.md section 8 (what an opportunity counts for), each beside the name of its SQL
definition. The roll-up's arithmetic over these is SQL (`app.forecasts.repository`), checked
against the oracle in `tests/oracles/rollup.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import tzinfo
from decimal import Decimal

from app.core.enums import PIPELINE_STAGES
from app.core.enums import OpportunityType
from app.core.enums import StageSlug

__all__ = [
    "SUBMISSION_FIGURE_NAMES",
    "SubmissionFigures",
    "SubmissionProblem",
    "expected_loss",
    "figure_changes",
    "figure_values",
    "is_pipeline",
    "iso_week",
    "measure",
    "net_best_case",
    "net_commit",
    "realised_loss",
    "validate_submission",
]

ZERO = Decimal(0)

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


# --- the measures of API.md section 8 ----------------------------------------------------
# Each has one SQL definition, a function of the same name with the `engage_` prefix
# (migration 0013; a later migration replaces it when the rule changes), which the triggers
# keeping `opportunity_month_sums` and every section-8 query call. PostgreSQL inlines them.
# tests/api/test_forecast_rule_functions.py checks both definitions agree.


def measure(type_: str, amount: Decimal | None, renewal_arr: Decimal | None) -> Decimal:
    """ARR an opportunity counts for: its amount, or for a renewal the uplift max(0, net_arr)
    (null net_arr, until both figures are known, counts 0). SQL: `engage_measure`."""
    if type_ != OpportunityType.RENEWAL:
        return amount if amount is not None else ZERO
    if amount is None or renewal_arr is None:
        return ZERO
    return max(ZERO, amount - renewal_arr)


def realised_loss(
    type_: str, stage: str, amount: Decimal | None, renewal_arr: Decimal | None
) -> Decimal:
    """ARR a closed renewal lost: all of it when lost, the shortfall when won; 0 for anything
    else (unqualified and duplicate lose nothing). SQL: `engage_realised_loss`."""
    if type_ != OpportunityType.RENEWAL or renewal_arr is None:
        return ZERO
    if stage == StageSlug.LOST:
        return renewal_arr
    if stage == StageSlug.CLOSED_WON:
        return max(ZERO, renewal_arr - (amount if amount is not None else ZERO))
    return ZERO


def expected_loss(
    type_: str,
    amount: Decimal | None,
    renewal_arr: Decimal | None,
    renewal_loss_amount: Decimal | None,
) -> Decimal:
    """ARR a renewal is expected to lose while open: renewal_loss_amount, else the default
    max(0, renewal_arr - amount). SQL: `engage_expected_loss`."""
    if type_ != OpportunityType.RENEWAL:
        return ZERO
    if renewal_loss_amount is not None:
        return renewal_loss_amount
    if renewal_arr is None or amount is None:
        return ZERO
    return max(ZERO, renewal_arr - amount)


def is_pipeline(stage: str) -> bool:
    """Whether an opportunity in `stage` is pipeline, counted in the open figures of section 8
    (the roll-up's commit, best case and expected losses, the summary, the waterfall,
    hygiene): stages 1-6. Stage 0, pending acceptance, is open but not pipeline (API.md
    section 14). SQL: `engage_is_pipeline`."""
    return stage in PIPELINE_STAGES
