"""Command plans: overview, MEDDPPICC, close plan; merge-patched with revisions, reviewed by
managers. Stored as normalised JSON (every key present) so that revisions compare like with like.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.command_plans import repository
from app.command_plans.schemas import CommandPlan as CommandPlanOut
from app.command_plans.schemas import CommandPlanUpdate
from app.command_plans.schemas import ReviewCreate
from app.contacts.repository import ContactRepository
from app.core.errors import Forbidden
from app.core.errors import field_error
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import CommandPlan
from app.models import CommandPlanReview
from app.models import CommandPlanRevision
from app.opportunities import service as opportunities
from app.stages.rules import MEDDPPICC_ELEMENTS
from app.stages.rules import OVERVIEW_ELEMENTS
from app.stages.rules import PERSON_ELEMENTS

EMPTY_PERSON = {"contact_id": None, "notes": None}


def _overview(stored: dict[str, Any]) -> dict[str, Any]:
    return {name: stored.get(name) for name in OVERVIEW_ELEMENTS}


def _meddppicc(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {**EMPTY_PERSON, **(stored.get(name) or {})}
        if name in PERSON_ELEMENTS
        else stored.get(name)
        for name in MEDDPPICC_ELEMENTS
    }


def _document(plan: CommandPlan) -> dict[str, Any]:
    return {
        "overview": _overview(plan.overview),
        "meddppicc": _meddppicc(plan.meddppicc),
        "close_plan": list(plan.close_plan),
        "risks": plan.risks,
        "help_needed": plan.help_needed,
    }


def present(plan: CommandPlan, filled: frozenset[str]) -> CommandPlanOut:
    missing = [name for name in MEDDPPICC_ELEMENTS if name not in filled]
    score = round((len(MEDDPPICC_ELEMENTS) - len(missing)) / len(MEDDPPICC_ELEMENTS), 4)
    return CommandPlanOut.model_validate(
        {
            **_document(plan),
            "opportunity_id": plan.opportunity_id,
            "completeness": {"score": score, "missing": missing},
            "created_at": plan.created_at,
            "updated_at": plan.updated_at,
            "updated_by": plan.updated_by,
            "version": plan.version,
        }
    )


async def get(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> CommandPlanOut:
    await opportunities.get(session, principal, opportunity_id)
    plan = await repository.get(session, opportunity_id)
    assert plan is not None, "every opportunity is created with its command plan"
    return present(plan, await repository.filled_elements(session, opportunity_id))


def _merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396 over the normalised document: objects merge, arrays replace, null clears."""
    new = copy.deepcopy(current)
    if "overview" in changes:
        patch = changes["overview"]
        new["overview"] = _overview({}) if patch is None else {**new["overview"], **patch}
    if "meddppicc" in changes:
        patch = changes["meddppicc"]
        if patch is None:
            new["meddppicc"] = _meddppicc({})
        else:
            for name, value in patch.items():
                if name in PERSON_ELEMENTS:
                    merged = {**new["meddppicc"][name], **value} if value is not None else {}
                    new["meddppicc"][name] = {**EMPTY_PERSON, **merged}
                else:
                    new["meddppicc"][name] = value
    if "close_plan" in changes:
        steps = changes["close_plan"] or []
        new["close_plan"] = [{**step, "id": step["id"] or str(uuid.uuid4())} for step in steps]
    for name in ("risks", "help_needed"):
        if name in changes:
            new[name] = changes[name]
    return new


def _changed_fields(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    fields: list[str] = []
    for group in ("overview", "meddppicc"):
        fields += [f"{group}.{k}" for k in current[group] if current[group][k] != new[group][k]]
    fields += [k for k in ("close_plan", "risks", "help_needed") if current[k] != new[k]]
    return fields


async def _check_contacts(
    session: AsyncSession, new: dict[str, Any], account_id: uuid.UUID
) -> None:
    contacts = ContactRepository(session)
    for name in sorted(PERSON_ELEMENTS):
        contact_id = new["meddppicc"][name]["contact_id"]
        if contact_id is not None and not await contacts.in_account(
            uuid.UUID(contact_id), account_id
        ):
            raise field_error(
                f"meddppicc.{name}.contact_id",
                "not_found",
                "The contact must be a contact of the opportunity's account.",
            )


def _check_step_ids(new: dict[str, Any]) -> None:
    seen: set[str] = set()
    for index, step in enumerate(new["close_plan"]):
        if step["id"] in seen:
            raise field_error(f"close_plan.{index}.id", "duplicate", "Step ids must be unique.")
        seen.add(step["id"])


async def update(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    patch: CommandPlanUpdate,
    if_match: str | None,
) -> CommandPlanOut:
    opportunity = await opportunities.get(session, principal, opportunity_id)
    plan = await repository.get_for_update(session, opportunity_id)
    assert plan is not None, "every opportunity is created with its command plan"
    check_if_match(if_match, plan.version)
    current = _document(plan)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    if patch.close_plan is not None:
        # A step is a whole value (arrays replace): its unset fields take their defaults.
        changes["close_plan"] = [step.model_dump(mode="json") for step in patch.close_plan]
    new = _merged(current, changes)
    await _check_contacts(session, new, opportunity.account_id)
    _check_step_ids(new)
    fields = _changed_fields(current, new)
    if fields:
        now = datetime.now(UTC)
        plan.overview = new["overview"]
        plan.meddppicc = new["meddppicc"]
        plan.close_plan = new["close_plan"]
        plan.risks = new["risks"]
        plan.help_needed = new["help_needed"]
        plan.version += 1
        plan.updated_at = now
        plan.updated_by = principal.id
        await session.flush()
        await repository.add_revision(session, opportunity_id, principal.id, now, fields)
    return present(plan, await repository.filled_elements(session, opportunity_id))


async def revisions(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanRevision], str | None]:
    await opportunities.get(session, principal, opportunity_id)
    return await repository.revisions_page(session, opportunity_id, page)


async def add_review(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID, data: ReviewCreate
) -> CommandPlanReview:
    """Managers of the owner and admins review a plan."""
    opportunity = await opportunities.get(session, principal, opportunity_id)
    if not await opportunities.manages_owner(session, principal, opportunity):
        raise Forbidden("Only a manager of the owner or an admin reviews a command plan.")
    review = CommandPlanReview(
        opportunity_id=opportunity_id,
        reviewer_id=principal.id,
        notes=data.notes,
        at=datetime.now(UTC),
    )
    return await repository.add_review(session, review)


async def reviews(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanReview], str | None]:
    await opportunities.get(session, principal, opportunity_id)
    return await repository.reviews_page(session, opportunity_id, page)
