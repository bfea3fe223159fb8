"""Forecast submission rules, week keys, week-over-week changes, the measures, and the roll-up
oracle's arithmetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.forecasts.rules import SUBMISSION_FIGURE_NAMES
from app.forecasts.rules import SubmissionFigures
from app.forecasts.rules import SubmissionProblem
from app.forecasts.rules import expected_loss
from app.forecasts.rules import figure_changes
from app.forecasts.rules import figure_values
from app.forecasts.rules import iso_week
from app.forecasts.rules import measure
from app.forecasts.rules import net_best_case
from app.forecasts.rules import net_commit
from app.forecasts.rules import realised_loss
from app.forecasts.rules import validate_submission
from tests.oracles.rollup import DealFacts
from tests.oracles.rollup import rollup

D = Decimal

VALID = SubmissionFigures(
    gross_commit=D("100000.00"),
    gross_best_case=D("150000.00"),
    renewal_loss_commit=D("10000.00"),
    renewal_loss_best_case=D("30000.00"),
    net_most_likely=D("100000.00"),
)


def _codes(problems: list[SubmissionProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


# --- submissions ---------------------------------------------------------------------


def test_valid_submission_has_no_problems() -> None:
    assert validate_submission(VALID) == []
    assert net_commit(VALID) == D("90000.00")
    assert net_best_case(VALID) == D("120000.00")


def test_all_zero_is_valid() -> None:
    zero = SubmissionFigures(D(0), D(0), D(0), D(0), D(0))
    assert validate_submission(zero) == []


def test_negative_gross_commit() -> None:
    f = replace(VALID, gross_commit=D("-1.00"), net_most_likely=D("100000.00"))
    assert _codes(validate_submission(f)) == [("gross_commit", "negative")]


def test_gross_best_case_below_commit() -> None:
    f = replace(VALID, gross_best_case=D("99999.99"), net_most_likely=D("80000.00"))
    problems = validate_submission(f)
    assert _codes(problems) == [("gross_best_case", "below_commit")]
    assert "99999.99" in problems[0].message and "100000.00" in problems[0].message


def test_negative_renewal_loss_commit() -> None:
    f = replace(VALID, renewal_loss_commit=D("-0.01"), net_most_likely=D("110000.00"))
    assert _codes(validate_submission(f)) == [("renewal_loss_commit", "negative")]


def test_renewal_loss_best_case_below_commit() -> None:
    f = replace(VALID, renewal_loss_best_case=D("9999.99"))
    assert _codes(validate_submission(f)) == [("renewal_loss_best_case", "below_commit")]


def test_net_most_likely_below_range() -> None:
    f = replace(VALID, net_most_likely=D("89999.99"))
    problems = validate_submission(f)
    assert _codes(problems) == [("net_most_likely", "outside_range")]
    assert "90000.00" in problems[0].message and "120000.00" in problems[0].message


def test_net_most_likely_above_range() -> None:
    f = replace(VALID, net_most_likely=D("120000.01"))
    assert _codes(validate_submission(f)) == [("net_most_likely", "outside_range")]


@pytest.mark.parametrize("value", ["90000.00", "120000.00", "105000.50"])
def test_net_most_likely_bounds_are_inclusive(value: str) -> None:
    assert validate_submission(replace(VALID, net_most_likely=D(value))) == []


def test_range_is_whichever_way_round_renewal_losses_put_it() -> None:
    # A large best-case renewal loss puts net best case (10) below net commit (90).
    f = SubmissionFigures(D(100), D(110), D(10), D(100), D(50))
    assert net_commit(f) == D(90) and net_best_case(f) == D(10)
    assert validate_submission(f) == []
    assert validate_submission(replace(f, net_most_likely=D(10))) == []
    assert validate_submission(replace(f, net_most_likely=D(90))) == []
    problems = validate_submission(replace(f, net_most_likely=D(91)))
    assert _codes(problems) == [("net_most_likely", "outside_range")]
    assert "10.00 and 90.00" in problems[0].message


def test_several_problems_reported_together() -> None:
    f = SubmissionFigures(D(-5), D(-10), D(-1), D(-2), D(1000))
    assert _codes(validate_submission(f)) == [
        ("gross_commit", "negative"),
        ("gross_best_case", "below_commit"),
        ("renewal_loss_commit", "negative"),
        ("renewal_loss_best_case", "below_commit"),
        ("net_most_likely", "outside_range"),
    ]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_finite_figures_are_problems_not_crashes(bad: str) -> None:
    f = replace(VALID, gross_best_case=D(bad))
    assert _codes(validate_submission(f)) == [("gross_best_case", "not_finite")]


@given(
    st.lists(
        st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False),
        min_size=5,
        max_size=5,
    )
)
def test_validation_matches_the_rules(values: list[Decimal]) -> None:
    f = SubmissionFigures(*values)
    ok = (
        f.gross_best_case >= f.gross_commit >= 0
        and f.renewal_loss_best_case >= f.renewal_loss_commit >= 0
        and min(net_commit(f), net_best_case(f))
        <= f.net_most_likely
        <= max(net_commit(f), net_best_case(f))
    )
    assert (validate_submission(f) == []) == ok


def test_figure_values_include_derived_nets() -> None:
    values = figure_values(VALID)
    assert tuple(values) == SUBMISSION_FIGURE_NAMES
    assert values["net_commit"] == D("90000.00")
    assert values["net_best_case"] == D("120000.00")


# --- weeks and changes -----------------------------------------------------------------


def test_iso_week_in_utc() -> None:
    assert iso_week(datetime(2026, 11, 26, 12, tzinfo=UTC), UTC) == "2026-W48"


def test_iso_week_uses_the_local_date() -> None:
    # Sunday 23:30 in New York is already Monday (next ISO week) in UTC.
    at = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert iso_week(at, UTC) == "2026-W49"
    assert iso_week(at, ZoneInfo("America/New_York")) == "2026-W48"
    assert iso_week(at, timezone(timedelta(hours=-5))) == "2026-W48"


def test_iso_week_year_differs_from_calendar_year() -> None:
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC), UTC) == "2026-W53"
    assert iso_week(datetime(2024, 12, 30, tzinfo=UTC), UTC) == "2025-W01"


def test_iso_week_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_week(datetime(2026, 11, 26, 12), UTC)


def test_first_submission_has_no_change() -> None:
    assert figure_changes(figure_values(VALID), None) is None


def test_changes_are_current_minus_previous() -> None:
    previous = figure_values(VALID)
    current = figure_values(
        replace(VALID, gross_commit=D("110000.00"), net_most_likely=D("95000.00"))
    )
    changes = figure_changes(current, previous)
    assert changes is not None
    assert changes["gross_commit"] == D("10000.00")
    assert changes["net_commit"] == D("10000.00")
    assert changes["net_most_likely"] == D("-5000.00")
    assert changes["gross_best_case"] == D("0.00")
    assert set(changes) == set(SUBMISSION_FIGURE_NAMES)


def test_changes_treat_missing_previous_figure_as_zero() -> None:
    assert figure_changes({"gross_commit": D(5)}, {}) == {"gross_commit": D(5)}


# --- roll-up -----------------------------------------------------------------------------

# A deal's status as the stage it is in ("open" is a pipeline stage).
STAGE_OF = {
    "won": "closed_won",
    "lost": "lost",
    "open": "proposal",
    "unqualified": "unqualified",
    "duplicate": "duplicate",
}


def deal(
    type: str = "new_business",
    status: str = "open",
    forecast_category: str = "pipeline",
    amount: str | None = None,
    renewal_arr: str | None = None,
    renewal_loss_amount: str | None = None,
    renewal_forecast_category: str | None = None,
) -> DealFacts:
    return DealFacts(
        type=type,
        stage=STAGE_OF[status],
        forecast_category=forecast_category,
        amount=None if amount is None else D(amount),
        renewal_arr=None if renewal_arr is None else D(renewal_arr),
        renewal_loss_amount=None if renewal_loss_amount is None else D(renewal_loss_amount),
        renewal_forecast_category=renewal_forecast_category,
    )


def test_measure() -> None:
    assert measure("new_business", D("1000.50"), None) == D("1000.50")
    assert measure("expansion", D("20.00"), D("5.00")) == D("20.00")
    assert measure("new_business", None, None) == D(0)
    assert measure("renewal", D("1200.00"), D("1000.00")) == D("200.00")
    assert measure("renewal", D("800.00"), D("1000.00")) == D(0)
    assert measure("renewal", None, D("1000.00")) == D(0)
    assert measure("renewal", D("800.00"), None) == D(0)


def test_realised_loss() -> None:
    assert realised_loss("renewal", "lost", D("900.00"), D("1000.00")) == D("1000.00")
    assert realised_loss("renewal", "closed_won", D("700.00"), D("1000.00")) == D("300.00")
    assert realised_loss("renewal", "closed_won", None, D("1000.00")) == D("1000.00")
    assert realised_loss("renewal", "closed_won", D("1100.00"), D("1000.00")) == D(0)
    assert realised_loss("new_business", "lost", D("500.00"), None) == D(0)
    assert realised_loss("renewal", "proposal", None, D("1000.00")) == D(0)
    assert realised_loss("renewal", "unqualified", D("1.00"), D("1000.00")) == D(0)
    assert realised_loss("renewal", "lost", D("1.00"), None) == D(0)


def test_expected_loss_uses_amount_else_default() -> None:
    assert expected_loss("renewal", D("900.00"), D("1000.00"), D(50)) == D(50)
    assert expected_loss("renewal", D("900.00"), D("1000.00"), None) == D("100.00")
    assert expected_loss("renewal", D("1100.00"), D("1000.00"), None) == D(0)
    assert expected_loss("renewal", None, D("1000.00"), None) == D(0)
    assert expected_loss("expansion", D("1.00"), D("1000.00"), D(5)) == D(0)


def test_won_renewal_expects_no_loss_in_the_rollup() -> None:
    won = deal(type="renewal", status="won", renewal_loss_amount="5")
    assert won.expected_loss == D(5)  # the rule; the roll-up counts it only while open
    r = rollup([replace(won, renewal_forecast_category="commit")], None)
    assert r.renewal_loss_commit == D(0)


def test_empty_rollup() -> None:
    r = rollup([], None)
    assert r.closed_won == r.net_commit == r.net_best_case == D(0)
    assert r.quota is None and r.gap_to_quota_commit is None
    assert r.gap_to_quota_best_case is None and r.attainment is None


def test_rollup_hand_computed() -> None:
    deals = [
        # won new business 50,000 and expansion 12,500.50
        deal(status="won", forecast_category="closed", amount="50000.00"),
        deal(type="expansion", status="won", forecast_category="closed", amount="12500.50"),
        # won renewal: 100,000 up for renewal renewed at 90,000 -> uplift 0, realised loss 10,000
        deal(
            type="renewal",
            status="won",
            forecast_category="closed",
            amount="90000.00",
            renewal_arr="100000.00",
            renewal_loss_amount="10000.00",
        ),
        # won renewal with uplift: 20,000 -> 26,000: measure 6,000, no loss
        deal(
            type="renewal",
            status="won",
            forecast_category="closed",
            amount="26000.00",
            renewal_arr="20000.00",
        ),
        # lost renewal: realised loss 40,000
        deal(
            type="renewal",
            status="lost",
            forecast_category="omitted",
            amount="40000.00",
            renewal_arr="40000.00",
        ),
        # lost new business: nothing
        deal(status="lost", forecast_category="omitted", amount="99999.00"),
        # open commit 30,000; open best case 20,000; open pipeline 70,000 (not counted)
        deal(forecast_category="commit", amount="30000.00"),
        deal(type="expansion", forecast_category="best_case", amount="20000.00"),
        deal(forecast_category="pipeline", amount="70000.00"),
        deal(forecast_category="omitted", amount="1.00"),
        # open renewal in commit, uplift 5,000; expected loss 2,000 in best case
        deal(
            type="renewal",
            forecast_category="commit",
            amount="55000.00",
            renewal_arr="50000.00",
            renewal_loss_amount="2000.00",
            renewal_forecast_category="best_case",
        ),
        # open renewal in pipeline (no measure), expected loss 15,000 in commit
        deal(
            type="renewal",
            forecast_category="pipeline",
            amount="60000.00",
            renewal_arr="75000.00",
            renewal_loss_amount="15000.00",
            renewal_forecast_category="commit",
        ),
        # open renewal with a loss but no renewal forecast category: not counted
        deal(
            type="renewal",
            forecast_category="best_case",
            amount="10000.00",
            renewal_arr="30000.00",
            renewal_loss_amount="20000.00",
        ),
    ]
    r = rollup(deals, D("200000.00"))
    closed_won = D("50000.00") + D("12500.50") + D(0) + D("6000.00")
    assert r.closed_won == closed_won == D("68500.50")
    assert r.realised_renewal_loss == D("50000.00")
    assert r.net_closed == D("18500.50")
    assert r.gross_commit == D("68500.50") + D("30000.00") + D("5000.00") == D("103500.50")
    assert r.gross_best_case == D("103500.50") + D("20000.00") + D(0) == D("123500.50")
    assert r.renewal_loss_commit == D("50000.00") + D("15000.00") == D("65000.00")
    assert r.renewal_loss_best_case == D("65000.00") + D("2000.00") == D("67000.00")
    assert r.net_commit == D("38500.50")
    assert r.net_best_case == D("56500.50")
    assert r.quota == D("200000.00")
    assert r.gap_to_quota_commit == D("161499.50")
    assert r.gap_to_quota_best_case == D("143499.50")
    assert r.attainment == 0.0925  # 18500.50 / 200000 = 0.0925025


def test_attainment_rounds_half_away_from_zero() -> None:
    r = rollup([deal(status="won", forecast_category="closed", amount="1.00")], D("20000"))
    assert r.attainment == 0.0001  # 0.00005 exactly: half-even would give 0.0
    lost = deal(type="renewal", status="lost", forecast_category="omitted", renewal_arr="1.00")
    r = rollup([lost], D("20000"))
    assert r.net_closed == D("-1.00")
    assert r.attainment == -0.0001


def test_zero_quota_has_gaps_but_no_attainment() -> None:
    r = rollup([deal(status="won", forecast_category="closed", amount="10.00")], D("0.00"))
    assert r.attainment is None
    assert r.gap_to_quota_commit == D("-10.00")
    assert r.gap_to_quota_best_case == D("-10.00")


def test_unqualified_and_duplicate_statuses_contribute_nothing() -> None:
    ghost = deal(type="renewal", status="duplicate", amount="5", renewal_arr="100")
    r = rollup([ghost, replace(ghost, stage="unqualified")], D(100))
    assert r == rollup([], D(100))


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@st.composite
def deal_facts(draw: st.DrawFn) -> DealFacts:
    type_ = draw(st.sampled_from(["new_business", "expansion", "renewal"]))
    renewal = type_ == "renewal"
    return DealFacts(
        type=type_,
        stage=STAGE_OF[draw(st.sampled_from(["won", "lost", "open"]))],
        forecast_category=draw(
            st.sampled_from(["pipeline", "best_case", "commit", "closed", "omitted"])
        ),
        amount=draw(st.none() | amounts),
        renewal_arr=draw(st.none() | amounts) if renewal else None,
        renewal_loss_amount=draw(st.none() | amounts) if renewal else None,
        renewal_forecast_category=(
            draw(st.sampled_from([None, "best_case", "commit"])) if renewal else None
        ),
    )


@given(st.lists(deal_facts(), max_size=30), st.none() | amounts)
def test_rollup_identities(deals: list[DealFacts], quota: Decimal | None) -> None:
    r = rollup(deals, quota)
    assert r.gross_best_case >= r.gross_commit >= r.closed_won >= 0
    assert r.renewal_loss_best_case >= r.renewal_loss_commit >= r.realised_renewal_loss >= 0
    assert r.net_closed == r.closed_won - r.realised_renewal_loss
    assert r.net_commit == r.gross_commit - r.renewal_loss_commit
    assert r.net_best_case == r.gross_best_case - r.renewal_loss_best_case
    if quota is None:
        assert r.gap_to_quota_commit is None and r.attainment is None
    else:
        assert r.gap_to_quota_commit == quota - r.net_commit
        assert r.gap_to_quota_best_case == quota - r.net_best_case
        assert (r.attainment is None) == (quota == 0)
    # Splitting the deals and adding the parts gives the same sums.
    half = len(deals) // 2
    a, b = rollup(deals[:half], None), rollup(deals[half:], None)
    assert r.gross_best_case == a.gross_best_case + b.gross_best_case
    assert r.renewal_loss_best_case == a.renewal_loss_best_case + b.renewal_loss_best_case
