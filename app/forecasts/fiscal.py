"""The fiscal calendar: parsing period labels and mapping dates to fiscal years and quarters.

A fiscal year is named by the calendar year it ends in and starts on the first day of
`fiscal_year_start_month` (1 = the calendar year; GitLab uses 2, so FY2027 runs from
2026-02-01 to 2027-01-31). Periods are labelled `FY2027` or `FY2027-Q1`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

__all__ = [
    "MAX_FISCAL_YEAR",
    "MIN_FISCAL_YEAR",
    "PERIOD_PATTERN",
    "InvalidPeriod",
    "Period",
    "fiscal_year_of",
    "parse_period",
    "period_for",
    "quarters_of",
    "submittable_periods",
]

# [0-9] rather than \d: \d also matches non-ASCII digits (e.g. Arabic-Indic) in most engines.
PERIOD_PATTERN = r"^FY([0-9]{4})(?:-Q([1-4]))?$"
# Keeps every period's first and last day (and its neighbours') inside datetime.date's range.
MIN_FISCAL_YEAR = 1901
MAX_FISCAL_YEAR = 9998

_PERIOD_RE = re.compile(PERIOD_PATTERN, re.ASCII)


class InvalidPeriod(ValueError):
    """A period label, fiscal year or fiscal-year start month that cannot be used."""


@dataclass(frozen=True)
class Period:
    """A fiscal year (`quarter` None) or one of its quarters; `end` is inclusive."""

    label: str
    fiscal_year: int
    quarter: int | None
    start: date
    end: date

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end


def _check_start_month(start_month: int) -> None:
    if isinstance(start_month, bool) or not isinstance(start_month, int):
        raise InvalidPeriod(f"fiscal year start month must be an integer, got {start_month!r}")
    if not 1 <= start_month <= 12:
        raise InvalidPeriod(f"fiscal year start month must be 1..12, got {start_month}")


def _check_fiscal_year(fiscal_year: int) -> None:
    if not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        raise InvalidPeriod(
            f"fiscal year must be between {MIN_FISCAL_YEAR} and {MAX_FISCAL_YEAR}, "
            f"got {fiscal_year}"
        )


def _month_start(fiscal_year: int, start_month: int, months_in: int) -> date:
    """First day of the month `months_in` months after the start of `fiscal_year`."""
    first_year = fiscal_year if start_month == 1 else fiscal_year - 1
    index = first_year * 12 + (start_month - 1) + months_in
    return date(index // 12, index % 12 + 1, 1)


def _make(fiscal_year: int, quarter: int | None, start_month: int) -> Period:
    if quarter is None:
        label = f"FY{fiscal_year:04d}"
        first, months = 0, 12
    else:
        label = f"FY{fiscal_year:04d}-Q{quarter}"
        first, months = 3 * (quarter - 1), 3
    start = _month_start(fiscal_year, start_month, first)
    end = _month_start(fiscal_year, start_month, first + months) - timedelta(days=1)
    return Period(label=label, fiscal_year=fiscal_year, quarter=quarter, start=start, end=end)


def parse_period(label: str, start_month: int) -> Period:
    """The period named by `label` (`FY2027` or `FY2027-Q1`) under the given calendar."""
    _check_start_month(start_month)
    if not isinstance(label, str):
        raise InvalidPeriod(f"period must be a string like FY2027 or FY2027-Q1, got {label!r}")
    match = _PERIOD_RE.fullmatch(label)
    if match is None:
        raise InvalidPeriod(f"period {label!r} is not of the form FY2027 or FY2027-Q1")
    fiscal_year = int(match.group(1))
    _check_fiscal_year(fiscal_year)
    quarter = int(match.group(2)) if match.group(2) is not None else None
    return _make(fiscal_year, quarter, start_month)


def _fiscal_year_containing(d: date, start_month: int) -> int:
    if start_month == 1:
        return d.year
    return d.year + 1 if d.month >= start_month else d.year


def period_for(d: date, start_month: int, quarterly: bool = True) -> Period:
    """The fiscal quarter (or, with `quarterly=False`, the fiscal year) containing `d`."""
    _check_start_month(start_month)
    fiscal_year = _fiscal_year_containing(d, start_month)
    _check_fiscal_year(fiscal_year)
    if not quarterly:
        return _make(fiscal_year, None, start_month)
    months_in = (d.month - start_month) % 12
    return _make(fiscal_year, months_in // 3 + 1, start_month)


def fiscal_year_of(period: Period, start_month: int) -> Period:
    """The fiscal year a period belongs to (the period itself when it is a year)."""
    _check_start_month(start_month)
    _check_fiscal_year(period.fiscal_year)
    return _make(period.fiscal_year, None, start_month)


def quarters_of(fiscal_year: int, start_month: int) -> tuple[Period, ...]:
    """The four quarters of a fiscal year, in order."""
    _check_start_month(start_month)
    _check_fiscal_year(fiscal_year)
    return tuple(_make(fiscal_year, quarter, start_month) for quarter in (1, 2, 3, 4))


def submittable_periods(today: date, start_month: int) -> tuple[Period, Period, Period]:
    """The periods a forecast may be submitted for on `today` (API.md section 14): the fiscal
    quarter and the fiscal year containing it, and the next quarter."""
    quarter = period_for(today, start_month)
    year = fiscal_year_of(quarter, start_month)
    return quarter, year, period_for(quarter.end + timedelta(days=1), start_month)
