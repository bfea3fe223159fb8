"""Fiscal calendar: period labels, fiscal-year and quarter boundaries for every start month."""

from __future__ import annotations

import calendar
from datetime import date
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.forecasts.fiscal import PERIOD_PATTERN
from app.forecasts.fiscal import InvalidPeriod
from app.forecasts.fiscal import Period
from app.forecasts.fiscal import fiscal_year_of
from app.forecasts.fiscal import parse_period
from app.forecasts.fiscal import period_for
from app.forecasts.fiscal import quarters_of
from app.forecasts.fiscal import submittable_periods

START_MONTHS = range(1, 13)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def test_gitlab_calendar_fy2027() -> None:
    fy = parse_period("FY2027", 2)
    assert fy == Period("FY2027", 2027, None, date(2026, 2, 1), date(2027, 1, 31))
    assert not fy.is_quarter
    q1, q2, q3, q4 = quarters_of(2027, 2)
    assert (q1.start, q1.end) == (date(2026, 2, 1), date(2026, 4, 30))
    assert (q2.start, q2.end) == (date(2026, 5, 1), date(2026, 7, 31))
    assert (q3.start, q3.end) == (date(2026, 8, 1), date(2026, 10, 31))
    assert (q4.start, q4.end) == (date(2026, 11, 1), date(2027, 1, 31))
    assert parse_period("FY2027-Q4", 2) == q4
    assert q4.is_quarter and q4.label == "FY2027-Q4"


