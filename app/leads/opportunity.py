"""Opening an opportunity when a lead converts (`POST /leads/{id}/convert` with
`create_opportunity: true`).

The lead's latest qualification must pass authority, initiative and fit. The opportunity takes
`entry_use_case` and `potential_seats` from that qualification's fit and `next_step_at` from its
timing, `lead_id`, `activity_id` and `bpm_stage` from the lead, and is owned by the lead's owner
(else the caller). It inherits the qualification as a copy stored on the opportunity (same
inputs, verdicts, time and evaluator), so later evaluations of the lead do not change it.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import OpportunityType
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.errors import ValidationFailed
from app.core.schemas import Name
from app.core.schemas import RequestModel
from app.core.security import Principal
from app.models import Account
from app.models import Contact
from app.models import Lead
from app.models import Opportunity
from app.models import Qualification
from app.opportunities import service
from app.opportunities.schemas import NonNegativeMoney
from app.qualification import service as qualifications

__all__ = ["ConvertOpportunitySpec", "open_from_lead"]

NEEDED_TO_CONVERT = ("authority", "initiative", "fit")
TYPE_NAMES = {"new_business": "New Business", "expansion": "Expansion", "renewal": "Renewal"}


class ConvertOpportunitySpec(RequestModel):
    """The `opportunity` object of a conversion request; every field optional."""

    name: Name | None = None
    type: OpportunityType | None = None
    amount: NonNegativeMoney | None = None
    close_date: date | None = None


def _unqualified(qualification: Qualification | None) -> list[FieldError]:
    if qualification is None:
        return [
            FieldError(
                f"qualification.{name}",
                "not_evaluated",
                f"The lead has no qualification yet; {name} must pass to create an opportunity.",
            )
            for name in NEEDED_TO_CONVERT
        ]
    return [
        FieldError(
            f"qualification.{name}",
            "criterion_failed",
            f"{name} did not pass in the lead's latest qualification "
            f"({qualification.criteria[name]['reason']}).",
        )
        for name in NEEDED_TO_CONVERT
        if not qualification.criteria[name]["passed"]
    ]


async def open_from_lead(
    session: AsyncSession,
    principal: Principal,
    *,
    lead: Lead,
    contact: Contact,
    account: Account,
    spec: ConvertOpportunitySpec | None,
) -> Opportunity:
    """Creates the opportunity at pending_acceptance, or raises ValidationFailed (422) with
    `qualification.<criterion>` errors, or `opportunity.type` when the account is not a
    customer for an expansion or renewal. Only flushes; the caller's transaction commits."""
    spec = spec or ConvertOpportunitySpec()
    qualification = await qualifications.latest_for_lead(session, lead.id)
    errors = _unqualified(qualification)
    if errors:
        raise ValidationFailed(
            "An opportunity needs the lead's latest qualification to pass authority, "
            "initiative and fit.",
            errors=errors,
        )
    assert qualification is not None
    owner_id = lead.owner_id
    if owner_id is None:
        if principal.role not in service.OWNER_ROLES:
            raise Forbidden("Assign the lead to a person before opening an opportunity from it.")
        owner_id = principal.id
    opportunity_type = spec.type or "new_business"
    service.check_type(account, opportunity_type, field="opportunity.type")
    fit, timing = qualification.inputs["fit"], qualification.inputs["timing"]
    name = spec.name or f"{account.name} - {TYPE_NAMES[opportunity_type]}"
    opportunity = Opportunity(
        name=name[:200],
        account_id=account.id,
        contact_id=contact.id,
        owner_id=owner_id,
        type=opportunity_type,
        amount=spec.amount,
        close_date=spec.close_date,
        entry_use_case=fit.get("entry_use_case"),
        potential_seats=fit.get("potential_seats"),
        next_step_at=datetime.fromisoformat(timing["next_step_at"]),
        lead_id=lead.id,
        activity_id=lead.activity_id,
        bpm_stage=lead.bpm_stage,
        unit_ids=[],
    )
    opportunity = await service.open_opportunity(
        session, principal.id, opportunity, "converted from a lead"
    )
    await qualifications.inherit(session, qualification, opportunity.id)
    return opportunity
