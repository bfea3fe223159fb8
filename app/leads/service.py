"""Leads: creation with routing and duplicates, updates and owner changes, upsert by external
id, touches, the cadence policy and the follow-up report (API.md section 5)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.accounts.repository import Route
from app.activities.repository import ActivityRepository
from app.core import events
from app.core import settings_store
from app.core.changes import snapshot
from app.core.enums import MANUAL_SOURCE
from app.core.enums import CustomFieldObject
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.enums import Expansion
from app.core.enums import SubjectType
from app.core.errors import AppError
from app.core.errors import Conflict
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.errors import InvalidTransition
from app.core.errors import NotFound
from app.core.errors import PreconditionFailed
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.expand import Expanded
from app.core.http import check_if_match
from app.core.http import etag
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.repository import Repository
from app.core.security import Principal
from app.custom_fields import service as custom_fields
from app.leads.follow_up_repository import Cadence
from app.leads.follow_up_repository import FollowUpRepository
from app.leads.repository import ExternalIdTaken
from app.leads.repository import LeadRepository
from app.leads.rules import CLOSED_STATUSES
from app.leads.rules import domain_from_email
from app.leads.rules import in_future
from app.leads.rules import lead_problems
from app.leads.schemas import CADENCE_DEFAULTS
from app.leads.schemas import CadencePolicy
from app.leads.schemas import FollowUpFilters
from app.leads.schemas import LeadCreate
from app.leads.schemas import LeadFilters
from app.leads.schemas import LeadUpdate
from app.leads.schemas import LeadUpsert
from app.leads.schemas import TouchCreate
from app.leads.schemas import TouchFilters
from app.leads.touch_repository import TouchRepository
from app.models import Lead
from app.models import Touch
from app.models import User
from app.users.repository import UserRepository

LEAD = CustomFieldObject.LEAD
MISSING = "No such lead."
CADENCE_KEY = "cadence"
OWNER_ROLES = ("admin", "manager", "rep")
# An update by external id never writes these (API.md section 5).
UPSERT_NEVER_WRITES = frozenset({"status", "owner_id", "account_id"})
# What a lead may name, and the repository that says whether the caller sees it.
REFERENCES: dict[str, Callable[[AsyncSession], Repository[Any]]] = {
    "activity_id": ActivityRepository,
    "account_id": AccountRepository,
}


def source_of(principal: Principal) -> str:
    """The lead `source`: the integration's slug, or `manual` for people."""
    return principal.source or MANUAL_SOURCE


def _raise_problems(problems: list[FieldError]) -> None:
    if problems:
        raise ValidationFailed("The lead has invalid fields; see `errors`.", errors=problems)


def owner_assignment_error(
    principal: Principal, owner_id: uuid.UUID, candidate: User | None
) -> AppError | None:
    """Who may make `owner_id` a lead's owner: a manager of that user (admins manage everyone);
    a rep only themselves; an integration nobody."""
    if principal.role == "integration":
        return Forbidden("Integrations cannot assign lead owners; routing does.")
    if principal.role == "rep" and owner_id != principal.id:
        return Forbidden("Only a manager of the new owner, or an admin, assigns leads.")
    if candidate is None:
        return not_visible("owner_id")
    if candidate.role not in OWNER_ROLES or not candidate.active:
        return field_error("owner_id", "invalid_owner", "A lead's owner is an active person.")
    return None


async def _check_references(
    session: AsyncSession, principal: Principal, values: Mapping[str, Any]
) -> None:
    """The activity and account a lead names must be visible to the caller."""
    for name in REFERENCES:
        wanted = values.get(name)
        if wanted is not None and not await check_visible(session, principal, name, [wanted]):
            raise not_visible(name)


