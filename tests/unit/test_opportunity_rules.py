"""The pure rules of closed opportunities: which edits stay allowed, which close date a
closing move books."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest

from app.opportunities.rules import FINAL_WHEN_CLOSED
from app.opportunities.rules import ClosedEdit
from app.opportunities.rules import booked_close_date
from app.opportunities.rules import check_closed_edit
from app.opportunities.rules import is_closing
from app.stages.rules import DEFAULT_STAGES
from app.stages.rules import OPEN_STAGES

CLOSED = [s.slug for s in DEFAULT_STAGES if s.slug not in OPEN_STAGES]
TODAY = date(2027, 2, 14)


def test_the_closed_stages_are_the_terminal_ones() -> None:
    assert sorted(CLOSED) == sorted(s.slug for s in DEFAULT_STAGES if s.terminal)
    assert all(is_closing(slug) for slug in CLOSED)
    assert not any(is_closing(slug) for slug in OPEN_STAGES)


@pytest.mark.parametrize("stage", sorted(OPEN_STAGES))
def test_open_opportunities_change_freely(stage: str) -> None:
    verdict = check_closed_edit(stage, FINAL_WHEN_CLOSED, is_admin=False, change_reason=None)
    assert verdict is ClosedEdit.ALLOWED


@pytest.mark.parametrize("stage", CLOSED)
@pytest.mark.parametrize("field", sorted(FINAL_WHEN_CLOSED))
def test_final_fields_of_a_closed_opportunity(stage: str, field: str) -> None:
    def verdict(is_admin: bool, reason: str | None) -> ClosedEdit:
        return check_closed_edit(stage, {field, "name"}, is_admin=is_admin, change_reason=reason)

    assert verdict(False, None) is ClosedEdit.CLOSED
    assert verdict(False, "a reason does not make a rep an admin") is ClosedEdit.CLOSED
    assert verdict(True, None) is ClosedEdit.REASON_MISSING
    assert verdict(True, " \t") is ClosedEdit.REASON_MISSING
    assert verdict(True, "Signed order form") is ClosedEdit.ALLOWED


@pytest.mark.parametrize("stage", CLOSED)
def test_other_fields_of_a_closed_opportunity_stay_editable(stage: str) -> None:
    changed = {"name", "next_step", "next_step_at", "contact_id", "bpm_stage"}
    assert check_closed_edit(stage, changed, is_admin=False, change_reason=None) is (
        ClosedEdit.ALLOWED
    )


def test_closing_books_today_or_an_earlier_given_day() -> None:
    assert booked_close_date(None, TODAY) == TODAY
    assert booked_close_date(TODAY, TODAY) == TODAY
    assert booked_close_date(TODAY - timedelta(days=400), TODAY) == TODAY - timedelta(days=400)
    assert booked_close_date(TODAY + timedelta(days=1), TODAY) is None
