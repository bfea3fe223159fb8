"""The four qualification criteria (API.md section 6)."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest

from app.qualification.rules import COMMERCIAL_SEGMENTS
from app.qualification.rules import CRITERIA
from app.qualification.rules import DRIVERS
from app.qualification.rules import ENTRY_USE_CASES
from app.qualification.rules import INVOLVEMENTS
from app.qualification.rules import Authority
from app.qualification.rules import Fit
from app.qualification.rules import Initiative
from app.qualification.rules import QualificationInput
from app.qualification.rules import Timing
from app.qualification.rules import evaluate

MEETING_ON = date(2026, 3, 2)
BERLIN_WINTER = timezone(timedelta(hours=1))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def at_noon_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def passing() -> QualificationInput:
    return QualificationInput(
        authority=Authority(involvement="technical_buyer"),
        initiative=Initiative(
            kind="top_2_priority", driver="modernization", description="Consolidate toolchain"
        ),
        fit=Fit(current_tools=("jenkins", "jira"), entry_use_case="ci", potential_seats=50),
        timing=Timing(meeting_on=MEETING_ON, next_step_at=at_noon_utc(MEETING_ON + timedelta(14))),
    )


def test_a_lead_meeting_all_four_criteria_is_qualified() -> None:
    result = evaluate(passing(), segment="enterprise", tz=UTC)
    assert result.qualified
    assert result.failed == ()
    assert [getattr(result, name).reason for name in CRITERIA] == [
        "involved_as_technical_buyer",
        "top_2_priority_with_driver",
        "entry_use_case_and_seats",
        "next_step_within_60_days",
    ]


@pytest.mark.parametrize(
    ("criterion", "failing", "reason"),
    [
        ("authority", Authority(involvement="none"), "no_involvement"),
        ("initiative", Initiative(kind="none", driver=None, description=None), "no_initiative"),
        (
            "fit",
            Fit(current_tools=(), entry_use_case=None, potential_seats=10),
            "no_entry_use_case",
        ),
        (
            "timing",
            Timing(meeting_on=MEETING_ON, next_step_at=at_noon_utc(MEETING_ON + timedelta(61))),
            "next_step_beyond_60_days",
        ),
    ],
)
def test_each_criterion_failing_alone_fails_qualification(
    criterion: str, failing: Any, reason: str
) -> None:
    q = dataclasses.replace(passing(), **{criterion: failing})
    result = evaluate(q, segment="smb", tz=UTC)
    assert not result.qualified
    assert result.failed == (criterion,)
    assert getattr(result, criterion).reason == reason
    assert all(getattr(result, name).passed for name in CRITERIA if name != criterion)


def test_failed_lists_criteria_in_contract_order() -> None:
    q = QualificationInput(
        authority=Authority("none"),
        initiative=Initiative("small_box", None, None),
        fit=Fit((), "scm", 0),
        timing=Timing(MEETING_ON, at_noon_utc(MEETING_ON - timedelta(1))),
    )
    result = evaluate(q, segment=None, tz=UTC)
    assert result.failed == ("authority", "initiative", "fit", "timing")
    assert [getattr(result, name).reason for name in CRITERIA] == [
        "no_involvement",
        "segment_unknown",
        "no_potential_seats",
        "next_step_before_meeting",
    ]


@pytest.mark.parametrize("involvement", [i for i in INVOLVEMENTS if i != "none"])
def test_any_involvement_gives_authority(involvement: str) -> None:
    q = dataclasses.replace(passing(), authority=Authority(involvement))
    result = evaluate(q, segment=None, tz=UTC)
    assert result.authority.passed
    assert result.authority.reason == f"involved_as_{involvement}"


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_top_2_priority_with_any_driver_passes_in_any_segment(driver: str) -> None:
    q = dataclasses.replace(passing(), initiative=Initiative("top_2_priority", driver, None))
    for segment in (None, "enterprise", "smb"):
        assert evaluate(q, segment=segment, tz=UTC).initiative.passed


def test_a_top_2_priority_needs_a_driver() -> None:
    q = dataclasses.replace(passing(), initiative=Initiative("top_2_priority", None, "Big plans"))
    initiative = evaluate(q, segment="mid_market", tz=UTC).initiative
    assert not initiative.passed
    assert initiative.reason == "top_2_priority_without_driver"


@pytest.mark.parametrize(
    ("segment", "passed", "reason"),
    [
        ("mid_market", True, "small_box_commercial"),
        ("smb", True, "small_box_commercial"),
        ("enterprise", False, "small_box_not_commercial"),
        ("public_sector", False, "small_box_not_commercial"),
        (None, False, "segment_unknown"),
    ],
)
def test_a_small_box_passes_only_in_commercial_segments(
    segment: str | None, passed: bool, reason: str
) -> None:
    q = dataclasses.replace(passing(), initiative=Initiative("small_box", None, None))
    initiative = evaluate(q, segment=segment, tz=UTC).initiative
    assert (initiative.passed, initiative.reason) == (passed, reason)
    assert (segment in COMMERCIAL_SEGMENTS) is passed


@pytest.mark.parametrize(
    ("entry_use_case", "seats", "passed", "reason"),
    [
        ("scm", 1, True, "entry_use_case_and_seats"),
        ("other", 5000, True, "entry_use_case_and_seats"),
        (None, 10, False, "no_entry_use_case"),
        (None, None, False, "no_entry_use_case"),
        ("cd", 0, False, "no_potential_seats"),
        ("cd", -3, False, "no_potential_seats"),
        ("security", None, False, "no_potential_seats"),
    ],
)
def test_fit_needs_an_entry_use_case_and_seats(
    entry_use_case: str | None, seats: int | None, passed: bool, reason: str
) -> None:
    q = dataclasses.replace(passing(), fit=Fit(("github",), entry_use_case, seats))
    fit = evaluate(q, segment=None, tz=UTC).fit
    assert (fit.passed, fit.reason) == (passed, reason)


@pytest.mark.parametrize("entry_use_case", ENTRY_USE_CASES)
def test_every_entry_use_case_fits(entry_use_case: str) -> None:
    q = dataclasses.replace(passing(), fit=Fit((), entry_use_case, 1))
    assert evaluate(q, segment=None, tz=UTC).fit.passed


@pytest.mark.parametrize(
    ("days_after", "passed", "reason"),
    [
        (-1, False, "next_step_before_meeting"),
        (0, True, "next_step_within_60_days"),
        (1, True, "next_step_within_60_days"),
        (60, True, "next_step_within_60_days"),
        (61, False, "next_step_beyond_60_days"),
    ],
)
def test_timing_window_boundaries(days_after: int, passed: bool, reason: str) -> None:
    timing = Timing(MEETING_ON, at_noon_utc(MEETING_ON + timedelta(days=days_after)))
    result = evaluate(dataclasses.replace(passing(), timing=timing), segment=None, tz=UTC).timing
    assert (result.passed, result.reason) == (passed, reason)


def test_timing_dates_the_next_step_in_the_given_timezone() -> None:
    # 23:30 UTC on 1 March is already 2 March in Berlin: the meeting day itself.
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    q = dataclasses.replace(passing(), timing=Timing(MEETING_ON, late_evening))
    assert evaluate(q, segment=None, tz=UTC).timing.reason == "next_step_before_meeting"
    assert evaluate(q, segment=None, tz=BERLIN_WINTER).timing.passed


def test_timing_day_60_boundary_follows_the_timezone() -> None:
    # 02:00 UTC on day 61 is still day 60 in New York.
    early = datetime.combine(MEETING_ON + timedelta(61), datetime.min.time(), UTC) + timedelta(
        hours=2
    )
    q = dataclasses.replace(passing(), timing=Timing(MEETING_ON, early))
    assert evaluate(q, segment=None, tz=UTC).timing.reason == "next_step_beyond_60_days"
    assert evaluate(q, segment=None, tz=NEW_YORK_WINTER).timing.passed


def test_timing_converts_a_next_step_given_in_another_offset() -> None:
    # 00:30 on 2 March at +01:00 is 23:30 on 1 March in UTC.
    q = dataclasses.replace(
        passing(), timing=Timing(MEETING_ON, datetime(2026, 3, 2, 0, 30, tzinfo=BERLIN_WINTER))
    )
    assert not evaluate(q, segment=None, tz=UTC).timing.passed
    assert evaluate(q, segment=None, tz=BERLIN_WINTER).timing.passed


def test_a_naive_next_step_is_refused() -> None:
    q = dataclasses.replace(passing(), timing=Timing(MEETING_ON, datetime(2026, 3, 10, 12, 0)))
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(q, segment=None, tz=UTC)


@pytest.mark.parametrize(
    "q",
    [
        dataclasses.replace(passing(), authority=Authority("ceo")),
        dataclasses.replace(passing(), initiative=Initiative("big_box", None, None)),
        dataclasses.replace(passing(), initiative=Initiative("top_2_priority", "vibes", None)),
        dataclasses.replace(passing(), fit=Fit((), "cobol", 3)),
    ],
)
def test_values_outside_their_sets_are_refused(q: QualificationInput) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        evaluate(q, segment=None, tz=UTC)
