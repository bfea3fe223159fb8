"""SQL for leads, touches and the follow-up report.

Duplicates are enforced by PostgreSQL (the partial unique index `uq_leads_open_email` on the
lower-cased email of open leads, and `uq_leads_source_external_id`); this module turns their
violations into 409s. Batches are set-based: each step is one statement over `unnest` arrays.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.errors import Conflict, Duplicate
from app.core.pagination import (
    PageParams,
    SortKey,
    contains_pattern,
    fetch_page,
    next_cursor,
    paginate,
)
from app.core.repository import Repository
from app.core.security import Principal
from app.core.sql import in_array
from app.core.visibility import (
    Viewer,
    activity_visible,
    lead_visible,
    territory_visible,
    user_visible,
)
from app.leads.rules import CLOSED_STATUSES
from app.models import Account, Activity, Lead, Territory, Touch, User

OPEN_EMAIL_INDEX = "uq_leads_open_email"
EXTERNAL_ID_INDEX = "uq_leads_source_external_id"


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the unique index or constraint PostgreSQL reported."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None)
    return str(name) if name else None


def is_open() -> ColumnElement[bool]:
    return Lead.status.not_in(CLOSED_STATUSES)


# ---- single leads ---------------------------------------------------------------------------


async def get_visible(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID, *, for_update: bool = False
) -> Lead | None:
    stmt = select(Lead).where(Lead.id == lead_id, lead_visible(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Lead)
    return await session.scalar(stmt)


async def get_by_external_id(
    session: AsyncSession, source: str, external_id: str, *, for_update: bool = False
) -> Lead | None:
    stmt = select(Lead).where(Lead.source == source, Lead.external_id == external_id)
    if for_update:
        stmt = stmt.with_for_update(of=Lead)
    return await session.scalar(stmt)


async def is_visible(session: AsyncSession, principal: Principal, lead_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Lead.id).where(Lead.id == lead_id, lead_visible(principal)))
    return found is not None


async def visible_lead_ids(
    session: AsyncSession, principal: Principal, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Lead.id).where(in_array(Lead.id, wanted), lead_visible(principal))
    )
    return set(rows)


async def open_lead_id(
    session: AsyncSession, email: str, except_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    stmt = select(Lead.id).where(func.lower(Lead.email) == email.lower(), is_open())
    if except_id is not None:
        stmt = stmt.where(Lead.id != except_id)
    return await session.scalar(stmt.limit(1))


class ExternalIdTaken(Duplicate):
    """The (source, external_id) pair is taken: an upsert racing another one retries as update."""


async def _duplicate(
    session: AsyncSession,
    exc: IntegrityError,
    *,
    email: str,
    source: str | None = None,
    external_id: str | None = None,
    except_id: uuid.UUID | None = None,
) -> Duplicate:
    constraint = violated_constraint(exc)
    if constraint == EXTERNAL_ID_INDEX and source is not None and external_id is not None:
        existing = await get_by_external_id(session, source, external_id)
        return ExternalIdTaken(
            f"A lead with external_id {external_id!r} exists for source {source!r}.",
            existing.id if existing else None,
        )
    if constraint == OPEN_EMAIL_INDEX:
        return Duplicate(
            "An open lead with this email exists.", await open_lead_id(session, email, except_id)
        )
    raise exc


async def insert_lead(session: AsyncSession, values: Mapping[str, Any]) -> Lead:
    """INSERT one lead; a unique violation becomes 409 `duplicate` with the existing id."""
    stmt = insert(Lead).values(**values).returning(Lead)
    try:
        async with session.begin_nested():
            lead = await session.scalar(stmt)
    except IntegrityError as exc:
        raise await _duplicate(
            session,
            exc,
            email=values["email"],
            source=values.get("source"),
            external_id=values.get("external_id"),
        ) from None
    assert lead is not None
    return lead


async def save_lead(session: AsyncSession, lead: Lead, changes: Mapping[str, Any]) -> Lead:
    """Write `changes` to a loaded lead inside a savepoint (opened before the attributes change,
    since opening one flushes); a unique violation becomes 409 `duplicate`."""
    email = changes.get("email", lead.email)
    source, external_id = lead.source, changes.get("external_id", lead.external_id)
    lead_id = lead.id
    try:
        async with session.begin_nested():
            for name, value in changes.items():
                setattr(lead, name, value)
            await session.flush()
    except IntegrityError as exc:
        raise await _duplicate(
            session,
            exc,
            email=email,
            source=source,
            external_id=external_id,
            except_id=lead_id,
        ) from None
    return lead


# ---- what ids in a request may name ---------------------------------------------------------


async def visible_activity_ids(
    session: AsyncSession, principal: Principal, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Activity.id).where(in_array(Activity.id, wanted), activity_visible(principal))
    )
    return set(rows)


async def visible_account_ids(
    session: AsyncSession, principal: Principal, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Account.id).where(
            in_array(Account.id, wanted), territory_visible(principal, Account.territory_id)
        )
    )
    return set(rows)


@dataclass(frozen=True)
class OwnerCandidate:
    id: uuid.UUID
    role: str
    active: bool


async def visible_users(
    session: AsyncSession, principal: Principal, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, OwnerCandidate]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(User.id, User.role, User.active).where(
            in_array(User.id, wanted), user_visible(principal)
        )
    )
    return {r.id: OwnerCandidate(r.id, r.role, r.active) for r in rows}


@dataclass(frozen=True)
class Route:
    account_id: uuid.UUID
    owner_id: uuid.UUID


async def routes(
    session: AsyncSession, domains: Iterable[str], account_ids: Iterable[uuid.UUID]
) -> tuple[dict[str, Route], dict[uuid.UUID, Route]]:
    """Accounts (with their territory owner) by domain and by id, in one query."""
    domain_list = list({d for d in domains if d})
    id_list = list(set(account_ids))
    if not domain_list and not id_list:
        return {}, {}
    rows = await session.execute(
        select(Account.id, Account.domain, Territory.owner_id)
        .join(Territory, Territory.id == Account.territory_id)
        .where(or_(in_array(Account.domain, domain_list), in_array(Account.id, id_list)))
    )
    by_domain: dict[str, Route] = {}
    by_id: dict[uuid.UUID, Route] = {}
    for account_id, domain, owner_id in rows:
        route = Route(account_id, owner_id)
        by_id[account_id] = route
        if domain:
            by_domain[domain] = route
    return by_domain, by_id


# ---- lists ----------------------------------------------------------------------------------

LEAD_SORTS = {
    "created_at": Lead.created_at,
    "updated_at": Lead.updated_at,
    "received_at": Lead.received_at,
}


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Lead], str | None]:
    descending = sort.startswith("-")
    column = LEAD_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Lead.id, descending)]
    stmt: Select[Any] = select(Lead).where(lead_visible(principal))
    for name in ("status", "owner_id", "account_id", "activity_id", "persona"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Lead, name) == filters[name])
    if filters.get("inbound") is not None:
        stmt = stmt.where(Lead.inbound.is_(filters["inbound"]))
    if filters.get("q"):
        pattern = contains_pattern(filters["q"])
        full_name = func.concat_ws(" ", Lead.first_name, Lead.last_name)
        stmt = stmt.where(
            or_(
                Lead.email.ilike(pattern, escape="\\"),
                Lead.company.ilike(pattern, escape="\\"),
                full_name.ilike(pattern, escape="\\"),
            )
        )
    if filters.get("created_after"):
        stmt = stmt.where(Lead.created_at > filters["created_after"])
    if filters.get("updated_after"):
        stmt = stmt.where(Lead.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "leads", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "leads", cursor_filters, lambda lead: [getattr(lead, column.key), lead.id]
    )
    return rows, cursor


# ---- touches --------------------------------------------------------------------------------


async def add_touch(session: AsyncSession, values: Mapping[str, Any]) -> Touch:
    """Record a touch and update the lead's counters in SQL (the lead row is locked first)."""
    touch: Touch | None = await session.scalar(insert(Touch).values(**values).returning(Touch))
    assert touch is not None
    occurred = touch.occurred_at
    await session.execute(
        update(Lead)
        .where(Lead.id == touch.lead_id)
        .values(
            touch_count=Lead.touch_count + 1,
            last_touch_at=func.greatest(Lead.last_touch_at, occurred),
            first_response_at=(
                func.least(Lead.first_response_at, occurred)
                if touch.direction == "outbound"
                else Lead.first_response_at
            ),
            version=Lead.version + 1,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )
    return touch


async def get_touch(session: AsyncSession, lead_id: uuid.UUID, touch_id: uuid.UUID) -> Touch | None:
    return await session.scalar(select(Touch).where(Touch.id == touch_id, Touch.lead_id == lead_id))


async def list_touches(
    session: AsyncSession, lead_id: uuid.UUID, page: PageParams, sort: str
) -> tuple[list[Touch], str | None]:
    descending = sort.startswith("-")
    keys = [SortKey(Touch.occurred_at, descending), SortKey(Touch.id, descending)]
    filters = {"lead_id": lead_id, "sort": sort}
    stmt = select(Touch).where(Touch.lead_id == lead_id)
    return await fetch_page(session, stmt, keys, page, "touches", filters)


# ---- follow-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    inbound_response_hours: int
    touches_per_month: int
    min_channels: int
    breakup_after_days: int


def _day_start(tz: str, days_back: int) -> ColumnElement[Any]:
    """Midnight `days_back` days before today in `tz`, as a timestamptz."""
    local_today = func.date_trunc("day", func.timezone(tz, func.now()))
    return func.timezone(tz, local_today - func.make_interval(0, 0, 0, days_back))


def _local_date(tz: str, moment: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.date(func.timezone(tz, moment))


def follow_up_query(principal: Principal, cadence: Cadence, tz: str) -> Select[Any]:
    """One row per visible open lead with its cadence figures and next action (one query)."""
    outbound = Touch.direction == "outbound"
    inbound = Touch.direction == "inbound"
    in_30_days = Touch.occurred_at >= _day_start(tz, 29)
    in_breakup_window = Touch.occurred_at >= _day_start(tz, cadence.breakup_after_days - 1)

    touches_30 = func.count(Touch.id).filter(outbound, in_30_days)
    channels_30 = func.count(distinct(Touch.channel)).filter(outbound, in_30_days)
    outbound_window = func.count(Touch.id).filter(outbound, in_breakup_window)
    inbound_window = func.count(Touch.id).filter(inbound, in_breakup_window)
    breakup_sent = func.coalesce(func.bool_or(Touch.breakup), False)
    any_outbound = func.coalesce(func.bool_or(outbound), False)
    repeated = func.count(Touch.content_ref).filter(outbound) > func.count(
        distinct(Touch.content_ref)
    ).filter(outbound)
    overdue = and_(
        Lead.inbound.is_(True),
        ~any_outbound,
        Lead.received_at
        < func.now() - func.make_interval(0, 0, 0, 0, cadence.inbound_response_hours),
    )
    last_seen = func.coalesce(func.max(Touch.occurred_at), Lead.received_at)
    stale_days = type_coerce(
        func.greatest(_local_date(tz, func.now()) - _local_date(tz, last_seen), 0), Integer
    )
    next_action = case(
        (overdue, literal("respond")),
        (
            and_(
                outbound_window >= cadence.touches_per_month,
                inbound_window == 0,
                ~breakup_sent,
            ),
            literal("send_breakup_email"),
        ),
        (touches_30 < cadence.touches_per_month, literal("touch")),
        (channels_30 < cadence.min_channels, literal("vary_channel")),
        (repeated, literal("new_content")),
        else_=literal("none"),
    )
    return (
        select(
            Lead.id.label("lead_id"),
            Lead.owner_id.label("owner_id"),
            Lead.received_at.label("received_at"),
            overdue.label("response_overdue"),
            touches_30.label("touches_last_30_days"),
            channels_30.label("channels_last_30_days"),
            repeated.label("repeated_content"),
            stale_days.label("stale_days"),
            next_action.label("next_action"),
        )
        .select_from(Lead)
        .outerjoin(Touch, Touch.lead_id == Lead.id)
        .where(lead_visible(principal), is_open())
        .group_by(Lead.id)
    )


FOLLOW_UP_SORTS = ("received_at", "stale_days")


async def follow_up_page(
    session: AsyncSession,
    principal: Principal,
    cadence: Cadence,
    tz: str,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Any], str | None]:
    report = follow_up_query(principal, cadence, tz)
    if filters.get("owner_id") is not None:
        report = report.where(Lead.owner_id == filters["owner_id"])
    rows_sq = report.subquery("follow_up")
    descending = sort.startswith("-")
    column = rows_sq.c[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(rows_sq.c.lead_id, descending)]
    stmt = select(rows_sq)
    if filters.get("next_action") is not None:
        stmt = stmt.where(rows_sq.c.next_action == filters["next_action"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "follow-up", cursor_filters)
    rows = list((await session.execute(stmt)).all())
    key_name = sort.lstrip("-")
    cursor = next_cursor(
        rows, page, "follow-up", cursor_filters, lambda r: [getattr(r, key_name), r.lead_id]
    )
    return rows, cursor


# ---- batches (set-based) --------------------------------------------------------------------

BATCH_COLUMNS: dict[str, str] = {
    "source": "text",
    "external_id": "text",
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "title": "text",
    "phone": "text",
    "company": "text",
    "domain": "text",
    "account_id": "uuid",
    "owner_id": "uuid",
    "persona": "text",
    "bpm_stage": "text",
    "inbound": "bool",
    "status": "text",
    "disqualify_reason": "text",
    "received_at": "timestamptz",
    "activity_id": "uuid",
    "created_by": "uuid",
}

# What `on_duplicate: merge` may fill on an existing open lead (never status, owner or account).
MERGE_COLUMNS: dict[str, str] = {
    "first_name": "text",
    "last_name": "text",
    "title": "text",
    "phone": "text",
    "company": "text",
    "persona": "text",
    "bpm_stage": "text",
    "activity_id": "uuid",
}

# What an update by external id may write (never status, owner or account).
UPSERT_COLUMNS: dict[str, str] = {
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "title": "text",
    "phone": "text",
    "company": "text",
    "domain": "text",
    "persona": "text",
    "bpm_stage": "text",
    "inbound": "bool",
    "disqualify_reason": "text",
    "received_at": "timestamptz",
    "activity_id": "uuid",
}


def _unnest(columns: Mapping[str, str]) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns.items())
    return f"unnest({arrays}) AS v({', '.join(columns)})"


def _arrays(rows: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> dict[str, list[Any]]:
    return {name: [row.get(name) for row in rows] for name in columns}


async def lock_by_external_ids(
    session: AsyncSession, source: str, external_ids: Sequence[str]
) -> dict[str, Lead]:
    if not external_ids:
        return {}
    # One unique-index probe per wanted id, forced by the LATERAL subquery (a locking subquery
    # is never flattened into a join). As `external_id = ANY(...)` the planner may instead walk
    # every lead of the source and filter, which it prefers whenever its statistics predate the
    # source's recent leads: 160,000 rows read for a batch of new ids, 220 ms instead of 5.
    wanted = (
        func.unnest(bindparam("external_ids", list(set(external_ids)), type_=ARRAY(Text)))
        .table_valued("external_id")
        .render_derived(name="wanted")
    )
    match = (
        select(Lead)
        .where(Lead.source == source, Lead.external_id == wanted.c.external_id)
        .with_for_update()
        .lateral("match")
    )
    rows = await session.scalars(
        select(aliased(Lead, match)).select_from(wanted).join(match, true())
    )
    return {lead.external_id: lead for lead in rows if lead.external_id is not None}


async def open_ids_by_email(
    session: AsyncSession, emails: Iterable[str], except_ids: Iterable[uuid.UUID] = ()
) -> dict[str, uuid.UUID]:
    """Open leads by lower-cased email, in one query."""
    wanted = list({e.lower() for e in emails})
    if not wanted:
        return {}
    email = func.lower(Lead.email, type_=Text)
    stmt = select(email, Lead.id).where(in_array(email, wanted), is_open())
    excluded = list(set(except_ids))
    if excluded:
        stmt = stmt.where(Lead.id.not_in(excluded))
    return {email: lead_id for email, lead_id in await session.execute(stmt)}


async def insert_many(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[str, uuid.UUID]:
    """INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING; the new ids by lower(email).

    Rows that hit a unique index (a concurrent writer got there first) are simply absent.
    """
    if not rows:
        return {}
    names = ", ".join(BATCH_COLUMNS)
    values = ", ".join(
        "COALESCE(v.received_at, now())" if n == "received_at" else f"v.{n}" for n in BATCH_COLUMNS
    )
    stmt = text(
        f"INSERT INTO leads ({names}) SELECT {values} FROM {_unnest(BATCH_COLUMNS)} "
        "ON CONFLICT DO NOTHING RETURNING lower(email), id"
    )
    result = await session.execute(stmt, _arrays(rows, BATCH_COLUMNS))
    return {email: lead_id for email, lead_id in result}


async def merge_many(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Fill only the empty fields of existing open leads (`id` in each row), in one UPDATE."""
    if not rows:
        return
    columns = {"id": "uuid", **MERGE_COLUMNS}
    sets = ", ".join(
        f"{n} = COALESCE(NULLIF(l.{n}, ''), v.{n})"
        if kind == "text"
        else f"{n} = COALESCE(l.{n}, v.{n})"
        for n, kind in MERGE_COLUMNS.items()
    )
    empty = " OR ".join(
        f"((l.{n} IS NULL OR l.{n} = '') AND v.{n} IS NOT NULL)"
        if kind == "text"
        else f"(l.{n} IS NULL AND v.{n} IS NOT NULL)"
        for n, kind in MERGE_COLUMNS.items()
    )
    stmt = text(
        f"UPDATE leads AS l SET {sets}, version = l.version + 1, updated_at = now() "
        f"FROM {_unnest(columns)} WHERE l.id = v.id AND l.status NOT IN ('converted', "
        f"'disqualified') AND ({empty})"
    )
    await session.execute(stmt, _arrays(rows, columns))


async def update_many(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write the final values of leads updated by external id (`id` in each row), in one UPDATE."""
    if not rows:
        return
    columns = {"id": "uuid", **UPSERT_COLUMNS}
    sets = ", ".join(f"{n} = v.{n}" for n in UPSERT_COLUMNS)
    stmt = text(
        f"UPDATE leads AS l SET {sets}, version = l.version + 1, updated_at = now() "
        f"FROM {_unnest(columns)} WHERE l.id = v.id"
    )
    try:
        async with session.begin_nested():
            await session.execute(stmt, _arrays(rows, columns))
    except IntegrityError as exc:
        if violated_constraint(exc) != OPEN_EMAIL_INDEX:
            raise
        raise Conflict(
            "A concurrent change gave another open lead one of these emails; retry the batch."
        ) from None


# ---- conversion: the account a lead converts into ---------------------------------------------


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def get_visible_account(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> Account | None:
    return await session.scalar(
        select(Account).where(
            Account.id == account_id, territory_visible(principal, Account.territory_id)
        )
    )


async def account_by_domain(session: AsyncSession, domain: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.domain == domain))


async def visible_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> uuid.UUID | None:
    return await session.scalar(
        select(Territory.id).where(
            Territory.id == territory_id, territory_visible(principal, Territory.id)
        )
    )


async def owned_territory_ids(
    session: AsyncSession, owner_id: uuid.UUID, limit: int = 2
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Territory.id)
        .where(Territory.owner_id == owner_id)
        .order_by(Territory.id)
        .limit(limit)
    )
    return list(rows)


class LeadRepository(Repository[Lead]):
    model = Lead
    endpoint = "leads"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return lead_visible(viewer)
