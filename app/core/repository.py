"""`Repository[M]`: what every table's repository does the same way — read a visible row, lock
one, add one, apply a patch (version and `updated_at` bumped in one place) and serve a keyset
page driven by declared sorts and a typed filter object. A domain repository declares its
model, its visibility and its filters, and adds only its named queries.

Filters are `ListFilters` dataclasses defined beside the schemas (routers build them from the
query string); `filter_columns` and `conditions` turn one into WHERE clauses. Sorts are
declared as `SortChoices` beside the schemas (the router's `sort` parameter and its OpenAPI
enum) and mapped to columns by `sort_columns`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import ClassVar
from typing import Generic
from typing import Protocol
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import Executable
from sqlalchemy import RowMapping
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.core.enums import Expansion
from app.core.errors import Duplicate
from app.core.errors import found
from app.core.errors import not_visible
from app.core.expand import Expanded
from app.core.expand import expanded_rows
from app.core.expand import summary_columns
from app.core.http import check_if_match
from app.core.pagination import ListFilters
from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import next_cursor
from app.core.pagination import paginate
from app.core.sql import in_array
from app.core.visibility import Viewer

M = TypeVar("M")


def columns(model: Any, *names: str) -> dict[str, Any]:
    """`{name: model.name}` for declaring a repository's sorts and equality filters."""
    return {name: getattr(model, name) for name in names}


def any_of(column: Any, value: Any) -> Iterable[ColumnElement[bool]]:
    """`column = value` (or any of a tuple of values); nothing when the filter is absent."""
    if value is None:
        return
    if isinstance(value, tuple) and len(value) == 1:
        yield column == value[0]
    elif isinstance(value, tuple):
        yield in_array(column, value)
    else:
        yield column == value


def after(column: Any, value: datetime | None) -> Iterable[ColumnElement[bool]]:
    if value is not None:
        yield column > value


