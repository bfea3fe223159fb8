"""SQL for many leads at once (`POST /leads/batch` and the CSV import): each step is one
statement over `unnest` arrays, whatever the number of items."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text
from sqlalchemy import TextClause
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core import events
from app.core.enums import EventResource
from app.core.errors import Conflict
from app.core.sql import in_texts
from app.core.sql import joined
from app.core.sql import split
from app.core.sql import split_sql
from app.leads.repository import CLOSED_SQL
from app.leads.repository import EXTERNAL_ID_INDEX
from app.leads.repository import OPEN_EMAIL_INDEX
from app.leads.repository import is_open
from app.leads.repository import violated_constraint
from app.models import Lead

# A new lead's columns, one array each; `source` and `created_by`, one per batch, travel once.
BATCH_COLUMNS: dict[str, str] = {
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
    # Custom field values (stored form, validated by the service), sent as JSON text.
    "custom": "jsonb",
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
    "custom": "jsonb",
}

# What an update by external id may write (never status, owner or account).
UPSERT_COLUMNS: dict[str, str] = {
    name: kind
    for name, kind in BATCH_COLUMNS.items()
    if name not in ("external_id", "account_id", "owner_id", "status")
}


# Text (and jsonb, as text) columns travel as one string each (`joined`): for a 1000-row INSERT
# the driver's CPU went from 5.4 to 2.4 ms.
_JOINED = ("text", "jsonb")


def _unnest(columns: Mapping[str, str]) -> str:
    arrays = ", ".join(
        split_sql(f":{name}") if kind in _JOINED else f"CAST(:{name} AS {kind}[])"
        for name, kind in columns.items()
    )
    return f"unnest({arrays}) AS v({', '.join(columns)})"


def _v(name: str, kind: str) -> str:
    """A value of the unnested row, in its column's type."""
    return f"CAST(v.{name} AS jsonb)" if kind == "jsonb" else f"v.{name}"