async def check_visible(
    session: AsyncSession, principal: Principal, name: str, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` (of the `name` reference: an activity or an account) the caller sees."""
    return await REFERENCES[name](session).visible_ids(principal, ids)


async def visible_owners(
    session: AsyncSession, principal: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, User]:
    return await UserRepository(session).by_ids(ids, principal)


# ---- create ---------------------------------------------------------------------------------


def default_owner(principal: Principal) -> uuid.UUID | None:
    """Who owns a lead no account routes: the creating person; nobody for integrations."""
    return None if principal.role == "integration" else principal.id


def routing_keys(leads: list[dict[str, Any]]) -> tuple[list[str], list[uuid.UUID]]:
    """The domains (of leads without an account) and account ids routing must look up."""
    domains = [v["domain"] for v in leads if v.get("domain") and not v.get("account_id")]
    return domains, [v["account_id"] for v in leads if v.get("account_id")]


def apply_route(
    values: dict[str, Any],
    by_domain: Mapping[str, Route],
    by_id: Mapping[uuid.UUID, Route],
    fallback_owner: uuid.UUID | None,
) -> None:
    """Routing (API.md section 5): the given account, else the account with the lead's domain,
    sets `account_id`; its territory owner is the default owner, else `fallback_owner`."""
    account_id = values.get("account_id")
    route = by_id.get(account_id) if account_id else by_domain.get(values.get("domain") or "")
    if route is not None:
        values["account_id"] = route.account_id
        values.setdefault("owner_id", route.owner_id)
    else:
        values.setdefault("owner_id", fallback_owner)


async def create_lead(
    session: AsyncSession,
    principal: Principal,
    data: LeadCreate | Mapping[str, Any],
    *,
    external_id: str | None = None,
) -> Lead:
    """Validate, route and insert one lead; 409 `duplicate` when an open one has the email."""
    values = dict(data.model_dump(exclude_unset=True) if isinstance(data, LeadCreate) else data)
    if external_id is not None:
        values["external_id"] = external_id
    for name in [k for k, v in values.items() if v is None]:
        del values[name]  # null on create means "use the default"
    values.setdefault("status", "new")
    values.setdefault("inbound", False)
    _raise_problems(lead_problems(values, datetime.now(UTC)))
    await _check_references(session, principal, values)
    owner_id = values.get("owner_id")
    if owner_id is not None:
        users = await visible_owners(session, principal, [owner_id])
        if (error := owner_assignment_error(principal, owner_id, users.get(owner_id))) is not None:
            raise error
    values["domain"] = values.get("domain") or domain_from_email(values["email"])
    by_domain, by_id = await AccountRepository(session).routes(*routing_keys([values]))
    apply_route(values, by_domain, by_id, default_owner(principal))
    values["source"] = source_of(principal)
    values["created_by"] = principal.id
    await custom_fields.take_for_create(session, LEAD, values)
    lead = await LeadRepository(session).insert_lead(values)
    await events.emit_created(session, EventResource.LEAD, lead, principal.id)
    return lead


# ---- read -----------------------------------------------------------------------------------


# The visible lead (locked `for_update`), else 404; `.expanded` adds `?expand=`.
get_lead = Finder(LeadRepository, MISSING)


async def get_external(session: AsyncSession, principal: Principal, external_id: str) -> Lead:
    leads = LeadRepository(session)
    lead = await leads.get_by_external_id(source_of(principal), external_id)
    if lead is None or not await leads.is_visible(principal, lead.id):
        raise NotFound("No lead with this external_id for your source.")
    return lead


async def list_leads(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: LeadFilters,
    sort: str,
    custom: Mapping[str, str] | None = None,
    expand: Sequence[Expansion] = (),
) -> tuple[list[Expanded[Lead]], str | None]:
    await UserRepository(session).check_owner_filter(principal, filters.owner_id)
    for name, ids in (("account_id", filters.account_id), ("activity_id", filters.activity_id)):
        await REFERENCES[name](session).check_filter(principal, ids, f"query.{name}")
    conditions = await custom_fields.filter_conditions(session, LEAD, custom or {})
    return await LeadRepository(session).list_page_expanded(
        principal, page, filters, sort, expand, conditions=conditions, also_bound=custom
    )


# ---- update ---------------------------------------------------------------------------------


async def _check_owner_change(
    session: AsyncSession, principal: Principal, lead: Lead, new_owner: uuid.UUID | None
) -> None:
    """`owner_id` changes only by a manager of both the old and the new owner, or an admin
    (an unassigned side needs nothing)."""
    if principal.role not in ("manager", "admin"):
        raise Forbidden("Only a manager of both owners, or an admin, reassigns a lead.")
    wanted = [u for u in (new_owner, lead.owner_id) if u is not None]
    users = await visible_owners(session, principal, wanted)
    if new_owner is not None and (
        error := owner_assignment_error(principal, new_owner, users.get(new_owner))
    ):
        raise error
    if lead.owner_id is not None and lead.owner_id not in users:
        raise Forbidden("You do not manage this lead's current owner.")


def _changes(lead: Lead, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes that really change (a derived domain follows a new email), with the
    version and `updated_at` bumped; empty when nothing changes."""
    wanted = dict(wanted)
    if "email" in wanted and "domain" not in wanted and wanted["email"] != lead.email:
        derived = domain_from_email(lead.email)
        if lead.domain is None or lead.domain == derived:
            wanted["domain"] = domain_from_email(wanted["email"])
    changes = {k: v for k, v in wanted.items() if getattr(lead, k) != v}
    if changes:
        changes["version"] = lead.version + 1
        changes["updated_at"] = datetime.now(UTC)
    return changes


async def _save(
    session: AsyncSession, principal: Principal, lead: Lead, changed: Mapping[str, Any]
) -> None:
    """Write the changes and say which fields changed (`lead.updated`)."""
    before = snapshot(lead, changed)
    await LeadRepository(session).save_lead(lead, changed)
    await events.emit_update(
        session,
        EventResource.LEAD,
        lead.id,
        lead.version,
        before,
        changed,
        principal.id,
    )


def _final(lead: Lead, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "status": changes.get("status", lead.status),
        "disqualify_reason": changes.get("disqualify_reason", lead.disqualify_reason),
        "received_at": changes.get("received_at"),
    }


async def update_lead(
    session: AsyncSession,
    principal: Principal,
    lead_id: uuid.UUID,
    patch: LeadUpdate,
    if_match: str | None,
) -> Lead:
    if principal.role == "integration":
        raise Forbidden("Integrations create and upsert leads; they do not edit them.")
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    lead = await get_lead.for_change(session, principal, lead_id, if_match)
    if lead.status == "converted":
        raise InvalidTransition("A converted lead is a record of the conversion; it cannot change.")
    _raise_problems(lead_problems(_final(lead, changes), datetime.now(UTC)))
    await _check_references(session, principal, changes)
    await custom_fields.take_for_update(session, LEAD, lead.custom_values, changes)
    if "owner_id" in changes and changes["owner_id"] != lead.owner_id:
        await _check_owner_change(session, principal, lead, changes["owner_id"])
    if changed := _changes(lead, changes):
        await _save(session, principal, lead, changed)
    return lead


# ---- upsert by external id ------------------------------------------------------------------


def _if_none_match_blocks(if_none_match: str | None, lead: Lead) -> bool:
    if if_none_match is None:
        return False
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return "*" in candidates or etag(lead.version) in candidates


async def upsert_external(
    session: AsyncSession,
    principal: Principal,
    external_id: str,
    body: LeadUpsert,
    if_match: str | None,
    if_none_match: str | None,
) -> tuple[Lead, bool]:
    """Create or update the lead (caller's source, external_id); True when created."""
    source = source_of(principal)
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    leads = LeadRepository(session)
    lead = await leads.get_by_external_id(source, external_id, for_update=True)
    if lead is None:
        if if_match is not None:
            raise PreconditionFailed("No lead has this external_id yet; If-Match cannot hold.")
        if "email" not in data:
            raise field_error("email", "required", "email is required to create a lead.")
        try:
            return await create_lead(session, principal, data, external_id=external_id), True
        except ExternalIdTaken:
            # Another request created it in the meantime: this one becomes the update.
            lead = await leads.get_by_external_id(source, external_id, for_update=True)
            if lead is None:
                raise
    return await _update_external(session, principal, lead, data, if_match, if_none_match), False


async def _update_external(
    session: AsyncSession,
    principal: Principal,
    lead: Lead,
    data: dict[str, Any],
    if_match: str | None,
    if_none_match: str | None,
) -> Lead:
    if not await LeadRepository(session).is_visible(principal, lead.id):
        raise Conflict("This external_id belongs to a lead you cannot see.")
    if _if_none_match_blocks(if_none_match, lead):
        raise PreconditionFailed("A lead with this external_id exists (If-None-Match).")
    check_if_match(if_match, lead.version)
    if lead.status in CLOSED_STATUSES:
        raise InvalidTransition(f"The lead is {lead.status}; an upsert no longer changes it.")
    changes = {k: v for k, v in data.items() if k not in UPSERT_NEVER_WRITES}
    _raise_problems(lead_problems(_final(lead, changes), datetime.now(UTC)))
    await _check_references(session, principal, changes)
    await custom_fields.take_for_update(session, LEAD, lead.custom_values, changes)
    if changed := _changes(lead, changes):
        await _save(session, principal, lead, changed)
    return lead


# ---- touches --------------------------------------------------------------------------------


async def add_touch(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID, data: TouchCreate
) -> Touch:
    lead = await get_lead(session, principal, lead_id, for_update=True)
    now = datetime.now(UTC)
    if in_future(data.occurred_at, now):
        raise field_error("occurred_at", "in_future", "A touch records what happened: not later.")
    if data.breakup and data.direction != "outbound":
        raise field_error("breakup", "outbound_only", "A breakup email is an outbound touch.")
    values = data.model_dump()
    values["occurred_at"] = data.occurred_at or now
    touch = await TouchRepository(session).record(
        {
            **values,
            "subject_type": SubjectType.LEAD,
            "subject_id": lead.id,
            "source": source_of(principal),
            "created_by": principal.id,
        }
    )
    # A touch is an interaction logged on the lead.
    await events.emit(
        session, EventType.INTERACTION_LOGGED, EventResource.INTERACTION, touch.id, principal.id
    )
    return touch


async def get_touch(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID, touch_id: uuid.UUID
) -> Touch:
    await get_lead(session, principal, lead_id)
    touch = await TouchRepository(session).of_lead(lead_id, touch_id)
    if touch is None:
        raise NotFound("No such touch.")
    return touch


async def list_touches(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID, page: PageParams, sort: str
) -> tuple[list[Touch], str | None]:
    await get_lead(session, principal, lead_id)
    filters = TouchFilters(lead_id=lead_id)
    return await TouchRepository(session).list_page(principal, page, filters, sort)


# ---- cadence and follow-up ------------------------------------------------------------------


CADENCE = settings_store.Document(CADENCE_KEY, CADENCE_DEFAULTS, CadencePolicy)


async def follow_up(
    session: AsyncSession,
    principal: Principal,
    tz: str,
    page: PageParams,
    filters: FollowUpFilters,
    sort: str,
    expand: Sequence[Expansion] = (),
) -> tuple[list[Any], str | None]:
    await UserRepository(session).check_owner_filter(principal, filters.owner_id)
    policy = await CADENCE.get(session)
    cadence = Cadence(**policy.model_dump(exclude={"version"}))
    return await FollowUpRepository(session).page(
        principal, page, filters, sort, expand, cadence=cadence, tz=tz
    )
