"""The four qualification criteria: authority, initiative, fit and timing (API.md section 6).

Owns what each criterion's input may say and when it passes, with a short snake_case
reason per verdict. The caller finds the segment (the account's territory, else the
owner's only territory) and the timezone; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

__all__ = [
    "COMMERCIAL_SEGMENTS",
    "CRITERIA",
    "DRIVERS",
    "ENTRY_USE_CASES",
    "INITIATIVE_KINDS",
    "INVOLVEMENTS",
    "NEXT_STEP_WINDOW",
    "Authority",
    "CriterionResult",
    "Fit",
    "Initiative",
    "QualificationInput",
    "QualificationResult",
    "Timing",
    "evaluate",
]

INVOLVEMENTS = ("evaluator", "decision_maker", "technical_buyer", "influencer", "none")
INITIATIVE_KINDS = ("small_box", "top_2_priority", "none")
DRIVERS = ("business_problem", "strategic_direction", "modernization")
ENTRY_USE_CASES = ("scm", "ci", "cd", "security", "agile_planning", "other")
# A small box sale qualifies only in Commercial Sales.
COMMERCIAL_SEGMENTS = frozenset({"mid_market", "smb"})
CRITERIA = ("authority", "initiative", "fit", "timing")
NEXT_STEP_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class Authority:
    involvement: str


@dataclass(frozen=True)
class Initiative:
    kind: str
    driver: str | None
    description: str | None


@dataclass(frozen=True)
class Fit:
    current_tools: tuple[str, ...]
    entry_use_case: str | None
    potential_seats: int | None


@dataclass(frozen=True)
class Timing:
    """`next_step_at` must be timezone-aware."""

    meeting_on: date
    next_step_at: datetime


@dataclass(frozen=True)
class QualificationInput:
    authority: Authority
    initiative: Initiative
    fit: Fit
    timing: Timing


@dataclass(frozen=True)
class CriterionResult:
    passed: bool
    reason: str


@dataclass(frozen=True)
class QualificationResult:
    authority: CriterionResult
    initiative: CriterionResult
    fit: CriterionResult
    timing: CriterionResult

    @property
    def qualified(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the failed criteria, in the order authority, initiative, fit, timing."""
        return tuple(name for name in CRITERIA if not getattr(self, name).passed)


def _one_of(value: str | None, allowed: Collection[str], field: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}; got {value!r}")


def _authority(authority: Authority) -> CriterionResult:
    _one_of(authority.involvement, INVOLVEMENTS, "involvement")
    if authority.involvement == "none":
        return CriterionResult(False, "no_involvement")
    return CriterionResult(True, f"involved_as_{authority.involvement}")


def _initiative(initiative: Initiative, segment: str | None) -> CriterionResult:
    _one_of(initiative.kind, INITIATIVE_KINDS, "kind")
    _one_of(initiative.driver, DRIVERS, "driver")
    match initiative.kind:
        case "top_2_priority" if initiative.driver is not None:
            return CriterionResult(True, "top_2_priority_with_driver")
        case "top_2_priority":
            return CriterionResult(False, "top_2_priority_without_driver")
        case "small_box" if segment is None:
            return CriterionResult(False, "segment_unknown")
        case "small_box" if segment in COMMERCIAL_SEGMENTS:
            return CriterionResult(True, "small_box_commercial")
        case "small_box":
            return CriterionResult(False, "small_box_not_commercial")
    return CriterionResult(False, "no_initiative")


def _fit(fit: Fit) -> CriterionResult:
    _one_of(fit.entry_use_case, ENTRY_USE_CASES, "entry_use_case")
    if fit.entry_use_case is None:
        return CriterionResult(False, "no_entry_use_case")
    if fit.potential_seats is None or fit.potential_seats < 1:
        return CriterionResult(False, "no_potential_seats")
    return CriterionResult(True, "entry_use_case_and_seats")


def _timing(timing: Timing, tz: tzinfo) -> CriterionResult:
    if timing.next_step_at.utcoffset() is None:
        raise ValueError("next_step_at must be timezone-aware")
    next_step_on = timing.next_step_at.astimezone(tz).date()
    if next_step_on < timing.meeting_on:
        return CriterionResult(False, "next_step_before_meeting")
    if next_step_on > timing.meeting_on + NEXT_STEP_WINDOW:
        return CriterionResult(False, "next_step_beyond_60_days")
    return CriterionResult(True, "next_step_within_60_days")


def evaluate(q: QualificationInput, segment: str | None, tz: tzinfo) -> QualificationResult:
    """Evaluates all four criteria; `tz` is ENGAGE_TIMEZONE, in which `next_step_at` is dated.

    Raises ValueError for an enum value outside its set or a naive `next_step_at`.
    """
    return QualificationResult(
        authority=_authority(q.authority),
        initiative=_initiative(q.initiative, segment),
        fit=_fit(q.fit),
        timing=_timing(q.timing, tz),
    )
