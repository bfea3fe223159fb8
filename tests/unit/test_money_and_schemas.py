"""Money as decimal strings end to end, and the request-model rules every schema inherits."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import pytest
from pydantic import BaseModel
from pydantic import ValidationError

from app.core.schemas import MoneyIn
from app.core.schemas import MoneyOut
from app.core.schemas import RequestModel
from app.core.schemas import Str200
from app.core.schemas import Text


class Deal(RequestModel):
    amount: MoneyIn | None = None
    name: Str200 | None = None
    notes: Text | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"net_arr"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"name"})


class DealOut(BaseModel):
    amount: MoneyOut


@pytest.mark.parametrize("raw", ["0", "12", "12.5", "12.50", "-3.10", "9999999999999.99"])
def test_money_strings_accepted_exactly(raw: str) -> None:
    assert Deal.model_validate({"amount": raw}).amount == Decimal(raw)


@pytest.mark.parametrize(
    "raw", [12, 12.5, "12.345", "1e3", "", " 12", "12.", "99999999999999", "NaN"]
)
def test_money_numbers_and_extra_decimals_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        Deal.model_validate({"amount": raw})
    assert info.value.errors()[0]["type"] == "money_format"


def test_money_rendered_with_two_decimals() -> None:
    assert DealOut(amount=Decimal("12.5")).model_dump(mode="json") == {"amount": "12.50"}
    assert DealOut(amount=Decimal("-3")).model_dump_json() == '{"amount":"-3.00"}'


def test_unknown_read_only_and_required_null() -> None:
    with pytest.raises(ValidationError) as info:
        Deal.model_validate({"colour": "red"})
    assert info.value.errors()[0]["type"] == "extra_forbidden"
    for field in ("id", "version", "created_at", "updated_at", "net_arr"):
        with pytest.raises(ValidationError) as info:
            Deal.model_validate({field: "x"})
        assert info.value.errors()[0]["type"] == "read_only"
    with pytest.raises(ValidationError) as info:
        Deal.model_validate({"name": None})
    assert info.value.errors()[0]["type"] == "null_not_allowed"


def test_control_characters() -> None:
    with pytest.raises(ValidationError):
        Deal.model_validate({"name": "a\tb"})
    with pytest.raises(ValidationError):
        Deal.model_validate({"notes": "a\x00b"})
    assert Deal.model_validate({"notes": "line one\r\n\tline two"}).notes