def _arrays(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> dict[str, Any]:
    arrays: dict[str, Any] = {}
    for name, kind in columns.items():
        if kind == "jsonb":  # most leads have no custom values: "{}" without json.dumps
            arrays[name] = joined([json.dumps(v) if (v := row.get(name)) else "{}" for row in rows])
        elif kind == "text":
            arrays[name] = joined([row.get(name) for row in rows])
        else:
            arrays[name] = [row.get(name) for row in rows]
    return arrays


# The unique indexes two concurrent batches can race for (an email open twice, a source's
# external id twice).
_UNIQUE_LEAD_KEYS = frozenset({OPEN_EMAIL_INDEX, EXTERNAL_ID_INDEX})


class LeadBatchRepository:
    """The set-based statements of a batch chunk."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_by_external_ids(
        self, source: str, external_ids: Sequence[str]
    ) -> dict[str, Lead]:
        if not external_ids:
            return {}
        # One unique-index probe per wanted id, forced by the LATERAL subquery (a locking
        # subquery is never flattened into a join). As `external_id = ANY(...)` the planner may
        # instead walk every lead of the source and filter, which it prefers whenever its
        # statistics predate the source's recent leads: 160,000 rows read for a batch of new
        # ids, 220 ms instead of 5.
        wanted = (
            func.unnest(split(set(external_ids)))
            .table_valued("external_id")
            .render_derived(name="wanted")
        )
        match = (
            select(Lead)
            .where(Lead.source == source, Lead.external_id == wanted.c.external_id)
            .with_for_update()
            .lateral("match")
        )
        rows = await self.session.scalars(
            select(aliased(Lead, match)).select_from(wanted).join(match, true())
        )
        return {lead.external_id: lead for lead in rows if lead.external_id is not None}

    async def open_ids_by_email(
        self, emails: Iterable[str], except_ids: Iterable[uuid.UUID] = ()
    ) -> dict[str, uuid.UUID]:
        """Open leads by lower-cased email, in one query."""
        wanted = list({e.lower() for e in emails})
        if not wanted:
            return {}
        email = func.lower(Lead.email, type_=Text)
        stmt = select(email, Lead.id).where(in_texts(email, wanted), is_open())
        excluded = list(set(except_ids))
        if excluded:
            stmt = stmt.where(Lead.id.not_in(excluded))
        return {email: lead_id for email, lead_id in await self.session.execute(stmt)}

    async def insert_many(
        self, rows: Sequence[Mapping[str, Any]], *, source: str, created_by: uuid.UUID
    ) -> dict[str, uuid.UUID]:
        """One INSERT ... SELECT FROM unnest, which also writes each new lead's `lead.created`
        (its actor: `created_by`); the new ids by lower(email).

        Rows that hit a unique index (a concurrent writer got there first) are simply absent.
        The batch has already looked its emails and external ids up, so a conflict is a race:
        the INSERT runs plain in a savepoint and only after a unique violation again with
        ON CONFLICT DO NOTHING, whose speculative insertion costs PostgreSQL about a seventh
        of a 1000-row INSERT (`bench/README.md`).
        """
        if not rows:
            return {}
        names = ", ".join(BATCH_COLUMNS)
        values = ", ".join(
            "COALESCE(v.received_at, now())" if n == "received_at" else _v(n, kind)
            for n, kind in BATCH_COLUMNS.items()
        )
        insert = (
            f"INSERT INTO leads (source, created_by, {names}) "
            f"SELECT :source, CAST(:created_by AS uuid), {values} FROM {_unnest(BATCH_COLUMNS)}"
        )
        params = {
            **_arrays(rows, BATCH_COLUMNS),
            **events.created_events_params(EventResource.LEAD, created_by),
            "source": source,
            "created_by": created_by,
        }

        def statement(conflict: str = "") -> TextClause:
            return text(
                f"WITH new AS ({insert}{conflict} RETURNING lower(email) AS email, id, version), "
                f"{events.created_events_sql('new')} SELECT email, id FROM new"
            )

        try:
            async with self.session.begin_nested():
                result = await self.session.execute(statement(), params)
        except IntegrityError as exc:
            if violated_constraint(exc) not in _UNIQUE_LEAD_KEYS:
                raise
            result = await self.session.execute(statement(" ON CONFLICT DO NOTHING"), params)
        # The session's results are buffered: read after the savepoint as well as inside it.
        return {email: lead_id for email, lead_id in result}

    async def merge_many(
        self, rows: Sequence[Mapping[str, Any]]
    ) -> list[tuple[uuid.UUID, int, dict[str, Any], dict[str, Any]]]:
        """Fill only the empty fields of existing open leads (`id` in each row), in one UPDATE.
        Returns each changed lead's (id, new version, merged fields before, after)."""
        if not rows:
            return []
        columns = {"id": "uuid", **MERGE_COLUMNS}
        sets = ", ".join(
            f"{n} = COALESCE(NULLIF(l.{n}, ''), v.{n})"
            if kind == "text"
            else f"{n} = {_v(n, kind)} || l.{n}"  # custom: the keys the lead lacks
            if kind == "jsonb"
            else f"{n} = COALESCE(l.{n}, v.{n})"
            for n, kind in MERGE_COLUMNS.items()
        )
        empty = " OR ".join(
            f"((l.{n} IS NULL OR l.{n} = '') AND v.{n} IS NOT NULL)"
            if kind == "text"
            else f"({_v(n, kind)} || l.{n} <> l.{n})"
            if kind == "jsonb"
            else f"(l.{n} IS NULL AND v.{n} IS NOT NULL)"
            for n, kind in MERGE_COLUMNS.items()
        )
        old_values = ", ".join(f"old.{n}" for n in MERGE_COLUMNS)
        new_values = ", ".join(f"l.{n}" for n in MERGE_COLUMNS)
        # `old` locks the rows first and reads them as they are then: the values before.
        stmt = text(
            "WITH old AS (SELECT l.* FROM leads AS l WHERE l.id = ANY(CAST(:id AS uuid[])) "
            "FOR UPDATE) "
            f"UPDATE leads AS l SET {sets}, version = l.version + 1, updated_at = now() "
            f"FROM {_unnest(columns)}, old WHERE l.id = v.id AND old.id = l.id "
            f"AND l.status NOT IN ({CLOSED_SQL}) AND ({empty}) "
            f"RETURNING l.id, l.version, {old_values}, {new_values}"
        )
        width = len(MERGE_COLUMNS)
        merged = []
        for row in await self.session.execute(stmt, _arrays(rows, columns)):
            before = dict(zip(MERGE_COLUMNS, row[2 : 2 + width], strict=True))
            after = dict(zip(MERGE_COLUMNS, row[2 + width :], strict=True))
            merged.append((row[0], row[1], before, after))
        return merged

    async def update_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write the final values of leads updated by external id (`id` in each row), in one
        UPDATE."""
        if not rows:
            return
        columns = {"id": "uuid", **UPSERT_COLUMNS}
        sets = ", ".join(f"{n} = {_v(n, kind)}" for n, kind in UPSERT_COLUMNS.items())
        stmt = text(
            f"UPDATE leads AS l SET {sets}, version = l.version + 1, updated_at = now() "
            f"FROM {_unnest(columns)} WHERE l.id = v.id"
        )
        try:
            async with self.session.begin_nested():
                await self.session.execute(stmt, _arrays(rows, columns))
        except IntegrityError as exc:
            if violated_constraint(exc) != OPEN_EMAIL_INDEX:
                raise
            raise Conflict(
                "A concurrent change gave another open lead one of these emails; retry the batch."
            ) from None
