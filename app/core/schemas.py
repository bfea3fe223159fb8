"""Shared schema parts: strict request models, money as decimal strings, problem documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Generic
from typing import TypeVar
from typing import get_args
from typing import get_origin

from pydantic import MISSING
from pydantic import AfterValidator
from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PlainSerializer
from pydantic import StringConstraints
from pydantic import ValidatorFunctionWrapHandler
from pydantic import WithJsonSchema
from pydantic import model_validator
from pydantic_core import PydanticCustomError

# A query parameter of one line: no control characters (C0, DEL and C1).
SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# DEL and the C1 controls: never in any string of a request, whatever its field allows.
_NEVER = re.compile(r"[\x7f-\x9f]")


def _single_line(value: str) -> str:
    if _CONTROL_LINE.search(value):
        raise PydanticCustomError("control_characters", "Control characters are not allowed.")
    return value


def _free_text(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError(
            "control_characters", "Control characters other than tab, CR and LF are not allowed."
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "Must not be blank.")
    return value


# Single-line text (names, titles): no control characters at all.
Str200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_single_line)]
Str100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(_single_line)]
Str500 = Annotated[str, StringConstraints(max_length=500), AfterValidator(_single_line)]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_single_line),
    AfterValidator(_not_blank),
]
# Free text (descriptions, notes): tab, CR and LF allowed.
Text = Annotated[str, StringConstraints(max_length=10000), AfterValidator(_free_text)]
# A note's body: plain text or Markdown, up to 20,000 characters, stored as sent.
LongText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=20000),
    AfterValidator(_free_text),
    AfterValidator(_not_blank),
]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_free_text)]
# A required free-text sentence (an objective, a tactic), shorter than `Text`.
FreeSentence = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_free_text),
    AfterValidator(_not_blank),
]
_EMAIL_PART = r"[^@\s\x00-\x1f\x7f-\x9f]+"
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"),
]

# ASCII digits only: `\d` would also take Arabic-Indic or full-width digits.
MONEY_IN_PATTERN = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"
MONEY_OUT_PATTERN = r"^-?[0-9]{1,13}\.[0-9]{2}$"


def money_str(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def parse_money(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(MONEY_IN_PATTERN, value):
        raise PydanticCustomError(
            "money_format",
            'Money is a JSON string with at most 13 digits and 2 decimals, e.g. "1250.50".',
        )
    return Decimal(value)


MoneyIn = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    WithJsonSchema(
        {"type": "string", "pattern": MONEY_IN_PATTERN, "maxLength": 17, "example": "125000.00"}
    ),
]
"""Money in a request: a JSON string with at most two decimals (a JSON number is refused)."""

MoneyOut = Annotated[
    Decimal,
    PlainSerializer(money_str, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": MONEY_OUT_PATTERN, "example": "125000.00"}),
]


READ_ONLY_ALWAYS = frozenset({"id", "version", "created_at", "updated_at"})

# RFC 3339 with an offset, ASCII digits; a date is `YYYY-MM-DD` and nothing more.
MOMENT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MOMENT = re.compile(MOMENT_PATTERN)
_LOCAL_MOMENT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$"
)
_DAY = re.compile(DAY_PATTERN)


def strict_moment(value: Any) -> Any:
    """A timestamp is an RFC 3339 string with an offset: a JSON number (seconds since 1970)
    or a date alone is refused rather than guessed."""
    if isinstance(value, datetime) or (isinstance(value, str) and _MOMENT.fullmatch(value)):
        return value
    if isinstance(value, str) and _LOCAL_MOMENT.fullmatch(value):
        raise PydanticCustomError(
            "timezone_aware", "Give the offset too, e.g. 2026-03-01T09:00:00Z or +02:00."
        )
    raise PydanticCustomError(
        "datetime_type", "Give an RFC 3339 timestamp with an offset, e.g. 2026-03-01T09:00:00Z."
    )


def strict_day(value: Any) -> Any:
    """A date is `YYYY-MM-DD`: a timestamp or a number is refused rather than truncated."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise PydanticCustomError("date_type", "Give a date as YYYY-MM-DD.")


def temporal_kind(annotation: Any) -> Any:
    """`datetime` or `date` when a field's type is (an optional) one of them, else None."""
    if annotation is datetime or annotation is date:
        return annotation
    if get_origin(annotation) is Annotated:
        return temporal_kind(get_args(annotation)[0])
    for arg in get_args(annotation):
        kind = temporal_kind(arg)
        if kind is not None:
            return kind
    return None


# Set while a request model validates a body already walked for DEL and C1 characters.
_WALKED: ContextVar[bool] = ContextVar("engage_never_characters_walked", default=False)


@contextmanager
def walked_for_never_characters() -> Iterator[None]:
    """Request models validated inside need not walk their values for DEL and C1 again: they
    come from a body that was (a batch's items, validated after their `LeadBatch`)."""
    walked = _WALKED.set(True)
    try:
        yield
    finally:
        _WALKED.reset(walked)


def _holds_never_characters(value: Any) -> bool:
    """Whether a string of `value` (dict keys included) holds DEL or C1: the strings are
    gathered without recursion or paths and searched as one text, three times faster than
    the walk that names the field (a 1000-lead batch: 0.9 ms instead of 2.7)."""
    texts: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            texts.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    try:
        return _NEVER.search("".join(texts)) is not None
    except TypeError:  # a key that is not a string (a body from code, not JSON): walk it
        return True


