"""`POST /leads/batch` and the CSV import: many leads at once, each judged on its own.

Every item is validated alone (one bad item never fails the others) and gets a result in
item order. The database work is set-based: per chunk of up to 1000 items a handful of
statements (look-ups by external id and by email, routing, one UPDATE, one INSERT ... SELECT
FROM unnest that also writes the new leads' events, one merging UPDATE), never one round trip
per item.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.core import events
from app.core.changes import changed_fields
from app.core.changes import snapshot
from app.core.enums import EventResource
from app.core.errors import AppError
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.handlers import CODES
from app.core.schemas import walked_for_never_characters
from app.core.security import Principal
from app.custom_fields import service as custom_fields
from app.custom_fields.rules import Definitions
from app.custom_fields.rules import check_values
from app.custom_fields.rules import merged
from app.leads.batch_repository import MERGE_COLUMNS
from app.leads.batch_repository import UPSERT_COLUMNS
from app.leads.batch_repository import LeadBatchRepository
from app.leads.repository import LeadRepository
from app.leads.rules import CLOSED_STATUSES
from app.leads.rules import domain_from_email
from app.leads.rules import lead_problems
from app.leads.schemas import BATCH_STATUSES
from app.leads.schemas import BatchResult
from app.leads.schemas import LeadCreate
from app.leads.service import LEAD
from app.leads.service import UPSERT_NEVER_WRITES
from app.leads.service import apply_route
from app.leads.service import check_visible
from app.leads.service import default_owner
from app.leads.service import owner_assignment_error
from app.leads.service import routing_keys
from app.leads.service import source_of
from app.leads.service import visible_owners
from app.models import Lead

CHUNK_SIZE = 1000
ITEMS = TypeAdapter(list[LeadCreate])
# Fields an update may set to null (the others keep their value when sent as null).
NOT_CLEARABLE = frozenset({"email", "status", "inbound", "received_at"})


def problems_of(errors: Iterable[Any], skip: int = 0) -> list[FieldError]:
    """Pydantic errors as problems whose `field` is a dotted path inside the item (`skip`
    drops the leading list index)."""
    problems = []
    for e in errors:
        parts = [str(p) for p in tuple(e.get("loc", ()))[skip:]]
        ctx = e.get("ctx")
        if ctx and "field" in ctx:
            parts.append(str(ctx["field"]))
        kind = str(e.get("type", "invalid"))
        problems.append(
            FieldError(".".join(parts) or "item", CODES.get(kind, kind), str(e.get("msg", "")))
        )
    return problems


def error_problems(error: AppError, field_name: str) -> list[FieldError]:
    if error.errors:
        return list(error.errors)
    code = "forbidden" if isinstance(error, Forbidden) else "invalid"
    return [FieldError(field_name, code, error.detail)]


@dataclass(frozen=True)
class Rejected:
    """A raw item already known to be invalid (a CSV row with too many values)."""

    errors: list[FieldError]


@dataclass
class Item:
    """One item on its way through the batch."""

    index: int
    values: dict[str, Any] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    status: str | None = None
    lead_id: uuid.UUID | None = None
    errors: list[FieldError] = field(default_factory=list)
    existing: Lead | None = None  # the lead its external_id names, when it exists
    duplicate_of: Item | None = None

    def invalid(self, problems: Iterable[FieldError]) -> None:
        self.status = "invalid"
        self.errors = list(problems)

    @property
    def pending(self) -> bool:
        return self.status is None


@dataclass
class BatchRun:
    """Processes chunks in order; an email or external id seen in an earlier item, of any
    chunk, makes a later item a duplicate of that first occurrence."""

    session: AsyncSession
    principal: Principal
    on_duplicate: str
    items: list[Item] = field(default_factory=list)
    seen_emails: dict[str, Item] = field(default_factory=dict)
    seen_external_ids: dict[str, Item] = field(default_factory=dict)
    # CSV rows: custom values are cells of text, converted by their field's type.
    text_cells: bool = False
    # The items came in a request body already walked for DEL and C1 (`LeadBatch`).
    walked: bool = False

    @property
    def source(self) -> str:
        return source_of(self.principal)

    @property
    def leads(self) -> LeadBatchRepository:
        return LeadBatchRepository(self.session)

    async def add(self, raw_items: Sequence[tuple[int, Any]]) -> None:
        """Validate and store one chunk of (index, raw item)."""
        chunk = self._validate_chunk(raw_items)
        self.items.extend(chunk)
        await self._lookup_external_ids(chunk)
        self._check_values(chunk, await custom_fields.definitions(self.session, LEAD))
        await self._check_references(chunk)
        self._deduplicate(chunk)
        await self._find_open_duplicates(chunk)
        await self._route(chunk)
        await self._write(chunk)

    def result(self) -> BatchResult:
        """The result as a model (for code); the response sends `document()` itself."""
        return BatchResult.model_validate_json(self.document())

    def document(self) -> str:
        """The result as the response's JSON text, byte for byte what `BatchResult` would
        serialise, written directly: validating and serialising 1000 results cost the worker
        2.3 ms, this text 0.6. Every value is Engage's own (indexes, statuses, ids), or a
        problem, which `json.dumps` escapes. A duplicate of an earlier item takes its lead."""
        counts: dict[str, int] = dict.fromkeys(BATCH_STATUSES, 0)
        results = []
        for item in self.items:
            if item.duplicate_of is not None:
                item.lead_id = item.duplicate_of.lead_id
            status = item.status or "invalid"
            counts[status] += 1
            lead_id = "null" if status == "invalid" or item.lead_id is None else f'"{item.lead_id}"'
            errors = _json([e.as_dict() for e in item.errors]) if item.errors else "[]"
            results.append(
                f'{{"index":{item.index},"status":"{status}","id":{lead_id},"errors":{errors}}}'
            )
        return f'{{"results":[{",".join(results)}],"counts":{_json(counts)}}}'

    # -- steps --------------------------------------------------------------------------------

    def _validate_chunk(self, raw_items: Sequence[tuple[int, Any]]) -> list[Item]:
        """One pydantic-core call for the whole chunk (ten times cheaper than one call per
        item); its errors are split back to the items they belong to."""
        items = [Item(index) for index, _ in raw_items]
        candidates: list[tuple[Item, Any]] = []
        for item, (_, raw) in zip(items, raw_items, strict=True):
            if isinstance(raw, Rejected):
                item.invalid(raw.errors)
            else:
                candidates.append((item, raw))
        try:
            models = self._validate([raw for _, raw in candidates])
        except ValidationError as exc:
            by_position: dict[int, list[Any]] = {}
            for error in exc.errors():
                by_position.setdefault(int(error["loc"][0]), []).append(error)
            for position, errors in by_position.items():
                candidates[position][0].invalid(problems_of(errors, skip=1))
            valid = [c for i, c in enumerate(candidates) if i not in by_position]
            models = self._validate([raw for _, raw in valid])
            candidates = valid
        for (item, _), model in zip(candidates, models, strict=True):
            item.sent = set(model.model_fields_set)
            # The fields are scalars: reading them is model_dump(include=...) at a third of
            # the cost.
            item.values = {name: getattr(model, name) for name in item.sent}
        return items

    def _validate(self, raws: list[Any]) -> list[LeadCreate]:
        if not self.walked:
            return ITEMS.validate_python(raws)
        with walked_for_never_characters():
            return ITEMS.validate_python(raws)

    async def _lookup_external_ids(self, chunk: list[Item]) -> None:
        wanted = [
            i.values["external_id"] for i in chunk if i.pending and i.values.get("external_id")
        ]
        found = await self.leads.lock_by_external_ids(self.source, wanted)
        visible = await LeadRepository(self.session).visible_ids(
            self.principal, [lead.id for lead in found.values()]
        )
        for item in chunk:
            lead = found.get(item.values.get("external_id") or "")
            if not item.pending or lead is None:
                continue
            if lead.id not in visible:
                item.invalid(
                    [FieldError("external_id", "conflict", "It names a lead you cannot see.")]
                )
            elif lead.status in CLOSED_STATUSES:
                item.invalid(
                    [
                        FieldError(
                            "external_id",
                            "lead_closed",
                            f"The lead is {lead.status}; an upsert no longer changes it.",
                        )
                    ]
                )
            else:
                item.existing = lead

    def _check_values(self, chunk: list[Item], definitions: Definitions) -> None:
        """Each item's values and custom values alone (definitions read once per request)."""
        now = datetime.now(UTC)
        for item in chunk:
            if not item.pending:
                continue
            sent_custom = item.values.get("custom") or {}
            if item.existing is None:
                values = {k: v for k, v in item.values.items() if v is not None}
                values.setdefault("status", "new")
                values.setdefault("inbound", False)
                values["domain"] = values.get("domain") or domain_from_email(values["email"])
                item.values = values
            else:
                item.values = self._update_values(item.existing, item.values)
            creating = item.existing is None
            custom, custom_problems = check_values(
                definitions, sent_custom, creating=creating, text_cells=self.text_cells
            )
            if custom_problems:
                item.invalid(custom_problems)
                continue
            if creating or sent_custom:
                stored = {} if item.existing is None else item.existing.custom_values
                item.values["custom"] = merged(stored, custom)
            final = {
                "status": item.values.get("status", getattr(item.existing, "status", None)),
                "disqualify_reason": item.values.get(
                    "disqualify_reason", getattr(item.existing, "disqualify_reason", None)
                ),
                "received_at": item.values.get("received_at"),
            }
            if problems := lead_problems(final, now):
                item.invalid(problems)

    @staticmethod
    def _update_values(lead: Lead, sent: Mapping[str, Any]) -> dict[str, Any]:
        """Only the fields sent, never status, owner or account; a derived domain follows a
        new email."""
        changes = {
            k: v
            for k, v in sent.items()
            if k not in UPSERT_NEVER_WRITES
            and k not in ("external_id", "custom")
            and not (v is None and k in NOT_CLEARABLE)
        }
        email = changes.get("email", lead.email)
        derived = lead.domain is None or lead.domain == domain_from_email(lead.email)
        if "domain" not in changes and email.lower() != lead.email.lower() and derived:
            changes["domain"] = domain_from_email(email)
        return changes

    async def _check_references(self, chunk: list[Item]) -> None:
        pending = [i for i in chunk if i.pending]
        creates = [i for i in pending if i.existing is None]
        activities = await check_visible(
            self.session,
            self.principal,
            "activity_id",
            [i.values["activity_id"] for i in pending if i.values.get("activity_id")],
        )
        accounts = await check_visible(
            self.session,
            self.principal,
            "account_id",
            [i.values["account_id"] for i in creates if i.values.get("account_id")],
        )
        owner_ids = [i.values["owner_id"] for i in creates if i.values.get("owner_id")]
        owners = (
            await visible_owners(self.session, self.principal, owner_ids)
            if owner_ids and self.principal.role != "integration"
            else {}
        )
        for item in pending:
            problems = []
            activity_id = item.values.get("activity_id")
            if activity_id is not None and activity_id not in activities:
                problems.append(_not_found("activity_id"))
            if item.existing is None:
                account_id = item.values.get("account_id")
                if account_id is not None and account_id not in accounts:
                    problems.append(_not_found("account_id"))
                owner_id = item.values.get("owner_id")
                if owner_id is not None and (
                    error := owner_assignment_error(self.principal, owner_id, owners.get(owner_id))
                ):
                    problems.extend(error_problems(error, "owner_id"))
            if problems:
                item.invalid(problems)

    def _deduplicate(self, chunk: list[Item]) -> None:
        for item in chunk:
            if not item.pending:
                continue
            email = str(item.values.get("email") or getattr(item.existing, "email", "")).lower()
            external_id = item.values.get("external_id") or getattr(
                item.existing, "external_id", None
            )
            first = self.seen_emails.get(email) or (
                self.seen_external_ids.get(external_id) if external_id else None
            )
            if first is not None:
                item.status, item.duplicate_of = "duplicate", first
                continue
            self.seen_emails[email] = item
            if external_id:
                self.seen_external_ids[external_id] = item

    async def _find_open_duplicates(self, chunk: list[Item]) -> None:
        pending = [i for i in chunk if i.pending]
        changing_email = [
            i
            for i in pending
            if i.existing is not None
            and "email" in i.values
            and i.values["email"].lower() != i.existing.email.lower()
        ]
        creates = [i for i in pending if i.existing is None]
        open_ids = await self.leads.open_ids_by_email(
            [i.values["email"] for i in creates + changing_email],
            except_ids=[i.existing.id for i in pending if i.existing is not None],
        )
        for item in changing_email:
            if (existing_id := open_ids.get(item.values["email"].lower())) is not None:
                item.status, item.lead_id = "duplicate", existing_id
        for item in creates:
            if (existing_id := open_ids.get(item.values["email"].lower())) is not None:
                self._duplicate_of_existing(item, existing_id)

    def _duplicate_of_existing(self, item: Item, existing_id: uuid.UUID) -> None:
        item.lead_id = existing_id
        item.status = "merged" if self.on_duplicate == "merge" else "duplicate"

    async def _route(self, chunk: list[Item]) -> None:
        creates = [i.values for i in chunk if i.pending and i.existing is None]
        by_domain, by_id = await AccountRepository(self.session).routes(*routing_keys(creates))
        for values in creates:
            apply_route(values, by_domain, by_id, default_owner(self.principal))

    async def _write(self, chunk: list[Item]) -> None:
        updates = [i for i in chunk if i.pending and i.existing is not None]
        for item in updates:
            assert item.existing is not None
            item.status, item.lead_id = "updated", item.existing.id
        # (lead, its new version, the fields that change) of every lead this chunk updates.
        updated: list[tuple[uuid.UUID, int | None, list[str]]] = []
        rows = []
        for item in updates:
            assert item.existing is not None
            names = changed_fields(snapshot(item.existing, item.values), item.values)
            if names:
                rows.append(_final_row(item.existing, item.values))
                updated.append((item.existing.id, item.existing.version + 1, names))
        await self.leads.update_many(rows)
        creates = [i for i in chunk if i.pending]
        created = await self.leads.insert_many(
            [i.values for i in creates], source=self.source, created_by=self.principal.id
        )
        late = []
        for item in creates:
            lead_id = created.get(item.values["email"].lower())
            if lead_id is not None:
                item.status, item.lead_id = "created", lead_id
            else:
                late.append(item)
        if late:
            # A concurrent writer took the email (or the external id) between look-up and insert.
            open_ids = await self.leads.open_ids_by_email([i.values["email"] for i in late])
            for item in late:
                existing_id = open_ids.get(item.values["email"].lower())
                if existing_id is not None:
                    self._duplicate_of_existing(item, existing_id)
                else:
                    taken = await LeadRepository(self.session).get_by_external_id(
                        self.source, item.values.get("external_id") or ""
                    )
                    item.status, item.lead_id = "duplicate", taken.id if taken else None
        merges = await self._visible_merges(chunk)
        merged = await self.leads.merge_many(
            [
                {"id": i.lead_id, **{k: v for k, v in i.values.items() if k in MERGE_COLUMNS}}
                for i in merges
            ],
        )
        updated.extend(
            (lead_id, version, changed_fields(before, after))
            for lead_id, version, before, after in merged
        )
        await events.emit_updated(self.session, EventResource.LEAD, updated, self.principal.id)

    async def _visible_merges(self, chunk: list[Item]) -> list[Item]:
        """The merges into leads the caller can see; an item duplicating a lead the caller
        cannot see is reported `duplicate` and that lead is left alone."""
        merges = [i for i in chunk if i.status == "merged" and i.lead_id is not None]
        visible = await LeadRepository(self.session).visible_ids(
            self.principal, [i.lead_id for i in merges if i.lead_id is not None]
        )
        for item in merges:
            if item.lead_id not in visible:
                item.status = "duplicate"
        return [i for i in merges if i.status == "merged"]


