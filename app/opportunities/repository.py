"""SQL for opportunities: reads (also as response JSON), lists, history and look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from functools import lru_cache
from typing import Any
from typing import NamedTuple

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import fetch
from app.core.driver import fetch_first
from app.core.enums import Expansion
from app.core.expand import summary
from app.core.json_sql import json_object
from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import cursor_key_params
from app.core.pagination import decode_cursor
from app.core.pagination import fetch_children
from app.core.pagination import keyset_after_params
from app.core.pagination import next_cursor
from app.core.pagination import page_rows
from app.core.repository import Repository
from app.core.repository import add_row
from app.core.repository import check_filter_ids
from app.core.schemas import own_fields
from app.core.security import Principal
from app.core.text_search import matches_param
from app.core.visibility import VIEWER_ID
from app.core.visibility import BoundViewer
from app.core.visibility import Viewer
from app.core.visibility import account_visible
from app.core.visibility import activity_visible
from app.core.visibility import is_manager_of
from app.core.visibility import opportunity_visible
from app.core.visibility import opportunity_visible_parts
from app.core.visibility import user_in_scope
from app.models import Account
from app.models import Activity
from app.models import Lead
from app.models import Opportunity
from app.models import OpportunityHistory
from app.models import Unit
from app.models import User
from app.opportunities.schemas import Opportunity as OpportunityOut
from app.opportunities.schemas import OpportunityFilters

# Opportunities.


@cache
def _visible_by_id(role: str) -> Select[Opportunity]:
    return select(Opportunity).where(
        Opportunity.id == bindparam("opportunity_id"), opportunity_visible(BoundViewer(role))
    )


def _net_arr_sql() -> ColumnElement[Any]:
    """`amount` for new business and expansion; `amount - renewal_arr` for renewals."""
    return case(
        (Opportunity.type != "renewal", Opportunity.amount),
        else_=Opportunity.amount - Opportunity.renewal_arr,
    )


# Where each `?expand=` of an opportunity points.
REFERENCES = {
    Expansion.OWNER: Opportunity.owner_id,
    Expansion.ACCOUNT: Opportunity.account_id,
    Expansion.CONTACT: Opportunity.contact_id,
}


def opportunity_json(viewer: Viewer, expand: tuple[Expansion, ...] = ()) -> ColumnElement[str]:
    """The response document (schemas.Opportunity) as PostgreSQL writes it, with the summaries
    `expand` asks for; `:currency` is bound."""
    own = {
        name: getattr(Opportunity, name)
        for name in own_fields(OpportunityOut)
        if name not in ("net_arr", "currency")
    }
    return json_object(
        OpportunityOut,
        {**own, "net_arr": _net_arr_sql(), "currency": cast(bindparam("currency"), Text)},
        {e.value: summary(e, viewer, REFERENCES[e], Opportunity) for e in expand},
    )


@cache
def _document_by_id(role: str, expand: tuple[Expansion, ...]) -> Select[int, str]:
    viewer = BoundViewer(role)
    return select(Opportunity.version, opportunity_json(viewer, expand)).where(
        Opportunity.id == bindparam("opportunity_id"), opportunity_visible(viewer)
    )


async def get_visible_document(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    currency: str,
    expand: tuple[Expansion, ...] = (),
) -> tuple[int, str] | None:
    """(version, the opportunity as response JSON) when the caller can see it."""
    row = await fetch_first(
        session,
        _document_by_id(principal.role, expand),
        {"opportunity_id": opportunity_id, VIEWER_ID: principal.id, "currency": currency},
    )
    return None if row is None else (row[0], row[1])


async def get_visible(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> Opportunity | None:
    opportunity: Opportunity | None = await session.scalar(
        _visible_by_id(principal.role),
        {"opportunity_id": opportunity_id, VIEWER_ID: principal.id},
    )
    return opportunity


async def visible_exists(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(Opportunity.id).where(
            Opportunity.id == opportunity_id, opportunity_visible(principal)
        )
    )
    return found is not None


async def add(session: AsyncSession, opportunity: Opportunity) -> Opportunity:
    return await add_row(session, opportunity)


async def flush_changes(session: AsyncSession, opportunity: Opportunity, *, custom: bool) -> None:
    """Write the changed attributes; with `custom`, the shown custom values follow the stored."""
    await session.flush()
    if custom:
        await session.refresh(opportunity, ["custom"])


# Sort keys; a missing close date sorts last and a missing amount first (the page statement
# selects the key itself, so the cursor carries the coalesced value).
OPPORTUNITY_SORTS: dict[str, Any] = {
    "created_at": Opportunity.created_at,
    "updated_at": Opportunity.updated_at,
    "name": Opportunity.name,
    "close_date": func.coalesce(Opportunity.close_date, date.max),
    "amount": func.coalesce(Opportunity.amount, Decimal("-1")),
}


# Filters of the list, each a parameter named after its query parameter; the multi-value
# ones (API.md section 10) bound as arrays: `column = ANY(:name)`.
_LIST_FILTERS: dict[str, ColumnElement[bool]] = {
    **{
        name: getattr(Opportunity, name)
        == any_(bindparam(name, type_=ARRAY(getattr(Opportunity, name).type)))
        for name in ("owner_id", "account_id", "stage", "type", "forecast_category")
    },
    "close_date_from": Opportunity.close_date >= bindparam("close_date_from"),
    "close_date_to": Opportunity.close_date <= bindparam("close_date_to"),
    "updated_after": Opportunity.updated_at > bindparam("updated_after"),
    # `q`, bound as `prefix_query(q)`: the name and the account's name (a kept search vector).
    "q": matches_param(Opportunity.search_vector, "q"),
}


def _list_keys(sort: str) -> list[SortKey]:
    descending = sort.startswith("-")
    key = OPPORTUNITY_SORTS[sort.lstrip("-")]
    return [SortKey(key, descending), SortKey(Opportunity.id, descending)]


class ListShape(NamedTuple):
    """What a page's statement is built for; the filters' values, the viewer and the cursor's
    keys are its parameters."""

    role: str
    sort: str
    filters: tuple[str, ...]  # the names of the filters given
    after_cursor: bool
    expand: tuple[Expansion, ...]
    rows: int  # the page size and one more


@lru_cache(maxsize=512)  # bounded: filter combinations are many, few are used
def _list_statement(shape: ListShape) -> Select[Any]:
    """Built once per shape."""
    return _build_list_statement(shape)


def _build_list_statement(
    shape: ListShape, conditions: Sequence[ColumnElement[bool]] = ()
) -> Select[Any]:
    """The page's ids come first, then only the page's rows are read and written as JSON.
    Visibility is checked on index entries: a (sort key, id) index carries owner_id and
    account_id, so the rows skipped cost no heap visit. A rep sees few rows among many: each
    part of what they see (their own, their territories' accounts) takes its own page, from
    the (owner_id, created_at, id) and (account_id, created_at, id) indexes, and the union's
    first page is the page. `conditions` (the custom field filters, values inlined as bound
    literals) make a statement of its own. The rows read are written into the SQL
    (`page_rows`)."""
    role, sort, filters, after_cursor, expand, rows = shape
    keys = _list_keys(sort)
    limit = page_rows(rows)
    viewer = BoundViewer(role)
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]

    def first_page(visible: ColumnElement[bool]) -> Select[Any]:
        ids = select(Opportunity.id, keys[0].column.label("sort_key"))
        ids = ids.where(visible, *conditions, *(_LIST_FILTERS[name] for name in filters))
        if after_cursor:
            ids = ids.where(keyset_after_params(keys))
        return ids.order_by(*order).limit(limit)

    parts = [first_page(visible) for visible in opportunity_visible_parts(viewer)]
    page_ids = parts[0].subquery("page_ids")
    if len(parts) > 1:
        merged = union(*parts).subquery("visible_ids")
        merged_order = [
            c.desc() if keys[0].descending else c.asc() for c in (merged.c.sort_key, merged.c.id)
        ]
        page_ids = select(merged.c.id).order_by(*merged_order).limit(limit).subquery("page_ids")
    return (
        select(Opportunity.id, keys[0].column.label("sort_key"), opportunity_json(viewer, expand))
        .join(page_ids, page_ids.c.id == Opportunity.id)
        .order_by(*order)
    )


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: OpportunityFilters,
    sort: str,
    currency: str,
    expand: Sequence[Expansion] = (),
    *,
    conditions: Sequence[ColumnElement[bool]] = (),
    custom: Mapping[str, str] | None = None,
) -> tuple[list[str], str | None]:
    """A page of visible opportunities as response JSON texts, and the next cursor (bound to
    the filters, the custom ones included, and the sort)."""
    # Every filter, absent ones as None, binds the cursor (as when the filters were a dict).
    given = vars(filters)
    present = {k: list(v) if isinstance(v, tuple) else v for k, v in given.items() if v is not None}
    cursor_filters = {**given, **(custom or {}), "sort": sort}
    params: dict[str, Any] = {
        **present,
        VIEWER_ID: principal.id,
        "currency": currency,
    }
    if page.cursor:
        values = decode_cursor(page.cursor, "opportunities", cursor_filters)
        params |= cursor_key_params(_list_keys(sort), values)
    shape = ListShape(
        principal.role,
        sort,
        tuple(sorted(present)),
        bool(page.cursor),
        tuple(expand),
        page.limit + 1,
    )
    stmt = _build_list_statement(shape, conditions) if conditions else _list_statement(shape)
    rows = list(await fetch(session, stmt, params))
    cursor = next_cursor(rows, page, "opportunities", cursor_filters, lambda r: [r[1], r[0]])
    return [row[2] for row in rows], cursor


# What the create and update rules look up.


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead | None:
    return await session.get(Lead, lead_id)


async def visible_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id, user_in_scope(principal)))


async def manages(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> bool:
    """Whether the caller is a manager of `user_id` (admins manage everyone)."""
    found = await session.scalar(
        select(literal(True)).where(is_manager_of(principal, literal(user_id)))
    )
    return bool(found)


async def visible_activity(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(Activity.id).where(Activity.id == activity_id, activity_visible(principal))
    )
    return found is not None


async def units_outside_account(
    session: AsyncSession, unit_ids: Sequence[uuid.UUID], account_id: uuid.UUID
) -> list[uuid.UUID]:
    inside = set(
        (
            await session.scalars(
                select(Unit.id).where(Unit.id.in_(unit_ids), Unit.account_id == account_id)
            )
        ).all()
    )
    return [u for u in unit_ids if u not in inside]


# History.


@dataclass(frozen=True)
class HistoryRow:
    field: str
    old: str | None
    new: str | None
    reason: str | None = None


async def append_history(
    session: AsyncSession,
    opportunity_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    rows: Sequence[HistoryRow],
) -> None:
    """Inserts in the given order; `seq` keeps that order for readers."""
    if not rows:
        return
    await session.execute(
        insert(OpportunityHistory),
        [
            {
                "opportunity_id": opportunity_id,
                "actor_id": actor_id,
                "field": r.field,
                "old": r.old,
                "new": r.new,
                "reason": r.reason,
            }
            for r in rows
        ],
    )


async def history_page(
    session: AsyncSession, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[OpportunityHistory], str | None]:
    keys = [SortKey(OpportunityHistory.seq)]
    return await fetch_children(
        session,
        OpportunityHistory.opportunity_id,
        opportunity_id,
        keys,
        page,
        "opportunity-history",
    )


# Facts for the stage validator, computed by PostgreSQL.


async def check_account_filter(
    session: AsyncSession, principal: Principal, account_ids: Sequence[uuid.UUID] | None
) -> None:
    """Accounts a list filter names must be visible (the rule built only for a filter given:
    most pages have none)."""
    if account_ids:
        rule = account_visible(principal, Account.id)
        await check_filter_ids(session, Account.id, rule, account_ids, "query.account_id")


class OpportunityRepository(Repository[Opportunity]):
    model = Opportunity
    endpoint = "opportunities"
    references = REFERENCES

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return opportunity_visible(viewer)
