"""/leads/{id}/qualification and /opportunities/{id}/qualification."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from app.core.http import set_created
from app.core.idempotency import Idempotent
from app.core.routes import computed
from app.core.security import HumanPrincipal
from app.core.session import AppSettings, Session
from app.qualification import service
from app.qualification.schemas import Qualification, QualificationCreate

router = APIRouter(tags=["qualification"])

EVALUATE = (
    "Evaluates authority, initiative, fit and timing and stores the evaluation; the latest one "
    "counts. A small box initiative passes only in a mid_market or smb segment (the account's "
    "territory, else the owner's only territory; otherwise it fails with `segment_unknown`)."
)
# Both evaluations (of a lead, of an opportunity) are recorded alike.
EVALUATION: dict[str, Any] = {
    "status_code": 201,
    "response_model": Qualification,
    "dependencies": [Idempotent],
    "description": EVALUATE,
}


@router.post(
    "/leads/{lead_id}/qualification", operation_id="leads-qualification-create", **EVALUATION
)
async def qualify_lead(
    lead_id: uuid.UUID,
    body: QualificationCreate,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    response: Response,
) -> Qualification:
    row = await service.qualify_lead(session, principal, lead_id, body, settings.tz)
    set_created(response, f"/api/v1/leads/{lead_id}/qualification")
    return Qualification.model_validate(row)


computed(
    router,
    "/leads/{lead_id}/qualification",
    service.latest_of_lead,
    Qualification,
    name="get_lead_qualification",
    params={"lead_id": uuid.UUID},
    operation_id="leads-qualification-get",
    description="The lead's latest qualification; 404 while it has none.",
)


@router.post(
    "/opportunities/{opportunity_id}/qualification",
    operation_id="opportunities-qualification-create",
    **EVALUATION,
)
async def qualify_opportunity(
    opportunity_id: uuid.UUID,
    body: QualificationCreate,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    response: Response,
) -> Qualification:
    row = await service.qualify_opportunity(session, principal, opportunity_id, body, settings.tz)
    set_created(response, f"/api/v1/opportunities/{opportunity_id}/qualification")
    return Qualification.model_validate(row)


computed(
    router,
    "/opportunities/{opportunity_id}/qualification",
    service.latest_of_opportunity,
    Qualification,
    name="get_opportunity_qualification",
    params={"opportunity_id": uuid.UUID},
    operation_id="opportunities-qualification-get",
    description="The opportunity's latest qualification, else its lead's latest (a converted "
    "lead's evaluation is copied to the opportunity); 404 while there is none.",
)
