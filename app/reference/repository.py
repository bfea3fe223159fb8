"""SQL for personas, discovery questions and buyer process stages."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import fetch_page
from app.core.repository import any_of
from app.models import BuyerProcessStage
from app.models import DiscoveryQuestion
from app.models import PersonaProfile
from app.reference.schemas import QuestionFilters


async def list_personas(
    session: AsyncSession, page: PageParams
) -> tuple[list[PersonaProfile], str | None]:
    keys = [SortKey(PersonaProfile.position), SortKey(PersonaProfile.slug)]
    return await fetch_page(session, select(PersonaProfile), keys, page, "personas", {})


async def persona_for_update(session: AsyncSession, slug: str) -> PersonaProfile | None:
    return await session.scalar(
        select(PersonaProfile)
        .where(PersonaProfile.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def list_questions(
    session: AsyncSession, page: PageParams, filters: QuestionFilters
) -> tuple[list[DiscoveryQuestion], str | None]:
    keys = [SortKey(DiscoveryQuestion.position), SortKey(DiscoveryQuestion.id)]
    stmt = select(DiscoveryQuestion)
    stmt = stmt.where(*any_of(DiscoveryQuestion.element, filters.element))
    if filters.persona:
        # A question without a persona fits every persona.
        personas = any_of(DiscoveryQuestion.persona, filters.persona)
        stmt = stmt.where(or_(*personas, DiscoveryQuestion.persona.is_(None)))
    binding = filters.cursor_binding()
    return await fetch_page(session, stmt, keys, page, "discovery-questions", binding)


async def question_for_update(
    session: AsyncSession, question_id: uuid.UUID
) -> DiscoveryQuestion | None:
    return await session.scalar(
        select(DiscoveryQuestion)
        .where(DiscoveryQuestion.id == question_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_question(session: AsyncSession, question_id: uuid.UUID) -> DiscoveryQuestion | None:
    return await session.get(DiscoveryQuestion, question_id)


async def add_question(session: AsyncSession, question: DiscoveryQuestion) -> DiscoveryQuestion:
    question.position = (
        await session.scalar(select(func.coalesce(func.max(DiscoveryQuestion.position), 0))) or 0
    ) + 1
    session.add(question)
    await session.flush()
    await session.refresh(question)
    return question


async def list_buyer_process_stages(
    session: AsyncSession, page: PageParams
) -> tuple[list[BuyerProcessStage], str | None]:
    keys = [SortKey(BuyerProcessStage.number)]
    return await fetch_page(
        session, select(BuyerProcessStage), keys, page, "buyer-process-stages", {}
    )


async def buyer_process_stage_for_update(
    session: AsyncSession, slug: str
) -> BuyerProcessStage | None:
    return await session.scalar(
        select(BuyerProcessStage)
        .where(BuyerProcessStage.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