def _refuse_never_characters(value: Any, path: str) -> None:
    if isinstance(value, str):
        if _NEVER.search(value):
            raise PydanticCustomError(
                "control_characters",
                "DEL and C1 control characters are not allowed.",
                {"field": path} if path else None,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_never_characters(key, path)
            _refuse_never_characters(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_never_characters(item, f"{path}.{index}" if path else str(index))


class RequestModel(BaseModel):
    """Request bodies: unknown fields and read-only fields are refused with clear codes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    read_only_fields: ClassVar[frozenset[str]] = frozenset()
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset()
    # Fields typed date or datetime (set per class): strict whatever annotation they use.
    temporal_fields: ClassVar[dict[str, Any]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.temporal_fields = {
            field.alias or name: kind
            for name, field in cls.model_fields.items()
            if (kind := temporal_kind(field.annotation)) is not None
        }

    @model_validator(mode="before")
    @classmethod
    def _refuse_read_only_and_check_money(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, kind in cls.temporal_fields.items():
            if data.get(name) is not None:
                try:
                    (strict_moment if kind is datetime else strict_day)(data[name])
                except PydanticCustomError as exc:
                    raise PydanticCustomError(exc.type, exc.message(), {"field": name}) from None
        # One set test per body (a batch validates 1000): the loop that names the field runs
        # only when a read-only name was sent.
        if not READ_ONLY_ALWAYS.isdisjoint(data) or not cls.read_only_fields.isdisjoint(data):
            for name in data:
                if name in READ_ONLY_ALWAYS or name in cls.read_only_fields:
                    raise PydanticCustomError(
                        "read_only",
                        "{field} is set by the server and cannot be written.",
                        {"field": name},
                    )
        for name in cls.non_nullable_fields:
            if name in data and data[name] is None:
                raise PydanticCustomError(
                    "null_not_allowed",
                    "{field} is required and cannot be cleared.",
                    {"field": name},
                )
        return data

    # Defined after the checks above, so it runs before them: DEL and C1 are refused first.
    @model_validator(mode="wrap")
    @classmethod
    def _refuse_never_characters_once(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Every string of the body, keys included, walked once: a body's nested request
        models (a batch's items) do not walk their part again."""
        if _WALKED.get() or not isinstance(data, dict):
            return handler(data)
        if _holds_never_characters(data):
            _refuse_never_characters(data, "")  # finds the field and raises
        with walked_for_never_characters():
            return handler(data)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldProblem(BaseModel):
    field: str = Field(
        description="Dotted path with indices, e.g. `items.3.email`; "
        "`query.`/`header.` outside the body."
    )
    code: str = Field(
        description="Machine-readable code, e.g. `required`, `unknown_field`, `read_only`, "
        "`not_found`."
    )
    message: str


class UnmetRequirement(BaseModel):
    stage: str = Field(description="Slug of the stage whose requirement failed.")
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem document."""

    type: str = Field(
        description="Problem type URI relative to the API origin, e.g. `/problems/validation`.",
        json_schema_extra={
            "x-extensible-enum": [
                "/problems/validation",
                "/problems/not-found",
                "/problems/unauthenticated",
                "/problems/forbidden",
                "/problems/duplicate",
                "/problems/invalid-transition",
                "/problems/opportunity-closed",
                "/problems/stage-requirements-unmet",
                "/problems/precondition-failed",
                "/problems/idempotency-in-flight",
                "/problems/idempotency-mismatch",
                "/problems/payload-too-large",
                "/problems/unsupported-media-type",
                "/problems/rate-limited",
                "/problems/malformed",
                "/problems/conflict",
                "/problems/method-not-allowed",
                "/problems/unavailable",
            ]
        },
    )
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = Field(
        None, description="Present where input is at fault (validation, malformed)."
    )
    existing_id: str | None = Field(
        None, description="`duplicate`: the record this one duplicates."
    )
    unmet_requirements: list[UnmetRequirement] | None = Field(
        None, description="`stage-requirements-unmet`: what the target stage still needs."
    )


T = TypeVar("T")


# `{items, next_cursor}`, one page of a list; each list names its own (`class ContactPage(
# PageOf[Contact])`), so OpenAPI shows one component per list.
class PageOf(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def _representable(value: datetime) -> datetime:
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not MIN_MOMENT <= in_utc <= MAX_MOMENT:
        raise PydanticCustomError(
            "out_of_range", "Give a time between 1900 and 2999 (RFC 3339 with an offset)."
        )
    return value


MIN_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_MOMENT = datetime(2999, 12, 31, tzinfo=UTC)
# An RFC 3339 time with an offset that PostgreSQL (and Python, once in UTC) can hold.
Moment = Annotated[AwareDatetime, BeforeValidator(strict_moment), AfterValidator(_representable)]
# A calendar date, `YYYY-MM-DD` only (bodies get the same rule from `RequestModel`).
Day = Annotated[date, BeforeValidator(strict_day)]


_CUSTOM_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "null"},
    ]
}
_CUSTOM_DESCRIPTION = (
    "Custom field values by key, typed by their definitions at `/api/v1/custom-fields` "
    "(text, number, money string, `YYYY-MM-DD` date, boolean, select option, list of options)."
)
CustomOut = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": _CUSTOM_VALUE_SCHEMA,
            "description": _CUSTOM_DESCRIPTION + " Every active key is present, null when unset.",
        }
    ),
]
CustomIn = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "maxLength": 2000},
                    {"type": "number"},
                    {"type": "boolean"},
                    {
                        "type": "array",
                        "items": {"type": "string", "maxLength": 200},
                        "maxItems": 100,
                    },
                    {"type": "null"},
                ]
            },
            "maxProperties": 100,
            "description": _CUSTOM_DESCRIPTION
            + " Merged key by key into the stored values; null clears a key.",
        }
    ),
]


def own_fields(model: type[BaseModel]) -> list[str]:
    """The fields of a read model that its record fills, in order: all but the optional
    expansions (default `MISSING`, present only when asked for)."""
    return [name for name, field in model.model_fields.items() if field.default is not MISSING]
