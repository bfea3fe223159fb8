"""Opportunities: creation at pending_acceptance, reads, and the merge-patch rules of section 7.

Stage moves live in `stage_moves.py`, command plans in `app/command_plans/`, the opening from a
converted lead in `app/leads/opportunity.py`; every change of a tracked field is written to the
history here too.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.repository import ContactRepository
from app.core import events
from app.core.changes import STORED_CUSTOM
from app.core.changes import snapshot
from app.core.enums import CustomFieldObject
from app.core.enums import EventResource
from app.core.enums import Expansion
from app.core.errors import Forbidden
from app.core.errors import OpportunityClosed
from app.core.errors import field_error
from app.core.errors import found
from app.core.errors import not_visible
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.schemas import own_fields
from app.core.security import Principal
from app.core.text_search import prefix_query
from app.custom_fields import service as custom_fields
from app.models import Account
from app.models import CommandPlan
from app.models import Opportunity
from app.models import User
from app.opportunities import history
from app.opportunities import repository
from app.opportunities.repository import OpportunityRepository
from app.opportunities.rules import CHANGE_REASON_MAX_LENGTH
from app.opportunities.rules import FINAL_WHEN_CLOSED
from app.opportunities.rules import ClosedEdit
from app.opportunities.rules import check_closed_edit
from app.opportunities.schemas import Opportunity as OpportunityOut
from app.opportunities.schemas import OpportunityCreate
from app.opportunities.schemas import OpportunityFilters
from app.opportunities.schemas import OpportunityUpdate
from app.stages import repository as stage_table
from app.stages.rules import StageDef
from app.stages.rules import is_open
from app.stages.rules import stage_by_slug
from app.users.repository import UserRepository

PENDING_ACCEPTANCE = "pending_acceptance"
CUSTOMER_TYPES = frozenset({"expansion", "renewal"})
RENEWAL_FIELDS = ("renewal_arr", "renewal_loss_amount", "renewal_forecast_category")
OWNER_ROLES = frozenset({"rep", "manager", "admin"})
OPPORTUNITY = CustomFieldObject.OPPORTUNITY
ZERO = Decimal("0")
MISSING = "No such opportunity."


def net_arr(opportunity: Opportunity) -> Decimal | None:
    """`amount` for new business and expansion; `amount - renewal_arr` for renewals."""
    if opportunity.amount is None:
        return None
    if opportunity.type != "renewal":
        return opportunity.amount
    if opportunity.renewal_arr is None:
        return None
    return opportunity.amount - opportunity.renewal_arr


def present(opportunity: Opportunity, currency: str) -> OpportunityOut:
    values = {
        name: getattr(opportunity, name)
        for name in own_fields(OpportunityOut)
        if name not in ("net_arr", "currency")
    }
    return OpportunityOut(**values, net_arr=net_arr(opportunity), currency=currency)


def default_renewal_loss(renewal_arr: Decimal | None, amount: Decimal | None) -> Decimal | None:
    """Expected ARR lost on a renewal: max(0, renewal_arr - amount), unknown until both are."""
    if renewal_arr is None or amount is None:
        return None
    return max(ZERO, renewal_arr - amount)


def check_type(account: Account, opportunity_type: str, field: str = "type") -> None:
    if opportunity_type in CUSTOMER_TYPES and account.account_type != "customer":
        raise field_error(
            field,
            "account_not_customer",
            f"A {opportunity_type} opportunity needs a customer account; this account is "
            f"{account.account_type}.",
        )


def _check_renewal(values: dict[str, Any], touched: set[str]) -> None:
    """Renewal fields only on renewals; the expected loss within 0..renewal_arr."""
    if values["type"] != "renewal":
        for name in RENEWAL_FIELDS:
            if values[name] is not None:
                raise field_error(
                    name,
                    "not_allowed",
                    f"{name} belongs to renewals only"
                    + ("; clear it when changing the type." if name not in touched else "."),
                )
        return
    loss, arr = values["renewal_loss_amount"], values["renewal_arr"]
    if loss is not None and (arr is None or loss > arr):
        raise field_error(
            "renewal_loss_amount",
            "out_of_range",
            "renewal_loss_amount must lie between 0 and renewal_arr (set renewal_arr first).",
        )


async def _owner(session: AsyncSession, principal: Principal, owner_id: uuid.UUID) -> User:
    owner = await repository.visible_user(session, principal, owner_id)
    if owner is None:
        raise not_visible("owner_id")
    if owner.role not in OWNER_ROLES or not owner.active:
        raise field_error(
            "owner_id", "invalid_owner", "The owner must be an active rep, manager or admin."
        )
    return owner


async def _check_units(
    session: AsyncSession, unit_ids: list[uuid.UUID], account_id: uuid.UUID
) -> None:
    if len(set(unit_ids)) != len(unit_ids):
        raise field_error("unit_ids", "duplicate", "unit_ids lists a unit twice.")
    outside = await repository.units_outside_account(session, unit_ids, account_id)
    if outside:
        index = unit_ids.index(outside[0])
        raise field_error(
            f"unit_ids.{index}",
            "not_found",
            "Each unit must be a unit of the opportunity's account.",
        )


def enter_stage(
    opportunity: Opportunity, stage: StageDef, category: str | None, at: datetime
) -> None:
    """Puts the opportunity in `stage` from `at`: its number, its probability and, unless
    `category` overrides it, its default forecast category."""
    opportunity.stage = stage.slug
    opportunity.stage_number = stage.number
    opportunity.probability = stage.probability
    opportunity.forecast_category = category or stage.forecast_category
    opportunity.stage_entered_at = at


async def open_opportunity(
    session: AsyncSession, actor_id: uuid.UUID, opportunity: Opportunity, reason: str
) -> Opportunity:
    """Stores a new opportunity at pending_acceptance with its command plan and the history
    of its initial values. `forecast_category` set on it beforehand is kept as an override."""
    stage = stage_by_slug(await stage_table.stage_defs(session))[PENDING_ACCEPTANCE]
    enter_stage(opportunity, stage, opportunity.forecast_category, datetime.now(UTC))
    opportunity.created_by = actor_id
    opportunity = await repository.add(session, opportunity)
    session.add(CommandPlan(opportunity_id=opportunity.id, updated_by=actor_id))
    await session.flush()
    await repository.append_history(
        session, opportunity.id, actor_id, history.creation(opportunity, reason)
    )
    await events.emit_created(session, EventResource.OPPORTUNITY, opportunity, actor_id)
    return opportunity


async def create(
    session: AsyncSession, principal: Principal, data: OpportunityCreate
) -> Opportunity:
    contact = await ContactRepository(session).get_visible(principal, data.contact_id)
    if contact is None:
        raise not_visible("contact_id")
    account = await repository.get_account(session, contact.account_id)
    assert account is not None
    check_type(account, data.type)
    values = data.model_dump()
    if data.type == "renewal" and "renewal_loss_amount" not in data.model_fields_set:
        values["renewal_loss_amount"] = default_renewal_loss(data.renewal_arr, data.amount)
    _check_renewal(values, set(data.model_fields_set))
    owner_id = principal.id
    if data.owner_id is not None and data.owner_id != principal.id:
        owner_id = (await _owner(session, principal, data.owner_id)).id
    if data.forecast_category is not None and owner_id != principal.id and not principal.is_admin:
        raise Forbidden("Only the owner overrides the forecast category.")
    await _check_units(session, data.unit_ids, account.id)
    lead = await repository.get_lead(session, contact.lead_id) if contact.lead_id else None
    activity_id = lead.activity_id if lead is not None else None
    if data.activity_id is not None:
        if not await repository.visible_activity(session, principal, data.activity_id):
            raise not_visible("activity_id")
        activity_id = data.activity_id
    values.update(
        account_id=account.id,
        owner_id=owner_id,
        lead_id=contact.lead_id,
        activity_id=activity_id,
    )
    values.pop("contact_id")
    await custom_fields.take_for_create(session, OPPORTUNITY, values)
    opportunity = Opportunity(contact_id=contact.id, **values)
    return await open_opportunity(session, principal.id, opportunity, "created")


async def get(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> Opportunity:
    return found(await repository.get_visible(session, principal, opportunity_id), MISSING)


# The visible opportunity locked for a change and held to the request's `If-Match`.
# (Reads by id take `get`: its statement is built once per role.)
for_change = Finder(OpportunityRepository, MISSING).for_change


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: OpportunityFilters,
    sort: str,
    currency: str,
    expand: Sequence[Expansion] = (),
    custom: Mapping[str, str] | None = None,
) -> tuple[list[str], str | None]:
    """A page as response JSON texts (see `app.core.json_sql`) and the next cursor."""
    await UserRepository(session).check_owner_filter(principal, filters.owner_id)
    await repository.check_account_filter(session, principal, filters.account_id)
    conditions = await custom_fields.filter_conditions(session, OPPORTUNITY, custom or {})
    if filters.q is not None:
        words = prefix_query(filters.q)
        if words is None:
            return [], None
        filters = dataclasses.replace(filters, q=words)
    return await repository.list_page(
        session,
        principal,
        page,
        filters,
        sort,
        currency,
        expand,
        conditions=conditions,
        custom=custom,
    )


async def get_document(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    currency: str,
    expand: Sequence[Expansion] = (),
) -> tuple[int, str]:
    """(version, the opportunity as response JSON with the summaries `expand` asks for), or
    404."""
    document = await repository.get_visible_document(
        session, principal, opportunity_id, currency, tuple(expand)
    )
    return found(document, MISSING)


async def _check_owner_change(
    session: AsyncSession, principal: Principal, opportunity: Opportunity, new_owner: uuid.UUID
) -> None:
    """A manager of both the old and the new owner, or an admin."""
    if principal.role not in ("manager", "admin"):
        raise Forbidden("Only a manager of both owners or an admin reassigns an opportunity.")
    await _owner(session, principal, new_owner)
    if not await repository.manages(session, principal, opportunity.owner_id):
        raise Forbidden("Only a manager of both owners or an admin reassigns an opportunity.")


async def manages_owner(
    session: AsyncSession, principal: Principal, opportunity: Opportunity
) -> bool:
    """Whether the caller is a manager of the opportunity's owner (admins manage everyone)."""
    return await repository.manages(session, principal, opportunity.owner_id)


