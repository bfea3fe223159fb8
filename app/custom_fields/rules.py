"""Custom field values (API.md section 13): what each type accepts, checked against the
definitions read once per request. Pure: no database, no web framework.

Stored values are only the keys that are set; a null in a write clears its key (JSON Merge
Patch). Money is stored as its normalized string (`"1250.50"`), dates as `YYYY-MM-DD`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from app.core.enums import OPTION_TYPES
from app.core.enums import CustomFieldType
from app.core.errors import FieldError
from app.core.schemas import MONEY_IN_PATTERN
from app.core.schemas import money_str

MAX_TEXT = 2000
MAX_FIELDS_PER_OBJECT = 100
MAX_OPTIONS = 100
# A CSV cell holding several options separates them with this.
MULTI_SELECT_SEPARATOR = ";"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(MONEY_IN_PATTERN)
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class FieldSpec:
    key: str
    type: CustomFieldType
    options: tuple[str, ...] = ()
    required: bool = False
    archived: bool = False


@dataclass(frozen=True)
class Definitions:
    """The custom fields of one object, archived ones included, by key."""

    fields: Mapping[str, FieldSpec] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.fields

    @cached_property
    def required_keys(self) -> tuple[str, ...]:
        """Computed once per request's definitions, not once per batch item."""
        return tuple(k for k, f in self.fields.items() if f.required and not f.archived)


class BadValue(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# One check per type, each giving the stored form of a non-null JSON value or BadValue. A
# dispatch table rather than an if-chain: a batch runs thousands of these per request.


def _text(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str):
        raise BadValue("invalid_type", "A text field holds a string.")
    if len(value) > MAX_TEXT:
        raise BadValue("too_long", f"At most {MAX_TEXT} characters.")
    return value


def _number(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue("invalid_type", "A number field holds a JSON number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue("invalid_number", "The number must be finite.")
    return value


def _money(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str) or not _MONEY.fullmatch(value):
        raise BadValue(
            "money_format",
            'Money is a JSON string with at most 13 digits and 2 decimals, e.g. "1250.50".',
        )
    return money_str(Decimal(value))


def _date(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise BadValue("invalid_date", "A date is written YYYY-MM-DD.")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadValue("invalid_date", "No such calendar date.") from None
    return value


def _boolean(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, bool):
        raise BadValue("invalid_type", "A boolean field holds true or false.")
    return value


def _select(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str) or value not in spec.options:
        raise BadValue("invalid_choice", "Not one of the field's options.")
    return value


def _multi_select(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadValue("invalid_type", "A multi_select field holds a list of options.")
    if len(set(value)) != len(value):
        raise BadValue("not_distinct", "Each option appears once.")
    if any(v not in spec.options for v in value):
        raise BadValue("invalid_choice", "Not all of these are the field's options.")
    return value


_CHECKS: dict[str, Callable[[FieldSpec, Any], Any]] = {
    CustomFieldType.TEXT: _text,
    CustomFieldType.NUMBER: _number,
    CustomFieldType.MONEY: _money,
    CustomFieldType.DATE: _date,
    CustomFieldType.BOOLEAN: _boolean,
    CustomFieldType.SELECT: _select,
    CustomFieldType.MULTI_SELECT: _multi_select,
}


def _value(spec: FieldSpec, value: Any) -> Any:
    """The stored form of one non-null JSON value, or BadValue."""
    return _CHECKS[spec.type](spec, value)


def from_text(spec: FieldSpec, cell: str) -> Any:
    """A CSV cell (or a query-string value) as the JSON value the type takes."""
    kind = spec.type
    if kind is CustomFieldType.NUMBER:
        if not _NUMBER_TEXT.match(cell):
            raise BadValue("invalid_number", "Not a number.")
        return int(cell) if re.fullmatch(r"-?\d+", cell) else float(cell)
    if kind is CustomFieldType.BOOLEAN:
        lowered = cell.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise BadValue("invalid_type", "A boolean is true or false.")
    if kind is CustomFieldType.MULTI_SELECT:
        return [part.strip() for part in cell.split(MULTI_SELECT_SEPARATOR) if part.strip()]
    return cell


def check_values(
    definitions: Definitions,
    values: Mapping[str, Any],
    *,
    creating: bool,
    text_cells: bool = False,
    prefix: str = "custom",
) -> tuple[dict[str, Any], list[FieldError]]:
    """The values to store (None: clear the key) and the problems, each at `custom.<key>`.

    On create every required key must be given, and no key may be null when required.
    `text_cells`: the values are CSV cells, converted by type first.
    """
    clean: dict[str, Any] = {}
    problems: list[FieldError] = []
    fields = definitions.fields
    for key, value in values.items():
        spec = fields.get(key)
        if spec is None or spec.archived or (value is None and spec.required):
            problems.append(_key_problem(prefix, key, spec))
        elif value is None:
            clean[key] = None
        else:
            try:
                clean[key] = _CHECKS[spec.type](
                    spec, from_text(spec, value) if text_cells else value
                )
            except BadValue as exc:
                problems.append(FieldError(f"{prefix}.{key}", exc.code, str(exc)))
    if creating:
        for key in definitions.required_keys:
            if key not in values:
                problems.append(FieldError(f"{prefix}.{key}", "required", f"{key} is required."))
    return clean, problems


def _key_problem(prefix: str, key: str, spec: FieldSpec | None) -> FieldError:
    """An unknown or archived key, or null for a required one."""
    path = f"{prefix}.{key}"
    if spec is None:
        return FieldError(path, "unknown_field", f"No custom field {key!r}.")
    if spec.archived:
        return FieldError(path, "archived", f"The custom field {key!r} is archived.")
    return FieldError(path, "required", f"{key} is required.")


def merged(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Merge Patch of the stored values: a null clears its key."""
    result = {**stored, **changes}
    return {k: v for k, v in result.items() if v is not None}


def filter_values(spec: FieldSpec, raw: str) -> list[Any]:
    """`custom.<key>=a,b`: the JSON values a row's key may equal (for a multi_select, the
    options it may contain), each as a containment document's value."""
    wanted: list[Any] = []
    for part in raw.split(","):
        text = part.strip()
        if spec.type is CustomFieldType.MULTI_SELECT:
            if text not in spec.options:
                raise BadValue("invalid_choice", f"{text!r} is not one of the field's options.")
            wanted.append([text])
        else:
            wanted.append(_value(spec, from_text(spec, text)))
    return wanted


def options_problems(kind: CustomFieldType, options: Iterable[str] | None) -> list[FieldError]:
    """Options go with the select types only: 1 to 100 distinct strings."""
    listed = list(options) if options is not None else None
    if kind not in OPTION_TYPES:
        if listed is not None:
            return [FieldError("options", "not_allowed", "Only select types have options.")]
        return []
    if not listed:
        return [FieldError("options", "required", "A select field needs 1 to 100 options.")]
    if len(listed) > MAX_OPTIONS:
        return [FieldError("options", "too_many_items", f"At most {MAX_OPTIONS} options.")]
    if len(set(listed)) != len(listed):
        return [FieldError("options", "not_distinct", "Each option appears once.")]
    return []
