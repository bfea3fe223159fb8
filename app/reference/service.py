"""Reference data: read by everyone, edited by admins (If-Match on each row's version)."""

from __future__ import annotations

import uuid
from typing import Protocol
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import found
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.repository import apply_patch
from app.core.schemas import RequestModel
from app.core.security import Principal
from app.models import BuyerProcessStage
from app.models import DiscoveryQuestion
from app.models import PersonaProfile
from app.reference import repository
from app.reference.schemas import BuyerProcessStageUpdate
from app.reference.schemas import DiscoveryQuestionCreate
from app.reference.schemas import DiscoveryQuestionUpdate
from app.reference.schemas import PersonaUpdate
from app.reference.schemas import QuestionFilters


async def list_personas(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[PersonaProfile], str | None]:
    return await repository.list_personas(session, page)


async def list_questions(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: QuestionFilters,
) -> tuple[list[DiscoveryQuestion], str | None]:
    return await repository.list_questions(session, page, filters)


async def list_buyer_process_stages(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[BuyerProcessStage], str | None]:
    return await repository.list_buyer_process_stages(session, page)


class _Versioned(Protocol):
    version: int


V = TypeVar("V", bound=_Versioned)


async def _patched(session: AsyncSession, row: V, patch: RequestModel, if_match: str | None) -> V:
    """Merge-patches a reference row under If-Match (admins edit; rows keep their version)."""
    check_if_match(if_match, row.version)
    await apply_patch(session, row, patch.model_dump(exclude_unset=True))
    return row


async def update_persona(
    session: AsyncSession,
    principal: Principal,
    slug: str,
    patch: PersonaUpdate,
    if_match: str | None,
) -> PersonaProfile:
    persona = await repository.persona_for_update(session, slug)
    return await _patched(session, found(persona, "No such persona."), patch, if_match)


async def create_question(
    session: AsyncSession, principal: Principal, data: DiscoveryQuestionCreate
) -> DiscoveryQuestion:
    return await repository.add_question(session, DiscoveryQuestion(**data.model_dump()))


async def get_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID
) -> DiscoveryQuestion:
    question = await repository.get_question(session, question_id)
    return found(question, "No such discovery question.")


async def update_question(
    session: AsyncSession,
    principal: Principal,
    question_id: uuid.UUID,
    patch: DiscoveryQuestionUpdate,
    if_match: str | None,
) -> DiscoveryQuestion:
    question = await repository.question_for_update(session, question_id)
    return await _patched(session, found(question, "No such discovery question."), patch, if_match)


async def update_buyer_process_stage(
    session: AsyncSession,
    principal: Principal,
    slug: str,
    patch: BuyerProcessStageUpdate,
    if_match: str | None,
) -> BuyerProcessStage:
    stage = await repository.buyer_process_stage_for_update(session, slug)
    return await _patched(session, found(stage, "No such buyer process stage."), patch, if_match)
