"""How history renders values, and the derived renewal figures (no database)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from app.models import Opportunity
from app.opportunities.history import changes
from app.opportunities.history import render
from app.opportunities.history import snapshot
from app.opportunities.repository import HistoryRow
from app.opportunities.service import default_renewal_loss
from app.opportunities.service import net_arr


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (Decimal("1234"), "1234.00"),
        (Decimal("0.5"), "0.50"),
        (Decimal("-20000.00"), "-20000.00"),
        (date(2027, 1, 31), "2027-01-31"),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        ("closed_won", "closed_won"),
    ],
)
def test_values_are_rendered_as_text(value: object, text: str | None) -> None:
    assert render(value) == text


def test_changes_list_only_tracked_fields_that_differ_with_the_reason_on_stage() -> None:
    owner = uuid.uuid4()
    before = Opportunity(
        stage="proposal", amount=Decimal("10"), owner_id=owner, forecast_category="best_case"
    )
    after = Opportunity(
        stage="scoping", amount=Decimal("10.00"), owner_id=owner, forecast_category="pipeline"
    )
    after.next_step = "ignored: not tracked"
    assert changes(snapshot(before), snapshot(after), "re-scoped") == [
        HistoryRow("stage", "proposal", "scoping", "re-scoped"),
        HistoryRow("forecast_category", "best_case", "pipeline", None),
    ]


@pytest.mark.parametrize(
    ("renewal_arr", "amount", "loss"),
    [
        (Decimal("100"), Decimal("90"), Decimal("10")),
        (Decimal("100"), Decimal("120"), Decimal("0")),
        (Decimal("100"), None, None),
        (None, Decimal("90"), None),
    ],
)
def test_default_renewal_loss(
    renewal_arr: Decimal | None, amount: Decimal | None, loss: Decimal | None
) -> None:
    assert default_renewal_loss(renewal_arr, amount) == loss


@pytest.mark.parametrize(
    ("kind", "amount", "renewal_arr", "expected"),
    [
        ("new_business", Decimal("50"), None, Decimal("50")),
        ("expansion", Decimal("50"), None, Decimal("50")),
        ("renewal", Decimal("90"), Decimal("100"), Decimal("-10")),
        ("renewal", Decimal("120"), Decimal("100"), Decimal("20")),
        ("renewal", None, Decimal("100"), None),
        ("new_business", None, None, None),
    ],
)
def test_net_arr(
    kind: str, amount: Decimal | None, renewal_arr: Decimal | None, expected: Decimal | None
) -> None:
    assert net_arr(Opportunity(type=kind, amount=amount, renewal_arr=renewal_arr)) == expected
