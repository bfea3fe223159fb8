"""The pure custom field value rules: every type has a check, CSV cells convert by type, and
problems name `custom.<key>`."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.enums import CustomFieldType as T
from app.custom_fields.rules import Definitions
from app.custom_fields.rules import FieldSpec
from app.custom_fields.rules import check_values

DEFINITIONS = Definitions(
    {
        "note": FieldSpec("note", T.TEXT),
        "score": FieldSpec("score", T.NUMBER, required=True),
        "budget": FieldSpec("budget", T.MONEY),
        "renewal_on": FieldSpec("renewal_on", T.DATE),
        "vip": FieldSpec("vip", T.BOOLEAN),
        "tier": FieldSpec("tier", T.SELECT, ("gold", "silver")),
        "tags": FieldSpec("tags", T.MULTI_SELECT, ("a", "b")),
        "old": FieldSpec("old", T.TEXT, archived=True, required=True),
    }
)


def codes(values: dict[str, Any], **options: Any) -> list[tuple[str, str]]:
    _, problems = check_values(DEFINITIONS, values, creating=False, **options)
    return [(p.field, p.code) for p in problems]


def test_every_type_is_checked() -> None:
    assert {spec.type for spec in DEFINITIONS.fields.values()} == set(T)
    clean, problems = check_values(
        DEFINITIONS,
        {
            "note": "x",
            "score": 1.5,
            "budget": "-7.5",
            "renewal_on": "2028-02-29",
            "vip": False,
            "tier": "gold",
            "tags": ["b"],
        },
        creating=True,
    )
    assert problems == []
    assert clean["budget"] == "-7.50" and clean["vip"] is False


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("budget", "1.5\n", "money_format"),
        ("renewal_on", "2027-01-01\n", "invalid_date"),
        ("renewal_on", "2027-02-29", "invalid_date"),
        ("score", float("inf"), "invalid_number"),
        ("score", None, "required"),
        ("old", "x", "archived"),
        ("nope", "x", "unknown_field"),
    ],
)
def test_bad_values(key: str, value: Any, code: str) -> None:
    assert codes({key: value}) == [(f"custom.{key}", code)]


def test_required_on_create_only_for_active_fields() -> None:
    _, problems = check_values(DEFINITIONS, {}, creating=True)
    assert [(p.field, p.code) for p in problems] == [("custom.score", "required")]
    assert DEFINITIONS.required_keys == ("score",)


def test_csv_cells_convert_by_type() -> None:
    cells = {"score": "42", "vip": "yes", "tags": "a; b", "budget": "10"}
    clean, problems = check_values(DEFINITIONS, cells, creating=False, text_cells=True)
    assert problems == []
    assert clean == {"score": 42, "vip": True, "tags": ["a", "b"], "budget": "10.00"}
    assert codes({"score": "many"}, text_cells=True) == [("custom.score", "invalid_number")]