def _json(value: Any) -> str:
    """JSON as pydantic writes it: compact, not ASCII-escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _not_found(name: str) -> FieldError:
    return FieldError(name, "not_found", f"No such record visible to you for {name}.")


def _stored(lead: Lead, name: str) -> Any:
    """A lead's stored value of a batch column (`custom`: the stored values, not the view)."""
    return lead.custom_values if name == "custom" else getattr(lead, name)


def _final_row(lead: Lead, changes: Mapping[str, Any]) -> dict[str, Any]:
    row = {name: changes.get(name, _stored(lead, name)) for name in UPSERT_COLUMNS}
    row["id"] = lead.id
    return row


async def run(
    session: AsyncSession,
    principal: Principal,
    items: Sequence[Any],
    on_duplicate: str,
    *,
    first_index: int = 0,
    chunk_size: int = CHUNK_SIZE,
    text_cells: bool = False,
    walked: bool = False,
) -> BatchRun:
    """Process `items` (raw JSON values or CSV rows as dicts) in set-based chunks. `walked`:
    they come from a validated request body, whose strings were checked for DEL and C1. The
    finished batch answers `result()` (the model) or `document()` (the response's JSON)."""
    batch = BatchRun(session, principal, on_duplicate, text_cells=text_cells, walked=walked)
    numbered = list(enumerate(items, start=first_index))
    for start in range(0, len(numbered), chunk_size):
        await batch.add(numbered[start : start + chunk_size])
    return batch