def check_category_override(principal: Principal, opportunity: Opportunity, stage: str) -> None:
    """The owner (or an admin) overrides the category, and only on an open stage."""
    if not is_open(stage):
        raise field_error(
            "forecast_category",
            "stage_closed",
            "The forecast category of a closed opportunity follows its stage.",
        )
    if principal.id != opportunity.owner_id and not principal.is_admin:
        raise Forbidden("Only the owner overrides the forecast category.")


def _check_closed_edit(
    principal: Principal,
    opportunity: Opportunity,
    changes: dict[str, Any],
    change_reason: str | None,
) -> None:
    verdict = check_closed_edit(
        opportunity.stage, changes, is_admin=principal.is_admin, change_reason=change_reason
    )
    if verdict is ClosedEdit.CLOSED:
        fields = ", ".join(sorted(FINAL_WHEN_CLOSED.intersection(changes)))
        raise OpportunityClosed(
            f"The opportunity is {opportunity.stage}: {fields} can no longer change. Reopen "
            "it, or ask an admin to correct it with a change_reason."
        )
    if verdict is ClosedEdit.REASON_MISSING:
        raise field_error(
            "change_reason",
            "required",
            f"Correcting a {opportunity.stage} opportunity needs a change_reason (at most "
            f"{CHANGE_REASON_MAX_LENGTH} characters).",
        )


