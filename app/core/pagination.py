"""Keyset pagination with opaque, tamper-proof cursors bound to their endpoint and filters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import Literal

from fastapi import Depends
from fastapi import Query
from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.core.config import get_settings
from app.core.errors import Malformed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int,
        Query(ge=1, description="Page size (default 50, larger than 200 is clamped to 200)."),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=2000, description="Opaque cursor from the previous page's next_cursor."),
    ] = None,
) -> PageParams:
    return PageParams(limit=min(limit, MAX_LIMIT), cursor=cursor)


Page = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class ListFilters:
    """Base of a list's typed filters: every field is a query parameter, None when absent.

    A tuple value is a multi-value filter (any of the values). `updated_after` and
    `created_after`, when a list declares them, compare with the row's timestamps.
    """

    def cursor_binding(self) -> dict[str, Any]:
        """The filters a cursor is bound to (a cursor from other filters is refused)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


class SortChoices:
    """The sort orders a list documents: each name ascending, or descending with `-`; the
    first is the default unless `default` names another. `param` is the default of the
    router's `sort: str` parameter: a query parameter whose OpenAPI enum is exactly these values."""

    def __init__(self, *names: str, default: str | None = None, description: str = "") -> None:
        self.names = names
        self.default = default or names[0]
        self.choices = tuple(c for n in names for c in (n, f"-{n}"))
        choices: Any = Literal.__getitem__(self.choices)

        async def sort_param(sort: str) -> str:
            return sort

        sort_param.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "sort",
                    inspect.Parameter.KEYWORD_ONLY,
                    default=self.default,
                    annotation=Annotated[choices, Query(description=description or None)],
                )
            ],
            return_annotation=str,
        )
        self.param: Any = Depends(sort_param)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _signature(payload: bytes) -> bytes:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def filters_digest(endpoint: str, filters: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"e": endpoint, "f": {k: _jsonable(v) for k, v in sorted(filters.items())}},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(endpoint: str, filters: Mapping[str, Any], keys: Sequence[Any]) -> str:
    payload = json.dumps(
        {"b": filters_digest(endpoint, filters), "k": [_jsonable(k) for k in keys]},
        separators=(",", ":"),
    ).encode()
    return base64.urlsafe_b64encode(payload + _signature(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, endpoint: str, filters: Mapping[str, Any]) -> list[Any]:
    """The keys after which the next page starts; 400 for a tampered or foreign cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, signature = raw[:-16], raw[-16:]
        if not hmac.compare_digest(signature, _signature(payload)):
            raise ValueError("bad signature")
        data = json.loads(payload)
        if data["b"] != filters_digest(endpoint, filters):
            raise ValueError("cursor from another endpoint or filter")
        keys = data["k"]
        if not isinstance(keys, list):
            raise ValueError("bad keys")
        return keys
    except (ValueError, KeyError, TypeError) as exc:
        raise Malformed(
            "The cursor is invalid, tampered with, or belongs to another query.",
            extra={"errors": [{"field": "query.cursor", "code": "invalid", "message": str(exc)}]},
        ) from exc


@dataclass(frozen=True)
class SortKey:
    column: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False


def _typed(value: Any, column: ColumnElement[Any] | QueryableAttribute[Any]) -> Any:
    if value is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is Decimal:
        return Decimal(value)
    return python_type(value)


def keyset_after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """WHERE selecting rows strictly after `values` in the order of `keys` (mixed directions)."""
    return keyset_after_params(keys).params(cursor_key_params(keys, values))


def cursor_key_params(keys: Sequence[SortKey], values: Sequence[Any]) -> dict[str, Any]:
    """A decoded cursor's values as the parameters `after_0`, `after_1`, ... of
    `keyset_after_params`, typed like their columns."""
    if len(keys) != len(values):
        raise Malformed("The cursor does not match this endpoint's sort order.")
    try:
        typed = [_typed(v, k.column) for k, v in zip(keys, values, strict=True)]
    except (ValueError, TypeError) as exc:
        raise Malformed("The cursor is invalid.") from exc
    return {f"after_{i}": value for i, value in enumerate(typed)}


def keyset_after_params(keys: Sequence[SortKey]) -> ColumnElement[bool]:
    """`keyset_after` with the cursor's values as parameters, for statements built once."""
    bound = [bindparam(f"after_{i}", type_=k.column.type) for i, k in enumerate(keys)]
    if len({k.descending for k in keys}) == 1:
        # One direction: a row-value comparison, which a btree index on the keys serves.
        row = tuple_(*(k.column for k in keys))
        return row < tuple_(*bound) if keys[0].descending else row > tuple_(*bound)
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == bound[j] for j in range(i)]
        beyond = key.column < bound[i] if key.descending else key.column > bound[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def page_rows(rows: int) -> ColumnElement[Any]:
    """A LIMIT written into the SQL, not bound. With the row count as a parameter, the generic
    plan of a page's prepared statement cannot know the page is small, costs more than a
    planned one, and PostgreSQL plans the statement again at every page: for a manager's page
    of opportunities a millisecond of its CPU, more than running it. A statement per page size
    is few statements: clients keep to a handful of sizes, and the size is at most 200."""
    return literal_column(str(int(rows)))


def paginate(
    stmt: Select[Any],
    keys: Sequence[SortKey],
    page: PageParams,
    endpoint: str,
    filters: Mapping[str, Any],
) -> Select[Any]:
    """Apply cursor, order and limit+1 to `stmt` (the extra row says a next page exists)."""
    if page.cursor:
        stmt = stmt.where(keyset_after(keys, decode_cursor(page.cursor, endpoint, filters)))
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    return stmt.order_by(*order).limit(page_rows(page.limit + 1))


def next_cursor(
    rows: list[Any],
    page: PageParams,
    endpoint: str,
    filters: Mapping[str, Any],
    key_values: Any,
) -> str | None:
    """Trim the extra row and return the cursor for the next page, if any."""
    if len(rows) <= page.limit:
        return None
    del rows[page.limit :]
    return encode_cursor(endpoint, filters, key_values(rows[-1]))


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[SortKey],
    page: PageParams,
    endpoint: str,
    filters: Mapping[str, Any],
) -> tuple[list[Any], str | None]:
    """One keyset page of ORM rows whose sort keys are plain attributes of the row."""
    rows = list((await session.scalars(paginate(stmt, keys, page, endpoint, filters))).all())
    names = [str(key.column.key) for key in keys]
    return rows, next_cursor(
        rows, page, endpoint, filters, lambda row: [getattr(row, n) for n in names]
    )


async def fetch_children(
    session: AsyncSession,
    parent: Any,
    parent_id: Any,
    keys: Sequence[SortKey],
    page: PageParams,
    endpoint: str,
) -> tuple[list[Any], str | None]:
    """One keyset page of the rows of one parent record; `parent` is the rows' foreign-key
    column (e.g. `CommandPlanReview.opportunity_id`) and the cursor is bound to `parent_id`."""
    stmt = select(parent.class_).where(parent == parent_id)
    return await fetch_page(session, stmt, keys, page, endpoint, {parent.key: parent_id})