def test_calendar_year_fiscal_year() -> None:
    fy = parse_period("FY2026", 1)
    assert (fy.start, fy.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("FY2026-Q1", 1).end == date(2026, 3, 31)
    assert parse_period("FY2026-Q4", 1).start == date(2026, 10, 1)


def test_leap_february_in_last_quarter() -> None:
    # Start month 3: FY2028 ends on 2028-02-29.
    fy = parse_period("FY2028", 3)
    assert (fy.start, fy.end) == (date(2027, 3, 1), date(2028, 2, 29))
    assert parse_period("FY2028-Q4", 3).end == date(2028, 2, 29)


@pytest.mark.parametrize("start_month", START_MONTHS)
def test_fiscal_year_boundaries(start_month: int) -> None:
    for fiscal_year in (1901, 2024, 2027, 2028, 9998):
        fy = parse_period(f"FY{fiscal_year}", start_month)
        first_year = fiscal_year if start_month == 1 else fiscal_year - 1
        assert fy.start == date(first_year, start_month, 1)
        assert fy.end == _last_day(*_add_months(first_year, start_month, 11))
        assert fy.end.year == fiscal_year  # named by the calendar year it ends in
        assert fy.label == f"FY{fiscal_year}"
        assert fy.quarter is None and fy.fiscal_year == fiscal_year


@pytest.mark.parametrize("start_month", START_MONTHS)
def test_quarter_boundaries(start_month: int) -> None:
    fiscal_year = 2027
    first_year = fiscal_year if start_month == 1 else fiscal_year - 1
    quarters = quarters_of(fiscal_year, start_month)
    assert [q.quarter for q in quarters] == [1, 2, 3, 4]
    for q in quarters:
        year, month = _add_months(first_year, start_month, 3 * (q.quarter or 0) - 3)
        assert q.start == date(year, month, 1)
        assert q.end == _last_day(*_add_months(year, month, 2))
        assert q == parse_period(f"FY{fiscal_year}-Q{q.quarter}", start_month)
        assert fiscal_year_of(q, start_month) == parse_period(f"FY{fiscal_year}", start_month)
    # Contiguous, and together exactly the fiscal year.
    for before, after in pairwise(quarters):
        assert after.start == before.end + timedelta(days=1)
    fy = parse_period(f"FY{fiscal_year}", start_month)
    assert quarters[0].start == fy.start and quarters[-1].end == fy.end


@pytest.mark.parametrize("start_month", START_MONTHS)
def test_period_for_every_day_of_several_years(start_month: int) -> None:
    d = date(2023, 1, 1)
    while d <= date(2029, 12, 31):
        quarter = period_for(d, start_month)
        year = period_for(d, start_month, quarterly=False)
        assert quarter.is_quarter and not year.is_quarter
        assert quarter.contains(d) and year.contains(d)
        assert quarter.fiscal_year == year.fiscal_year
        assert fiscal_year_of(quarter, start_month) == year
        assert parse_period(quarter.label, start_month) == quarter
        assert parse_period(year.label, start_month) == year
        d += timedelta(days=1)


@given(
    d=st.dates(min_value=date(1901, 1, 1), max_value=date(9997, 12, 31)),
    start_month=st.integers(1, 12),
)
def test_period_for_round_trip_property(d: date, start_month: int) -> None:
    quarter = period_for(d, start_month)
    assert quarter.contains(d)
    assert not quarter.contains(quarter.start - timedelta(days=1))
    assert not quarter.contains(quarter.end + timedelta(days=1))
    assert parse_period(quarter.label, start_month) == quarter
    assert fiscal_year_of(quarter, start_month).contains(d)
    assert quarter in quarters_of(quarter.fiscal_year, start_month)


def test_fiscal_year_of_a_year_is_itself() -> None:
    fy = parse_period("FY2030", 7)
    assert fiscal_year_of(fy, 7) == fy


def test_contains_is_inclusive() -> None:
    q = parse_period("FY2027-Q1", 2)
    assert q.contains(date(2026, 2, 1)) and q.contains(date(2026, 4, 30))
    assert not q.contains(date(2026, 1, 31)) and not q.contains(date(2026, 5, 1))


@pytest.mark.parametrize(
    "label",
    [
        "FY27",
        "fy2027",
        "FY2027-Q5",
        "FY2027-Q0",
        "FY2027Q1",
        "",
        "FY0000",
        "FY1900",
        "FY9999",
        "FY2027 ",
        " FY2027",
        "FY2027\n",
        "FY2027-q1",
        "FY20270",
        "FY-2027",
        "FY\u0662\u0660\u0662\u0667",  # Arabic-Indic digits
        "Fy2027",
    ],
)
def test_invalid_labels(label: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(label, 2)


def test_invalid_label_message_says_what_is_wrong() -> None:
    with pytest.raises(InvalidPeriod, match="FY2027 or FY2027-Q1"):
        parse_period("FY27", 1)
    with pytest.raises(InvalidPeriod, match="between 1901 and 9998"):
        parse_period("FY0000", 1)


@pytest.mark.parametrize("start_month", [0, 13, -1])
def test_invalid_start_month(start_month: int) -> None:
    with pytest.raises(InvalidPeriod, match="start month"):
        parse_period("FY2027", start_month)
    with pytest.raises(InvalidPeriod):
        period_for(date(2026, 5, 1), start_month)
    with pytest.raises(InvalidPeriod):
        quarters_of(2027, start_month)


@pytest.mark.parametrize(
    ("label", "says"),
    [
        ("FY2027-Q5", "not of the form FY2027 or FY2027-Q1"),
        ("fy2027", "not of the form"),
        ("FY27", "not of the form"),
        ("FY0000", "fiscal year must be between"),
    ],
)
def test_a_bad_label_says_what_is_wrong(label: str, says: str) -> None:
    """The message becomes the 422's detail on `period`: it names the rule the label broke."""
    with pytest.raises(InvalidPeriod, match=says):
        parse_period(label, 1)


def test_period_for_outside_supported_years() -> None:
    with pytest.raises(InvalidPeriod):
        period_for(date(9998, 6, 1), 2)  # would be FY9999
    with pytest.raises(InvalidPeriod):
        period_for(date(1900, 12, 31), 1)
    assert period_for(date(9998, 12, 31), 1).label == "FY9998-Q4"


def test_extreme_years_for_every_start_month() -> None:
    for start_month in START_MONTHS:
        assert quarters_of(1901, start_month)[0].start.year in (1900, 1901)
        assert quarters_of(9998, start_month)[-1].end.year == 9998


def test_pattern_is_the_documented_shape() -> None:
    assert PERIOD_PATTERN.startswith("^FY") and PERIOD_PATTERN.endswith("$")


@pytest.mark.parametrize(
    ("today", "start_month", "expected"),
    [
        (date(2026, 12, 5), 1, ("FY2026-Q4", "FY2026", "FY2027-Q1")),
        (date(2026, 12, 31), 1, ("FY2026-Q4", "FY2026", "FY2027-Q1")),
        (date(2027, 1, 1), 1, ("FY2027-Q1", "FY2027", "FY2027-Q2")),
        (date(2026, 12, 5), 2, ("FY2027-Q4", "FY2027", "FY2028-Q1")),
        (date(2027, 2, 1), 2, ("FY2028-Q1", "FY2028", "FY2028-Q2")),
        (date(2027, 1, 31), 2, ("FY2027-Q4", "FY2027", "FY2028-Q1")),
    ],
)
def test_submittable_periods(today: date, start_month: int, expected: tuple[str, ...]) -> None:
    assert tuple(p.label for p in submittable_periods(today, start_month)) == expected


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2900, 12, 31)),
    st.sampled_from(START_MONTHS),
)
def test_submittable_periods_contain_today_then_follow(today: date, start_month: int) -> None:
    quarter, year, following = submittable_periods(today, start_month)
    assert quarter.contains(today) and year.contains(today)
    assert following.start == quarter.end + timedelta(days=1) and following.is_quarter
