"""Pipeline hygiene: the flags of API.md section 8, their thresholds and the words that explain
each one. The flags themselves are computed in SQL (`app.pipeline.repository.hygiene`); this
module owns their names, defaults and reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from typing import Literal
from typing import get_args

__all__ = [
    "DEFAULT_SALES_CYCLE_DAYS",
    "FLAGS",
    "HYGIENE_DEFAULTS",
    "MIN_WON_FOR_AVERAGE",
    "FlagFacts",
    "HygieneFlag",
    "reason",
]

# In the order a response lists them.
HygieneFlag = Literal[
    "stale",
    "no_next_step",
    "next_step_overdue",
    "close_date_past",
    "stuck_in_stage",
    "pending_acceptance_too_long",
    "command_plan_stale",
]
FLAGS: tuple[HygieneFlag, ...] = get_args(HygieneFlag)

HYGIENE_DEFAULTS: Mapping[str, Any] = {
    "stuck_in_stage_days": 30,
    "pending_acceptance_days": 14,
    "command_plan_stale_days": 14,
}

# The average sales cycle falls back to 90 days until there are five won deals to average.
DEFAULT_SALES_CYCLE_DAYS = 90
MIN_WON_FOR_AVERAGE = 5


@dataclass(frozen=True)
class FlagFacts:
    """What the reasons quote about one opportunity (ages in whole days)."""

    stage_name: str
    open_days: int
    average_sales_cycle_days: Decimal
    next_step_due_on: date | None
    close_date: date | None
    days_in_stage: int
    command_plan_unchanged_days: int
    stuck_in_stage_days: int
    pending_acceptance_days: int
    command_plan_stale_days: int


def _days(n: int | Decimal) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def reason(flag: str, f: FlagFacts) -> str:
    """One flag in words."""
    if flag == "stale":
        return (
            f"Open for {_days(f.open_days)}, longer than the average sales cycle of "
            f"{_days(f.average_sales_cycle_days)}."
        )
    if flag == "no_next_step":
        return "No next step: neither next_step nor next_step_at is set."
    if flag == "next_step_overdue":
        return f"The next step was due on {f.next_step_due_on} and is overdue."
    if flag == "close_date_past":
        return f"The close date {f.close_date} has passed; close the deal or move the date."
    if flag == "stuck_in_stage":
        return (
            f"In {f.stage_name} for {_days(f.days_in_stage)}, more than "
            f"{_days(f.stuck_in_stage_days)}."
        )
    if flag == "pending_acceptance_too_long":
        return (
            f"Pending acceptance for {_days(f.days_in_stage)}, more than "
            f"{_days(f.pending_acceptance_days)}: accept or disqualify it."
        )
    if flag == "command_plan_stale":
        return (
            f"The command plan has not changed for {_days(f.command_plan_unchanged_days)}, "
            f"more than {_days(f.command_plan_stale_days)}."
        )
    raise ValueError(f"unknown hygiene flag {flag!r}")
