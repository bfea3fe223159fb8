"""/interactions: logged calls, emails, meetings and messages (a lead's are its touches)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi import Response

from app.core.http import set_created
from app.core.idempotency import Idempotent
from app.core.routes import Resource
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.interactions import service
from app.interactions.schemas import INTERACTION_SORTS
from app.interactions.schemas import Interaction
from app.interactions.schemas import InteractionCreate
from app.interactions.schemas import InteractionFilters
from app.interactions.schemas import InteractionPage

router = APIRouter(tags=["interactions"])
interactions = Resource(router, "/interactions", Interaction, CurrentPrincipal, name="interaction")


@router.post(
    "/interactions",
    operation_id="interactions-create",
    status_code=201,
    response_model=Interaction,
    responses={
        200: {
            "model": Interaction,
            "description": "This `external_id` was logged "
            "before: the stored interaction, nothing changed.",
        }
    },
    dependencies=[Idempotent],
    summary="Log an interaction",
    description="A call, email, meeting or message about a subject you can see (422 "
    "`not_found` on `subject_id` otherwise), or about whoever has `email`: the open lead with "
    "that address, else the most recently updated contact with it (422 `not_found` on "
    "`email`). People match among the leads and contacts they see; integrations (which may "
    "log only by `email`, 403 otherwise) among all. One on a lead is a touch: it counts in "
    "`touch_count`, `last_touch_at`, `first_response_at` and the follow-up report. "
    "`external_id` with your `source` is unique: re-sending answers 200 with the stored "
    "interaction and counts nothing twice.",
)
async def log_interaction(
    body: InteractionCreate, principal: CurrentPrincipal, session: Session, response: Response
) -> Interaction:
    interaction, new = await service.log(session, principal, body)
    if new:
        set_created(response, f"/api/v1/interactions/{interaction.id}")
    else:
        response.status_code = 200
    return Interaction.model_validate(interaction)


interactions.list(
    service.list_page,
    InteractionPage,
    filters=InteractionFilters,
    sorts=INTERACTION_SORTS,
    summary="List interactions",
    description="Interactions whose subject you can see; an integration, those it logged. "
    "Filters: `subject_type` with `subject_id`, `channel`, `direction`. Sort: "
    "`-occurred_at` (default), `occurred_at`, `created_at`, `-created_at`.",
)


@router.get(
    "/interactions/{interaction_id}",
    operation_id="interactions-get",
    response_model=Interaction,
    summary="Read an interaction",
    description="One whose subject you can see; an integration, one it logged (else 404).",
)
async def get_interaction(
    interaction_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> Interaction:
    return Interaction.model_validate(await service.get(session, principal, interaction_id))
