"""The one rule for what an `*.updated` event lists."""

from __future__ import annotations

from decimal import Decimal

from app.core.changes import changed_fields
from app.core.changes import snapshot
from app.core.changes import updated_data


def test_only_fields_whose_value_changed_sorted() -> None:
    before = {"name": "Acme", "amount": Decimal("10.00"), "owner_id": None, "version": 3}
    after = {"name": "Acme", "amount": Decimal("12"), "owner_id": "u1", "version": 4}
    assert changed_fields(before, after) == ["amount", "owner_id"]


def test_equal_values_and_bookkeeping_are_no_change() -> None:
    assert changed_fields({"amount": Decimal("5")}, {"amount": Decimal("5.00")}) == []
    assert changed_fields({"version": 1, "updated_at": 1}, {"version": 2, "updated_at": 2}) == []


def test_absent_before_counts_as_null() -> None:
    assert changed_fields({}, {"title": None, "phone": "1"}) == ["phone"]


def test_custom_values_listed_per_key() -> None:
    before = {"custom": {"tier": "gold", "seats": 5, "region": None}}
    after = {"custom": {"tier": "silver", "seats": 5, "region": None, "vip": True}}
    assert changed_fields(before, after) == ["custom.tier", "custom.vip"]
    assert changed_fields({"custom": None}, {"custom": {"tier": None}}) == []
    assert changed_fields({"custom": {"tier": "x"}}, {"custom": {}}) == ["custom.tier"]
    stored = {"custom_values": {"tier": "x"}}
    assert changed_fields(stored, {"custom_values": {"tier": "y"}}) == ["custom.tier"]


def test_updated_data_shape() -> None:
    assert updated_data(["b", "a"]) == {"changed": ["a", "b"]}


def test_snapshot_reads_the_stored_custom_values_not_the_view() -> None:
    class Record:
        custom = {"tier": "gold"}  # the read view: archived keys left out
        custom_values = {"tier": "gold", "old": "kept"}
        name = "Acme"

    before = snapshot(Record(), ["custom", "name"])
    assert before == {"custom": {"tier": "gold", "old": "kept"}, "name": "Acme"}
    after = {"custom": {"tier": "gold", "old": "kept", "vip": True}}
    assert changed_fields(before, after) == ["custom.vip"]
    assert changed_fields({"custom_values": {}}, {"custom_values": {"vip": True}}) == ["custom.vip"]