async def update(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    patch: OpportunityUpdate,
    if_match: str | None,
) -> Opportunity:
    opportunity = await for_change(session, principal, opportunity_id, if_match)
    requested: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"change_reason"})
    await custom_fields.take_for_update(session, OPPORTUNITY, opportunity.custom_values, requested)
    changes = {k: v for k, v in requested.items() if getattr(opportunity, k) != v}
    if not changes:
        return opportunity
    _check_closed_edit(principal, opportunity, changes, patch.change_reason)

    if "owner_id" in changes:
        await _check_owner_change(session, principal, opportunity, changes["owner_id"])
    if "forecast_category" in changes:
        check_category_override(principal, opportunity, opportunity.stage)
    contact_id = changes.get("contact_id")
    if contact_id is not None and not await ContactRepository(session).in_account(
        contact_id, opportunity.account_id
    ):
        raise field_error(
            "contact_id", "not_found", "contact_id must be a contact of the opportunity's account."
        )
    if "type" in changes:
        account = await repository.get_account(session, opportunity.account_id)
        assert account is not None
        check_type(account, changes["type"])
    if "unit_ids" in changes:
        await _check_units(session, changes["unit_ids"], opportunity.account_id)
    if changes.get("activity_id") is not None and not await repository.visible_activity(
        session, principal, changes["activity_id"]
    ):
        raise not_visible("activity_id")

    values = {name: getattr(opportunity, name) for name in ("type", "amount", *RENEWAL_FIELDS)}
    values.update({k: v for k, v in changes.items() if k in values})
    if (
        values["type"] == "renewal"
        and "renewal_loss_amount" not in requested
        and ({"amount", "renewal_arr", "type"} & set(changes))
        # Follow the default only while nobody has set the expected loss by hand.
        and opportunity.renewal_loss_amount
        in (None, default_renewal_loss(opportunity.renewal_arr, opportunity.amount))
    ):
        changes["renewal_loss_amount"] = values["renewal_loss_amount"] = default_renewal_loss(
            values["renewal_arr"], values["amount"]
        )
    _check_renewal(values, set(requested))

    before = history.snapshot(opportunity)
    before_values = snapshot(opportunity, changes)
    for name, value in changes.items():
        setattr(opportunity, name, value)
    opportunity.version += 1
    opportunity.updated_at = datetime.now(UTC)
    await repository.append_history(
        session,
        opportunity.id,
        principal.id,
        history.changes(before, history.snapshot(opportunity), patch.change_reason, every=True),
    )
    await repository.flush_changes(session, opportunity, custom=STORED_CUSTOM in changes)
    await events.emit_update(
        session,
        EventResource.OPPORTUNITY,
        opportunity.id,
        opportunity.version,
        before_values,
        changes,
        principal.id,
    )
    return opportunity


async def history_page(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await get(session, principal, opportunity_id)
    return await repository.history_page(session, opportunity_id, page)
