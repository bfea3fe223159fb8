"""`POST /opportunities/{id}/stage`: gathers the facts, asks the validator, applies the move.

The opportunity row is locked first (SELECT ... FOR UPDATE), so two moves of one opportunity
run one after the other: the second sees the first's result, or fails If-Match with 412.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.core import events
from app.core.changes import snapshot
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.enums import StageSlug
from app.core.errors import Forbidden
from app.core.errors import InvalidTransition
from app.core.errors import StageRequirementsUnmet
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.security import Principal
from app.models import Opportunity
from app.opportunities import history
from app.opportunities import repository
from app.opportunities import service
from app.opportunities.rules import booked_close_date
from app.opportunities.rules import is_closing
from app.opportunities.schemas import StageChange
from app.stages import repository as stage_table
from app.stages.rules import OpportunityFacts
from app.stages.rules import StageDef
from app.stages.rules import StageMove
from app.stages.rules import TransitionKind
from app.stages.rules import check_transition
from app.stages.rules import is_open
from app.stages.rules import stage_by_slug


def _refuse_fields_of_other_moves(body: StageChange) -> None:
    if body.close_date is not None and not is_closing(body.to):
        raise field_error(
            "close_date",
            "not_allowed",
            "close_date goes only with a move to closed_won, lost, unqualified or duplicate.",
        )
    if body.to != StageSlug.LOST:
        for name in ("loss_reason", "loss_details"):
            if getattr(body, name) is not None:
                raise field_error(name, "not_allowed", f"{name} goes only with a move to lost.")
    if body.to != StageSlug.DUPLICATE and body.duplicate_of_id is not None:
        raise field_error(
            "duplicate_of_id", "not_allowed", "duplicate_of_id goes only with a move to duplicate."
        )


async def _duplicate_of(
    session: AsyncSession, principal: Principal, opportunity: Opportunity, other: uuid.UUID | None
) -> uuid.UUID | None:
    if other is None:
        return None
    if other == opportunity.id or not await repository.visible_exists(session, principal, other):
        raise not_visible("duplicate_of_id")
    return other


async def _may_reopen(session: AsyncSession, principal: Principal, owner_id: uuid.UUID) -> bool:
    if principal.is_admin:
        return True
    return principal.role == "manager" and await repository.manages(session, principal, owner_id)


# The facts the opportunity's own columns hold; the others are derived (`derived_facts`).
_OWN_FACTS = tuple(
    f.name
    for f in dataclasses.fields(OpportunityFacts)
    if f.name not in {d.name for d in dataclasses.fields(stage_table.DerivedFacts)}
)


async def facts_of(
    session: AsyncSession, opportunity: Opportunity, now: datetime, tz: tzinfo
) -> OpportunityFacts:
    derived = await stage_table.derived_facts(
        session, opportunity.id, now, now.astimezone(tz).date()
    )
    return OpportunityFacts(**snapshot(opportunity, _OWN_FACTS), **dataclasses.asdict(derived))


def _booked_close_date(body: StageChange, today: date) -> date | None:
    """The close date a closing move sets (None: the move does not close)."""
    if not is_closing(body.to):
        return None
    booked = booked_close_date(body.close_date, today)
    if booked is None:
        raise field_error(
            "close_date",
            "after_today",
            f"A deal closes today ({today.isoformat()}) at the latest; close_date is after it.",
        )
    return booked


def _history_reason(body: StageChange) -> str | None:
    if body.reason is not None and body.reason.strip():
        return body.reason
    if body.to == StageSlug.LOST and body.loss_reason is not None:
        return f"{body.loss_reason}: {body.loss_details}" if body.loss_details else body.loss_reason
    return None


def _enters_technical_evaluation(current: StageDef, target: StageDef, tech: StageDef) -> bool:
    """Entering (or passing through) technical evaluation from below it or from a closed stage."""
    if not is_open(target.slug) or target.number < tech.number:
        return False
    return not (is_open(current.slug) and current.number >= tech.number)


async def change_stage(
    session: AsyncSession,
    principal: Principal,
    opportunity_id: uuid.UUID,
    body: StageChange,
    if_match: str | None,
    tz: tzinfo,
) -> Opportunity:
    opportunity = await service.for_change(session, principal, opportunity_id, if_match)
    _refuse_fields_of_other_moves(body)
    stages = await stage_table.stage_defs(session)
    by_slug = stage_by_slug(stages)
    now = datetime.now(UTC)
    close_date = _booked_close_date(body, now.astimezone(tz).date())
    move = StageMove(
        to=body.to,
        reason=body.reason,
        loss_reason=body.loss_reason,
        loss_details=body.loss_details,
        duplicate_of_id=await _duplicate_of(session, principal, opportunity, body.duplicate_of_id),
        may_reopen=await _may_reopen(session, principal, opportunity.owner_id),
    )
    facts = await facts_of(session, opportunity, now, tz)
    if body.close_date is not None:  # the move's own close date counts for closed_won's
        facts = dataclasses.replace(facts, close_date=body.close_date)
    verdict = check_transition(facts, move, stages)
    if verdict.never_allowed is not None:
        raise InvalidTransition(verdict.never_allowed)
    if verdict.forbidden is not None:
        raise Forbidden(verdict.forbidden)
    if verdict.unmet:
        raise StageRequirementsUnmet(
            f"Moving to {body.to} needs: "
            + ", ".join(f"{u.stage}.{u.code}" for u in verdict.unmet),
            [dataclasses.asdict(u) for u in verdict.unmet],
        )
    if body.forecast_category is not None:
        service.check_category_override(principal, opportunity, body.to)

    current, target = by_slug[opportunity.stage], by_slug[body.to]
    before = history.snapshot(opportunity)
    service.enter_stage(opportunity, target, body.forecast_category, now)
    accepted = target.number >= 1 and (not target.terminal or target.slug == StageSlug.CLOSED_WON)
    if accepted and opportunity.sales_accepted_at is None:
        opportunity.sales_accepted_at = now
    opportunity.closed_at = now if target.terminal else None
    if close_date is not None:
        opportunity.close_date = close_date
    if target.slug == StageSlug.LOST:
        opportunity.loss_reason = body.loss_reason
        opportunity.loss_details = body.loss_details
    elif target.slug == StageSlug.DUPLICATE:
        opportunity.duplicate_of_id = move.duplicate_of_id
    elif verdict.kind is TransitionKind.REOPEN:
        opportunity.loss_reason = None
        opportunity.loss_details = None
        opportunity.duplicate_of_id = None
    opportunity.version += 1
    opportunity.updated_at = now
    await session.flush()
    await repository.append_history(
        session,
        opportunity.id,
        principal.id,
        history.changes(before, history.snapshot(opportunity), _history_reason(body)),
    )
    if target.slug == StageSlug.CLOSED_WON:
        await _advance_units(session, principal, opportunity, ("red", "yellow"), "green")
    elif StageSlug.TECHNICAL_EVALUATION in by_slug and _enters_technical_evaluation(
        current, target, by_slug[StageSlug.TECHNICAL_EVALUATION]
    ):
        await _advance_units(session, principal, opportunity, ("red",), "yellow")
    await _emit_events(session, principal, opportunity, current.slug)
    return opportunity


async def _advance_units(
    session: AsyncSession,
    principal: Principal,
    opportunity: Opportunity,
    from_adoptions: tuple[str, ...],
    to: str,
) -> None:
    """Linked units move with the deal, recorded in their adoption history with it."""
    await accounts_service.move_with_opportunity(
        session, opportunity.id, opportunity.unit_ids, from_adoptions, to, principal.id
    )


async def _emit_events(
    session: AsyncSession, principal: Principal, opportunity: Opportunity, from_stage: str
) -> None:
    version = opportunity.version
    data = {"from": from_stage, "to": opportunity.stage}
    await events.emit(
        session,
        EventType.OPPORTUNITY_STAGE_CHANGED,
        EventResource.OPPORTUNITY,
        opportunity.id,
        principal.id,
        version,
        data,
    )
    if opportunity.stage in (StageSlug.CLOSED_WON, StageSlug.LOST):
        await events.emit(
            session,
            f"opportunity.{opportunity.stage}",
            EventResource.OPPORTUNITY,
            opportunity.id,
            principal.id,
            version,
            data,
        )
