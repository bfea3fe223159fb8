"""Engagement activities (seed step 3): every type of API.md section 4, partner details for the
partner types, accounts of the activity's own territory, and the activity's performance."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.activities.repository import ActivityRepository
from app.activities.schemas import ActivityCreate
from app.activities.schemas import ActivityFilters
from app.activities.schemas import ActivityUpdate
from app.core.enums import PARTNER_ACTIVITY_TYPES
from app.core.enums import PartnerKind
from app.core.errors import FieldError
from app.core.errors import ValidationFailed
from app.core.errors import not_visible
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.models import Activity
from app.territories.repository import TerritoryRepository


async def _check_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> None:
    """Humans name a territory they can see; integrations may name any territory."""
    territories = TerritoryRepository(session)
    if principal.role == "integration":
        found = await territories.exists(territory_id)
    else:
        found = await territories.is_visible(principal, territory_id)
    if not found:
        raise not_visible("territory_id")


def _check_shape(
    activity_type: str,
    partner: dict[str, Any] | None,
    starts_on: date | None,
    ends_on: date | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if activity_type in PARTNER_ACTIVITY_TYPES and partner is None:
        errors.append(
            FieldError("partner", "required", f"A {activity_type} activity needs its partner.")
        )
    if partner is not None:
        for name in ("kind", "name"):
            if partner.get(name) is None:
                errors.append(
                    FieldError(f"partner.{name}", "required", f"partner.{name} is required.")
                )
        if partner.get("kind") is not None and partner["kind"] not in list(PartnerKind):
            errors.append(FieldError("partner.kind", "invalid_choice", "Unknown partner kind."))
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors.append(FieldError("ends_on", "before_start", "ends_on is before starts_on."))
    return errors


async def _account_errors(
    session: AsyncSession, territory_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> list[FieldError]:
    found = await AccountRepository(session).in_territory(territory_id, account_ids)
    return [
        FieldError(f"account_ids.{i}", "not_found", "No such account in the activity's territory.")
        for i, account_id in enumerate(account_ids)
        if account_id not in found
    ]


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed("The activity has invalid fields; see `errors`.", errors=errors)


async def create_activity(
    session: AsyncSession, principal: Principal, data: ActivityCreate
) -> Activity:
    await _check_territory(session, principal, data.territory_id)
    values = data.model_dump()
    values["account_ids"] = list(dict.fromkeys(values["account_ids"]))
    errors = _check_shape(data.type, values["partner"], data.starts_on, data.ends_on)
    errors += await _account_errors(session, data.territory_id, values["account_ids"])
    _raise(errors)
    return await ActivityRepository(session).add(Activity(**values, created_by=principal.id))


get_activity = Finder(ActivityRepository, "No such activity.")


async def list_activities(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: ActivityFilters,
    sort: str,
) -> tuple[list[Activity], str | None]:
    await TerritoryRepository(session).check_filter(
        principal, filters.territory_id, "query.territory_id"
    )
    await AccountRepository(session).check_filter(principal, filters.account_id, "query.account_id")
    return await ActivityRepository(session).list_page(principal, page, filters, sort)


def _merge_partner(
    current: dict[str, Any] | None, patch: dict[str, Any] | None
) -> dict[str, Any] | None:
    """RFC 7396 on the `partner` object: null clears it, an object merges into it."""
    if patch is None:
        return None
    return {**(current or {}), **patch}


async def update_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    patch: ActivityUpdate,
    if_match: str | None,
) -> Activity:
    changes = patch.model_dump(exclude_unset=True)
    activity = await get_activity.for_change(session, principal, activity_id, if_match)
    if "partner" in changes:
        changes["partner"] = _merge_partner(activity.partner, changes["partner"])
    if "account_ids" in changes:
        changes["account_ids"] = list(dict.fromkeys(changes["account_ids"]))
    territory_id = changes.get("territory_id", activity.territory_id)
    if territory_id != activity.territory_id:
        await _check_territory(session, principal, territory_id)
    errors = _check_shape(
        changes.get("type", activity.type),
        changes.get("partner", activity.partner),
        changes.get("starts_on", activity.starts_on),
        changes.get("ends_on", activity.ends_on),
    )
    if "account_ids" in changes or territory_id != activity.territory_id:
        errors += await _account_errors(
            session, territory_id, changes.get("account_ids", activity.account_ids)
        )
    _raise(errors)
    await ActivityRepository(session).apply_patch(activity, changes)
    return activity


async def activity_performance(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID
) -> dict[str, Any]:
    await get_activity(session, principal, activity_id)
    return await ActivityRepository(session).performance(activity_id)
