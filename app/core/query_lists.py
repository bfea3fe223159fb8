"""Comma-separated query parameters: the multi-value list filters (`AnyOf`: `stage=discovery,
proposal`, `owner_id=<id>,<id>`) and the closed sets of `types=` and `expand=`, parsed into
tuples; anything else a 422 on `query.<name>`."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated
from typing import Any
from typing import TypeVar

from fastapi import Depends
from fastapi import Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from app.core.errors import field_error

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

MAX_VALUES = 50


def split_values(value: Any) -> Any:
    """FastAPI hands a multi-value query parameter over as the list of its occurrences
    (`?stage=a&stage=b`); each may itself be a comma list (`?stage=a,b`). The distinct values,
    in the order given."""
    if not isinstance(value, list):
        return value
    parts = [p.strip() for item in value for p in str(item).split(",")]
    if len(parts) > MAX_VALUES:
        raise PydanticCustomError("too_many_values", f"At most {MAX_VALUES} values.")
    return tuple(dict.fromkeys(parts))


# A list filter (API.md section 10): one value, or up to 50 comma-separated, any of which
# matches; None when absent. OpenAPI declares it an array in the comma form (`explode: false`);
# repeating the parameter works too.
AnyOf = Annotated[
    tuple[T, ...] | None,
    Query(
        description=f"One value, or up to {MAX_VALUES} comma-separated (a row matching any of "
        "them is listed)."
    ),
    BeforeValidator(split_values),
]


def parse_comma_list(text: str, allowed: Iterable[E], field: str) -> tuple[E, ...]:
    """The distinct members named in `text`, in the order given; 422 on `field` otherwise."""
    members = {m.value: m for m in allowed}
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > MAX_VALUES:
        raise field_error(field, "too_many", f"At most {MAX_VALUES} values.")
    unknown = [p for p in parts if p not in members]
    if unknown:
        raise field_error(
            field,
            "invalid",
            f"Unknown value {unknown[0]!r}; expected a comma list of: {', '.join(members)}.",
        )
    return tuple(dict.fromkeys(members[p] for p in parts))


def comma_list(name: str, allowed: Iterable[E], description: str) -> Any:
    """A dependency reading the query parameter `name` as a comma list of `allowed` (None when
    absent). OpenAPI documents it as a string listing the values."""
    choices = tuple(allowed)
    values = ", ".join(f"`{c.value}`" for c in choices)

    async def parse(value: str | None) -> tuple[Any, ...] | None:
        if value is None:
            return None
        return parse_comma_list(value, choices, f"query.{name}")

    parse.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "value",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    Query(
                        alias=name,
                        max_length=1000,
                        description=f"{description} Comma-separated, any of {values}.",
                    ),
                ],
            )
        ],
        return_annotation=Any,
    )
    return Depends(parse)


def built(filters: type[T]) -> Any:
    """`Depends()` for a filter dataclass, built on the event loop. FastAPI calls a class, as any
    sync dependency, in its thread pool: a thread hop per request, a sixth of the worker's time
    on a list page. The parameters are the class's own, read from its signature."""

    async def build(**values: Any) -> T:
        return filters(**values)

    build.__signature__ = inspect.signature(filters, eval_str=True)  # type: ignore[attr-defined]
    return Depends(build)
