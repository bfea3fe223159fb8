"""What a closed opportunity still allows (API.md section 14): the numbers a manager trusts.

Closing (entering `closed_won`, `lost`, `unqualified` or `duplicate`) books the deal: its
close date is the day it closed unless the move names an earlier day, and from then on the
fields the forecast counts are final. Reopening (section 7) is the way back; an admin may still
correct a closed deal in place, saying why in `change_reason`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from app.stages.rules import is_open

__all__ = [
    "CHANGE_REASON_MAX_LENGTH",
    "FINAL_WHEN_CLOSED",
    "ClosedEdit",
    "booked_close_date",
    "check_closed_edit",
    "is_closing",
]

# The fields the roll-up, the waterfall and the history read: they do not move once closed.
FINAL_WHEN_CLOSED = frozenset(
    {
        "amount",
        "close_date",
        "type",
        "renewal_arr",
        "renewal_loss_amount",
        "forecast_category",
        "renewal_forecast_category",
        "owner_id",
        "account_id",
        "unit_ids",
    }
)
CHANGE_REASON_MAX_LENGTH = 500


class ClosedEdit(StrEnum):
    """The verdict on a change of a closed opportunity's fields."""

    ALLOWED = "allowed"
    CLOSED = "closed"  # 409 opportunity-closed
    REASON_MISSING = "reason_missing"  # 422 on change_reason


def check_closed_edit(
    stage: str, changed: Iterable[str], *, is_admin: bool, change_reason: str | None
) -> ClosedEdit:
    """Whether the fields in `changed` (those whose value really changes) may change at `stage`.

    Open opportunities change freely; a closed one keeps its final fields, except for an admin
    who gives a non-blank reason.
    """
    if is_open(stage) or FINAL_WHEN_CLOSED.isdisjoint(changed):
        return ClosedEdit.ALLOWED
    if not is_admin:
        return ClosedEdit.CLOSED
    if change_reason is None or not change_reason.strip():
        return ClosedEdit.REASON_MISSING
    return ClosedEdit.ALLOWED


def is_closing(to_stage: str) -> bool:
    """Entering a closed stage (every stage that is not open) books the deal."""
    return not is_open(to_stage)


def booked_close_date(given: date | None, today: date) -> date | None:
    """The close date a closing move books: the one the move gives, else today; None when the
    given day is after today (a deal does not close in the future)."""
    if given is None:
        return today
    return given if given <= today else None
