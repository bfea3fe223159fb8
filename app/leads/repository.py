"""SQL for one lead at a time and the lead list.

Duplicates are enforced by PostgreSQL (the partial unique index `uq_leads_open_email` on the
lower-cased email of open leads, and `uq_leads_source_external_id`); this module turns their
violations into 409s. Many leads at once: `batch_repository`; touches: `touch_repository`;
the follow-up report: `follow_up_repository`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.enums import Expansion
from app.core.errors import Duplicate
from app.core.repository import Repository
from app.core.repository import any_of
from app.core.text_search import matches
from app.core.visibility import Viewer
from app.core.visibility import lead_visible
from app.leads.rules import CLOSED_STATUSES
from app.leads.schemas import UNASSIGNED
from app.leads.schemas import LeadFilters
from app.models import Lead

OPEN_EMAIL_INDEX = "uq_leads_open_email"
EXTERNAL_ID_INDEX = "uq_leads_source_external_id"


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the unique index or constraint PostgreSQL reported."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None)
    return str(name) if name else None


# The closed statuses as SQL literals, as in the partial index of open emails
# (`uq_leads_open_email`): only then can a prepared statement's generic plan use it; with the
# statuses bound, PostgreSQL cannot prove the index covers the query.
_CLOSED_LITERALS = tuple(f"'{status}'" for status in CLOSED_STATUSES)
CLOSED_SQL = ", ".join(_CLOSED_LITERALS)  # for statements written as text


def is_open() -> ColumnElement[bool]:
    return Lead.status.not_in([literal_column(status) for status in _CLOSED_LITERALS])


class ExternalIdTaken(Duplicate):
    """The (source, external_id) pair is taken: an upsert racing another one retries as update."""


class LeadRepository(Repository[Lead]):
    model = Lead
    endpoint = "leads"
    sort_columns = {
        "created_at": Lead.created_at,
        "updated_at": Lead.updated_at,
        "received_at": Lead.received_at,
    }
    references = {Expansion.OWNER: Lead.owner_id, Expansion.ACCOUNT: Lead.account_id}
    filter_columns = {
        "status": Lead.status,
        "account_id": Lead.account_id,
        "activity_id": Lead.activity_id,
        "persona": Lead.persona,
    }

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return lead_visible(viewer)

    def conditions(self, filters: LeadFilters) -> Iterable[ColumnElement[bool]]:
        if filters.owner_id is not None:
            ids = tuple(o for o in filters.owner_id if o != UNASSIGNED)
            owners = [*any_of(Lead.owner_id, ids)] if ids else []
            if UNASSIGNED in filters.owner_id:
                owners.append(Lead.owner_id.is_(None))
            yield or_(*owners)
        if filters.inbound is not None:
            yield Lead.inbound.is_(filters.inbound)
        if filters.q:
            yield matches(Lead.search_vector, filters.q)

    async def get_by_external_id(
        self, source: str, external_id: str, *, for_update: bool = False
    ) -> Lead | None:
        stmt = select(Lead).where(Lead.source == source, Lead.external_id == external_id)
        if for_update:
            stmt = stmt.with_for_update(of=Lead)
        lead: Lead | None = await self.session.scalar(stmt)
        return lead

    async def open_lead_id(
        self, email: str, except_id: uuid.UUID | None = None
    ) -> uuid.UUID | None:
        stmt = select(Lead.id).where(func.lower(Lead.email) == email.lower(), is_open())
        if except_id is not None:
            stmt = stmt.where(Lead.id != except_id)
        found: uuid.UUID | None = await self.session.scalar(stmt.limit(1))
        return found

    async def _duplicate(
        self,
        exc: IntegrityError,
        *,
        email: str,
        source: str | None = None,
        external_id: str | None = None,
        except_id: uuid.UUID | None = None,
    ) -> Duplicate:
        constraint = violated_constraint(exc)
        if constraint == EXTERNAL_ID_INDEX and source is not None and external_id is not None:
            existing = await self.get_by_external_id(source, external_id)
            return ExternalIdTaken(
                f"A lead with external_id {external_id!r} exists for source {source!r}.",
                existing.id if existing else None,
            )
        if constraint == OPEN_EMAIL_INDEX:
            return Duplicate(
                "An open lead with this email exists.", await self.open_lead_id(email, except_id)
            )
        raise exc

    async def insert_lead(self, values: Mapping[str, Any]) -> Lead:
        """INSERT one lead; a unique violation becomes 409 `duplicate` with the existing id."""
        stmt = insert(Lead).values(**values).returning(Lead)
        try:
            async with self.session.begin_nested():
                lead: Lead | None = await self.session.scalar(stmt)
        except IntegrityError as exc:
            raise await self._duplicate(
                exc,
                email=values["email"],
                source=values.get("source"),
                external_id=values.get("external_id"),
            ) from None
        assert lead is not None
        await self.session.refresh(lead, ["custom"])  # RETURNING leaves out the custom view
        return lead

    async def save_lead(self, lead: Lead, changes: Mapping[str, Any]) -> Lead:
        """Write `changes` to a loaded lead inside a savepoint (opened before the attributes
        change, since opening one flushes); a unique violation becomes 409 `duplicate`."""
        email = changes.get("email", lead.email)
        source, external_id = lead.source, changes.get("external_id", lead.external_id)
        lead_id = lead.id
        try:
            async with self.session.begin_nested():
                for name, value in changes.items():
                    setattr(lead, name, value)
                await self.session.flush()
        except IntegrityError as exc:
            raise await self._duplicate(
                exc, email=email, source=source, external_id=external_id, except_id=lead_id
            ) from None
        if "custom_values" in changes:  # the shown custom values follow the stored ones
            await self.session.refresh(lead, ["custom"])
        return lead