async def visible_ids(
    session: AsyncSession, id_column: Any, rule: ColumnElement[bool], ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` pass `rule`, in one statement whatever their number."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(select(id_column).where(in_array(id_column, wanted), rule))
    return set(rows)


async def check_filter_ids(
    session: AsyncSession,
    id_column: Any,
    rule: ColumnElement[bool],
    values: Iterable[Any] | None,
    field: str,
) -> None:
    """Every id a list filter names must pass the visibility `rule` (else 422 `not_found` on
    `field`, as for ids in bodies: an id the caller cannot see is no empty list). Values that
    are no ids (`owner_id=none`) are the list's own business."""
    ids = {v for v in values or () if isinstance(v, uuid.UUID)}
    if ids and len(await visible_ids(session, id_column, rule, ids)) < len(ids):
        raise not_visible(field)


class Repository(Generic[M]):
    """One table's SQL. `visible(viewer)` is the table's visibility rule (API.md section 2);
    `sort_columns` maps a list's sort names to columns; `filter_columns` maps filter fields
    compared for equality; `conditions` adds the others."""

    model: ClassVar[type[Any]]
    endpoint: ClassVar[str] = ""
    sort_columns: ClassVar[Mapping[str, Any]] = {}
    filter_columns: ClassVar[Mapping[str, Any]] = {}
    # The column each `?expand=` the table offers follows (API.md section 12).
    references: ClassVar[Mapping[Expansion, Any]] = {}

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> list[RowMapping]:
        """A named query's rows, as mappings."""
        return list((await self.session.execute(statement, params)).mappings())

    # ---- single rows ----------------------------------------------------------------------

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return true()

    @property
    def id_column(self) -> QueryableAttribute[Any]:
        column: QueryableAttribute[Any] = self.model.id
        return column

    async def get(self, id: Any) -> M | None:
        row: M | None = await self.session.get(self.model, id)
        return row

    async def get_visible(self, viewer: Viewer, id: Any, *, for_update: bool = False) -> M | None:
        """The row when `viewer` may see it; with `for_update` locked and read afresh."""
        stmt = select(self.model).where(self.id_column == id, self.visible(viewer))
        if for_update:
            stmt = stmt.with_for_update(of=self.model).execution_options(populate_existing=True)
        row: M | None = await self.session.scalar(stmt)
        return row

    async def find(self, viewer: Viewer, id: Any, *, missing: str, for_update: bool = False) -> M:
        """The visible row, else 404 with `missing` as the detail (an invisible row is absent)."""
        return found(await self.get_visible(viewer, id, for_update=for_update), missing)

    async def find_expanded(
        self, viewer: Viewer, id: Any, expand: Sequence[Expansion], *, missing: str
    ) -> Expanded[M]:
        """`find` with the summaries `expand` asks for, in the same statement."""
        stmt = select(self.model, *self.summary_columns(viewer, expand)).where(
            self.id_column == id, self.visible(viewer)
        )
        row = found((await self.session.execute(stmt)).first(), missing)
        return expanded_rows([row], expand)[0]

    def summary_columns(
        self, viewer: Viewer, expand: Sequence[Expansion]
    ) -> list[ColumnElement[Any]]:
        return summary_columns(expand, viewer, self.references, self.model)

    async def get_for_update(self, id: Any) -> M | None:
        stmt = (
            select(self.model)
            .where(self.id_column == id)
            .with_for_update(of=self.model)
            .execution_options(populate_existing=True)
        )
        row: M | None = await self.session.scalar(stmt)
        return row

    async def is_visible(self, viewer: Viewer, id: Any) -> bool:
        return bool(await self.visible_ids(viewer, [id]))

    async def visible_ids(self, viewer: Viewer, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of `ids` the viewer may see (one statement whatever their number)."""
        return await visible_ids(self.session, self.id_column, self.visible(viewer), ids)

    async def check_filter(
        self,
        viewer: Viewer,
        values: Iterable[Any] | None,
        field: str,
        rule: ColumnElement[bool] | None = None,
    ) -> None:
        """Every id a list filter names must be one the viewer sees; `rule` replaces the
        table's visibility rule where a narrower one applies (see `check_filter_ids`)."""
        if not values:
            return  # no filter given: not even the rule is built
        visible = self.visible(viewer) if rule is None else rule
        await check_filter_ids(self.session, self.id_column, visible, values, field)

    async def add(self, entity: M) -> M:
        return await add_row(self.session, entity)

    async def apply_patch(self, entity: M, changes: Mapping[str, Any]) -> dict[str, Any]:
        return await apply_patch(self.session, entity, changes)

    async def delete(self, entity: M) -> None:
        await self.session.delete(entity)
        await self.session.flush()

    @asynccontextmanager
    async def unique(
        self, detail: str, existing: Callable[[], Awaitable[Any]]
    ) -> AsyncIterator[None]:
        """Flush what the block writes in a savepoint, so that a unique violation (a concurrent
        twin) becomes 409 `duplicate` with `existing()` as `existing_id`, never a 500."""
        try:
            async with self.session.begin_nested():
                yield
                await self.session.flush()
        except IntegrityError as exc:
            raise Duplicate(detail, await existing()) from exc

    # ---- lists ----------------------------------------------------------------------------

    def conditions(self, filters: Any) -> Iterable[ColumnElement[bool]]:
        """WHERE clauses of the filters `filter_columns` does not cover."""
        return ()

    def list_statement(self, viewer: Viewer, filters: ListFilters) -> Select[Any]:
        stmt = select(self.model).where(self.visible(viewer))
        for clause in self.filter_clauses(filters):
            stmt = stmt.where(clause)
        return stmt

    def filter_clauses(self, filters: ListFilters) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for f in fields(filters):
            value = getattr(filters, f.name)
            if f.name in self.filter_columns:
                clauses.extend(any_of(self.filter_columns[f.name], value))
            elif f.name == "updated_after":
                clauses.extend(after(self.model.updated_at, value))
            elif f.name == "created_after":
                clauses.extend(after(self.model.created_at, value))
        clauses.extend(self.conditions(filters))
        return clauses

    def sort_keys(self, sort: str) -> list[SortKey]:
        descending = sort.startswith("-")
        column = self.sort_columns[sort.lstrip("-")]
        return [SortKey(column, descending), SortKey(self.id_column, descending)]

    async def list_page(
        self,
        viewer: Viewer,
        page: PageParams,
        filters: ListFilters,
        sort: str,
        *,
        statement: Select[Any] | None = None,
        conditions: Sequence[ColumnElement[bool]] = (),
        also_bound: Mapping[str, Any] | None = None,
    ) -> tuple[list[M], str | None]:
        """One keyset page of the visible rows matching `filters` (and `conditions`, filters
        not in the typed object such as `custom.<key>`, named in `also_bound`), in `sort`
        order (`id` breaks ties); the cursor is bound to the endpoint, the filters and the
        sort."""
        stmt = statement if statement is not None else self.list_statement(viewer, filters)
        rows, cursor = await self._page(stmt, page, filters, sort, conditions, also_bound)
        return [row[0] for row in rows], cursor

    async def list_page_expanded(
        self,
        viewer: Viewer,
        page: PageParams,
        filters: ListFilters,
        sort: str,
        expand: Sequence[Expansion],
        *,
        conditions: Sequence[ColumnElement[bool]] = (),
        also_bound: Mapping[str, Any] | None = None,
    ) -> tuple[list[Expanded[M]], str | None]:
        """`list_page` with the summaries `expand` asks for, in the same statement."""
        stmt = self.list_statement(viewer, filters).add_columns(
            *self.summary_columns(viewer, expand)
        )
        rows, cursor = await self._page(stmt, page, filters, sort, conditions, also_bound)
        return expanded_rows(rows, expand), cursor

    async def _page(
        self,
        stmt: Select[Any],
        page: PageParams,
        filters: ListFilters,
        sort: str,
        conditions: Sequence[ColumnElement[bool]],
        also_bound: Mapping[str, Any] | None,
    ) -> tuple[list[Any], str | None]:
        """Rows whose first item is the record, cut to the page; the next page's cursor."""
        if conditions:
            stmt = stmt.where(*conditions)
        keys = self.sort_keys(sort)
        binding = {**filters.cursor_binding(), **(also_bound or {}), "sort": sort}
        stmt = paginate(stmt, keys, page, self.endpoint, binding)
        rows = list((await self.session.execute(stmt)).all())
        cursor = next_cursor(
            rows, page, self.endpoint, binding, lambda row: self.cursor_values(row[0], keys)
        )
        return rows, cursor

    def cursor_values(self, entity: Any, keys: Sequence[SortKey]) -> list[Any]:
        """The sort keys' values of a page's last row (a sort on an expression overrides)."""
        return [getattr(entity, str(key.column.key)) for key in keys]


class HasVersion(Protocol):
    """A row with a version (its ETag)."""

    version: Any


V = TypeVar("V", bound=HasVersion)


class Finder(Generic[M]):
    """A record's finder, as a service declares it (`get_account = Finder(AccountRepository,
    "No such account.")`). Called, `Repository.find`: the visible row (locked and read afresh
    `for_update`), else 404 saying `missing`; `.expanded` adds the `?expand=` summaries;
    `.for_change` locks it for a change and holds it to If-Match."""

    def __init__(
        self,
        repository: Callable[[AsyncSession], Repository[M]],
        missing: str,
        may_change: Callable[[M, Any], None] | None = None,
    ) -> None:
        self.repository = repository
        self.missing = missing
        self.may_change = may_change

    async def __call__(
        self, session: AsyncSession, viewer: Viewer, id: uuid.UUID, *, for_update: bool = False
    ) -> M:
        repository = self.repository(session)
        return await repository.find(viewer, id, missing=self.missing, for_update=for_update)

    async def expanded(
        self, session: AsyncSession, viewer: Viewer, id: uuid.UUID, expand: Sequence[Expansion]
    ) -> Expanded[M]:
        """The visible row with the summaries `?expand=` asks for (`Repository.find_expanded`)."""
        repository = self.repository(session)
        return await repository.find_expanded(viewer, id, expand, missing=self.missing)

    async def for_change(
        self: Finder[V], session: AsyncSession, viewer: Viewer, id: uuid.UUID, if_match: str | None
    ) -> V:
        """The row locked for a change: `may_change` (when given) refuses a viewer who may
        see but not change it, then the request's `If-Match` is held to its version (412)."""
        row = await self(session, viewer, id, for_update=True)
        if self.may_change is not None:
            self.may_change(row, viewer)
        check_if_match(if_match, row.version)
        return row


async def add_row(session: AsyncSession, entity: M) -> M:
    """INSERT and read back what PostgreSQL filled in (id, defaults, timestamps)."""
    session.add(entity)
    await session.flush()
    await session.refresh(entity)
    return entity


async def apply_patch(
    session: AsyncSession, entity: Any, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Write the changed values of `changes` to `entity`; when anything changed, bump its
    `version` and `updated_at`. Returns what changed (empty: nothing written)."""
    changed = {k: v for k, v in changes.items() if getattr(entity, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(entity, name, value)
        bump_version(entity)
        await session.flush()
        if "custom_values" in changed:  # the shown custom values follow the stored ones
            await session.refresh(entity, ["custom"])
    return changed


def bump_version(entity: Any) -> None:
    """A changed row gets the next `version` (its ETag) and a new `updated_at`."""
    entity.version += 1
    entity.updated_at = datetime.now(UTC)
