"""/personas, /discovery-questions and /buyer-process-stages: seeded reference data for meeting
preparation, readable by every principal and editable by admins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.core.enums import BpmStage, MeddppiccElement, PersonaSlug
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.query_lists import AnyOf
from app.core.security import AdminPrincipal, CurrentPrincipal
from app.core.session import Session
from app.reference import service
from app.reference.schemas import (
    BuyerProcessStage,
    BuyerProcessStagePage,
    BuyerProcessStageUpdate,
    DiscoveryQuestion,
    DiscoveryQuestionCreate,
    DiscoveryQuestionPage,
    DiscoveryQuestionUpdate,
    Persona,
    PersonaPage,
    PersonaUpdate,
)

router = APIRouter(tags=["reference"])


@router.get(
    "/personas",
    operation_id="personas-list",
    response_model=PersonaPage,
    description="The five buyer personas with their objectives, obstacles and metrics, in order.",
)
async def list_personas(_: CurrentPrincipal, session: Session, page: Page) -> PersonaPage:
    rows, cursor = await service.list_personas(session, page)
    return PersonaPage(items=[Persona.model_validate(p) for p in rows], next_cursor=cursor)


@router.patch(
    "/personas/{slug}",
    operation_id="personas-update",
    response_model=Persona,
    description="Admins edit a persona (JSON Merge Patch; lists replace).",
)
async def update_persona(
    slug: PersonaSlug,
    body: PersonaUpdate,
    _: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Persona:
    persona = await service.update_persona(session, slug, body, if_match)
    set_etag(response, persona.version)
    return Persona.model_validate(persona)


@router.get(
    "/discovery-questions",
    operation_id="discovery-questions-list",
    response_model=DiscoveryQuestionPage,
    description="Discovery questions per MEDDPPICC element. `persona` selects the questions "
    "written for that persona together with the ones for any persona (`persona: null`).",
)
async def list_questions(
    _: CurrentPrincipal,
    session: Session,
    page: Page,
    element: AnyOf[MeddppiccElement] = None,
    persona: AnyOf[PersonaSlug] = None,
) -> DiscoveryQuestionPage:
    filters = {"element": element, "persona": persona}
    rows, cursor = await service.list_questions(session, page, filters)
    return DiscoveryQuestionPage(
        items=[DiscoveryQuestion.model_validate(q) for q in rows], next_cursor=cursor
    )


@router.post(
    "/discovery-questions",
    operation_id="discovery-questions-create",
    status_code=201,
    response_model=DiscoveryQuestion,
    dependencies=[Idempotent],
    description="Admins add a discovery question; it is listed after the existing ones.",
)
async def create_question(
    body: DiscoveryQuestionCreate, _: AdminPrincipal, session: Session, response: Response
) -> DiscoveryQuestion:
    question = await service.create_question(session, body)
    set_created(response, f"/api/v1/discovery-questions/{question.id}", question.version)
    return DiscoveryQuestion.model_validate(question)


@router.get(
    "/discovery-questions/{question_id}",
    operation_id="discovery-questions-get",
    response_model=DiscoveryQuestion,
)
async def get_question(
    question_id: uuid.UUID, _: CurrentPrincipal, session: Session, response: Response
) -> DiscoveryQuestion:
    question = await service.get_question(session, question_id)
    set_etag(response, question.version)
    return DiscoveryQuestion.model_validate(question)


@router.patch(
    "/discovery-questions/{question_id}",
    operation_id="discovery-questions-update",
    response_model=DiscoveryQuestion,
    description="Admins edit a discovery question (JSON Merge Patch).",
)
async def update_question(
    question_id: uuid.UUID,
    body: DiscoveryQuestionUpdate,
    _: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> DiscoveryQuestion:
    question = await service.update_question(session, question_id, body, if_match)
    set_etag(response, question.version)
    return DiscoveryQuestion.model_validate(question)


@router.get(
    "/buyer-process-stages",
    operation_id="buyer-process-stages-list",
    response_model=BuyerProcessStagePage,
    description="The Buyer Process Map stages in order, each with the buyer actions that "
    "signal it.",
)
async def list_buyer_process_stages(
    _: CurrentPrincipal, session: Session, page: Page
) -> BuyerProcessStagePage:
    rows, cursor = await service.list_buyer_process_stages(session, page)
    return BuyerProcessStagePage(
        items=[BuyerProcessStage.model_validate(b) for b in rows], next_cursor=cursor
    )


@router.patch(
    "/buyer-process-stages/{slug}",
    operation_id="buyer-process-stages-update",
    response_model=BuyerProcessStage,
    description="Admins edit a stage's name or buyer actions (JSON Merge Patch; lists replace).",
)
async def update_buyer_process_stage(
    slug: BpmStage,
    body: BuyerProcessStageUpdate,
    _: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> BuyerProcessStage:
    stage = await service.update_buyer_process_stage(session, slug, body, if_match)
    set_etag(response, stage.version)
    return BuyerProcessStage.model_validate(stage)
