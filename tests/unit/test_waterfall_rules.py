"""The waterfall's categories and history reconstruction (pure), and hygiene reasons."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.forecasts.rules import SUBMISSION_FIGURE_NAMES
from app.forecasts.schemas import ForecastFigures
from app.pipeline.hygiene import FLAGS
from app.pipeline.hygiene import FlagFacts
from app.pipeline.hygiene import reason
from app.pipeline.waterfall import CATEGORIES
from tests.oracles.waterfall import HistoryEntry
from tests.oracles.waterfall import OpportunityState
from tests.oracles.waterfall import WaterfallFacts
from tests.oracles.waterfall import as_of
from tests.oracles.waterfall import classify
from tests.oracles.waterfall import parse_amount
from tests.oracles.waterfall import parse_date
from tests.oracles.waterfall import waterfall

START, END = date(2027, 1, 1), date(2027, 3, 31)
IN, OUT = date(2027, 2, 1), date(2027, 5, 1)
D = Decimal


def facts(
    then: tuple[str | None, str | None, date | None],
    now: tuple[str, str | None, date | None],
    existed: bool = True,
    type_: str = "new_business",
    renewal_arr: str | None = None,
) -> WaterfallFacts:
    def state(s: tuple[str | None, str | None, date | None]) -> OpportunityState:
        return OpportunityState(s[0], None if s[1] is None else D(s[1]), s[2])

    return WaterfallFacts(
        type_, None if renewal_arr is None else D(renewal_arr), existed, state(then), state(now)
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            facts(("proposal", "10", IN), ("proposal", "10", IN)),
            [("starting", "10"), ("ending", "10")],
        ),
        (
            facts(("proposal", "10", IN), ("proposal", "15", IN)),
            [("starting", "10"), ("increased", "5"), ("ending", "15")],
        ),
        (
            facts(("proposal", "10", IN), ("proposal", "4", IN)),
            [("starting", "10"), ("decreased", "6"), ("ending", "4")],
        ),
        (
            facts(("proposal", "10", IN), ("closed_won", "12", IN)),
            [("starting", "10"), ("increased", "2"), ("won", "12")],
        ),
        (
            facts(("proposal", "10", IN), ("closed_won", "10", OUT)),
            [("starting", "10"), ("won", "10")],
        ),
        (
            facts(("proposal", "10", IN), ("duplicate", "10", IN)),
            [("starting", "10"), ("lost", "10")],
        ),
        (
            facts(("proposal", "10", IN), ("proposal", "10", OUT)),
            [("starting", "10"), ("pushed_out", "10")],
        ),
        (
            facts(("proposal", "10", IN), ("proposal", "10", None)),
            [("starting", "10"), ("pushed_out", "10")],
        ),
        (
            facts(("proposal", "10", OUT), ("proposal", "20", IN)),
            [("pulled_in", "20"), ("ending", "20")],
        ),
        (
            facts(("proposal", "10", OUT), ("closed_won", "20", IN)),
            [("pulled_in", "20"), ("won", "20")],
        ),
        (
            facts((None, None, None), ("discovery", "5", IN), existed=False),
            [("created", "5"), ("ending", "5")],
        ),
        (
            facts(("pending_acceptance", None, IN), ("unqualified", "5", IN), existed=False),
            [("created", "5"), ("lost", "5")],
        ),
        (facts(("lost", "5", IN), ("proposal", "5", IN)), [("created", "5"), ("ending", "5")]),
        (facts(("lost", "5", IN), ("lost", "5", IN)), []),
        (facts(("closed_won", "5", IN), ("closed_won", "5", IN)), []),
        (facts(("proposal", "5", OUT), ("proposal", "5", OUT)), []),
        (
            facts(("proposal", "5", IN), ("proposal", "5", IN), existed=False),
            [("created", "5"), ("ending", "5")],
        ),
        (
            facts(
                ("proposal", "900", IN),
                ("proposal", "1100", IN),
                type_="renewal",
                renewal_arr="1000",
            ),
            [("starting", "0"), ("increased", "100"), ("ending", "100")],
        ),
    ],
)
def test_classify(case: WaterfallFacts, expected: list[tuple[str, str]]) -> None:
    assert [(name, str(arr)) for name, arr in classify(case, START, END).categories] == [
        (name, str(D(arr))) for name, arr in expected
    ]


SINCE = datetime(2026, 6, 1, tzinfo=UTC)


def h(days: float, seq: int, field: str, old: str | None, new: str | None) -> HistoryEntry:
    return HistoryEntry(SINCE + timedelta(days=days), seq, field, old, new)


def test_as_of_prefers_latest_before_then_first_after() -> None:
    history = [
        h(-5, 1, "amount", "1.00", "2.00"),
        h(-5, 2, "amount", "2.00", "3.00"),
        h(0, 3, "stage", "discovery", "scoping"),
        h(2, 4, "stage", "scoping", "proposal"),
        h(3, 5, "close_date", "2027-01-01", "2027-02-01"),
        h(1, 6, "close_date", "2026-12-01", "2027-01-01"),
    ]
    assert as_of(history, "amount", SINCE) == (True, "3.00")
    assert as_of(history, "stage", SINCE) == (True, "scoping")
    assert as_of(history, "close_date", SINCE) == (True, "2026-12-01")
    assert as_of(history, "owner_id", SINCE) == (False, None)


def test_parsing_history_text() -> None:
    assert parse_amount("1234.00") == D("1234.00")
    assert parse_amount('"1234.5"') == D("1234.5")
    assert parse_amount("1e5") is None and parse_amount("") is None and parse_amount(None) is None
    assert parse_date("2027-02-28") == date(2027, 2, 28)
    assert parse_date('"2027-02-28"') == date(2027, 2, 28)
    assert parse_date("2027-02-30") is None and parse_date("0000-01-01") is None
    assert parse_date("2027-2-3") is None


state = st.builds(
    OpportunityState,
    stage=st.sampled_from(
        [None, "bogus", "pending_acceptance", "discovery", "closed_won", "lost", "unqualified"]
    ),
    amount=st.none()
    | st.decimals(min_value=-100, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    close_date=st.sampled_from([None, IN, OUT, START, END, date(2026, 12, 31)]),
)
fact = st.builds(
    WaterfallFacts,
    type=st.sampled_from(["new_business", "expansion", "renewal"]),
    renewal_arr=st.none()
    | st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    existed_then=st.booleans(),
    then=state,
    now=state.filter(lambda s: s.stage is not None and s.stage != "bogus"),
)


@given(st.lists(fact, max_size=20))
def test_reference_reconciles(items: list[WaterfallFacts]) -> None:
    t = waterfall(items, START, END)
    assert set(t) == set(CATEGORIES)
    arr = {k: v[1] for k, v in t.items()}
    n = {k: v[0] for k, v in t.items()}
    assert (
        arr["starting"]
        + arr["created"]
        + arr["pulled_in"]
        - arr["pushed_out"]
        + arr["increased"]
        - arr["decreased"]
        - arr["won"]
        - arr["lost"]
        == arr["ending"]
    )
    assert (
        n["starting"] + n["created"] + n["pulled_in"] - n["pushed_out"] - n["won"] - n["lost"]
        == n["ending"]
    )


def test_every_flag_has_a_reason() -> None:
    f = FlagFacts("Scoping", 100, D("90"), date(2026, 1, 2), date(2026, 1, 3), 1, 20, 30, 14, 14)
    for flag in FLAGS:
        assert reason(flag, f).endswith(".")
    assert reason("stuck_in_stage", f) == "In Scoping for 1 day, more than 30 days."
    with pytest.raises(ValueError):
        reason("nope", f)


def test_forecast_figures_match_the_rules() -> None:
    assert tuple(ForecastFigures.model_fields) == SUBMISSION_FIGURE_NAMES
