"""The opportunity history: which fields are tracked and how their values are written down.

Rows are appended in the same transaction as the change (PostgreSQL refuses UPDATE and DELETE
on the table). Values are kept as text: a stage as its slug, money as "1234.00", dates in ISO
form, ids as UUID strings; null stays null.
"""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import get_args

from app.models import Opportunity
from app.opportunities.repository import HistoryRow
from app.opportunities.schemas import HistoryField

# In the order their rows are written (stage first), as the history schema lists them.
TRACKED_FIELDS: tuple[str, ...] = get_args(HistoryField)


def render(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def snapshot(opportunity: Opportunity) -> dict[str, str | None]:
    return {field: render(getattr(opportunity, field)) for field in TRACKED_FIELDS}


def changes(
    before: dict[str, str | None],
    after: dict[str, str | None],
    reason: str | None = None,
    *,
    every: bool = False,
) -> list[HistoryRow]:
    """A row per tracked field whose rendered value differs, stage first; `reason` goes on the
    stage row (a stage move's reason), or on every row when `every` (a PATCH's change_reason)."""
    return [
        HistoryRow(
            field, before[field], after[field], reason if every or field == "stage" else None
        )
        for field in TRACKED_FIELDS
        if before[field] != after[field]
    ]


def creation(opportunity: Opportunity, reason: str) -> list[HistoryRow]:
    """The initial values of a new opportunity (old null), so the past can be replayed."""
    empty = dict.fromkeys(TRACKED_FIELDS)
    return [
        HistoryRow(row.field, None, row.new, reason)
        for row in changes(empty, snapshot(opportunity))
    ]
