"""Reference data: read by everyone, edited by admins (If-Match on each row's version)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import found
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.repository import V
from app.core.repository import apply_patch
from app.core.schemas import RequestModel
from app.core.security import Principal
from app.models import BuyerProcessStage
from app.models import DiscoveryQuestion
from app.models import PersonaProfile
from app.reference import repository
from app.reference.schemas import DiscoveryQuestionCreate
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


Locked = Callable[[AsyncSession, Any], Awaitable[V | None]]
Update = Callable[[AsyncSession, Principal, Any, RequestModel, str | None], Awaitable[V]]


def _updater(locked: Locked[V], missing: str) -> Update[V]:
    """An admin's merge patch of one reference row under If-Match: the row `locked` finds
    (404 saying `missing`), its version checked, the sent fields written."""

    async def update(
        session: AsyncSession,
        principal: Principal,
        key: Any,
        patch: RequestModel,
        if_match: str | None,
    ) -> V:
        row = found(await locked(session, key), missing)
        check_if_match(if_match, row.version)
        await apply_patch(session, row, patch.model_dump(exclude_unset=True))
        return row

    return update


update_persona = _updater(repository.persona_for_update, "No such persona.")
update_question = _updater(repository.question_for_update, "No such discovery question.")
update_buyer_process_stage = _updater(
    repository.buyer_process_stage_for_update, "No such buyer process stage."
)


async def create_question(
    session: AsyncSession, principal: Principal, data: DiscoveryQuestionCreate
) -> DiscoveryQuestion:
    return await repository.add_question(session, DiscoveryQuestion(**data.model_dump()))


async def get_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID
) -> DiscoveryQuestion:
    question = await repository.get_question(session, question_id)
    return found(question, "No such discovery question.")
