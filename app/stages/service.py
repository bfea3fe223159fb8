"""`/stages`: the stage table as data; admins change probabilities, default forecast categories
and requirement codes. The validator always reads the table from the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import StageSlug
from app.core.errors import field_error
from app.core.errors import found
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.repository import apply_patch
from app.core.security import Principal
from app.models import Stage
from app.stages import repository
from app.stages.rules import REQUIREMENT_CODES
from app.stages.schemas import StageUpdate

MISSING = "No such stage."


async def get(session: AsyncSession, principal: Principal, slug: str) -> Stage:
    return found(await repository.get_stage(session, slug), MISSING)


def _check_codes(requirements: dict[str, list[str]]) -> None:
    for kind, codes in requirements.items():
        seen: set[str] = set()
        for index, code in enumerate(codes):
            if code not in REQUIREMENT_CODES:
                raise field_error(
                    f"requirements.{kind}.{index}",
                    "invalid_choice",
                    f"{code!r} is not a requirement code; use one of "
                    + ", ".join(REQUIREMENT_CODES)
                    + ".",
                )
            if code in seen:
                raise field_error(
                    f"requirements.{kind}.{index}", "duplicate", f"{code} is listed twice."
                )
            seen.add(code)


async def update(
    session: AsyncSession, principal: Principal, slug: str, patch: StageUpdate, if_match: str | None
) -> Stage:
    stage = found(await repository.stage_for_update(session, slug), MISSING)
    check_if_match(if_match, stage.version)
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    category = changes.get("forecast_category")
    if category is not None and (category == "closed") != (slug == StageSlug.CLOSED_WON):
        raise field_error(
            "forecast_category",
            "invalid_choice",
            "closed is the category of closed_won, and closed_won's category is closed.",
        )
    if "requirements" in changes:
        _check_codes(changes["requirements"])
        changes["requirements"] = {**stage.requirements, **changes["requirements"]}
    await apply_patch(session, stage, changes)
    return stage


async def list_page(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[Stage], str | None]:
    return await repository.stages_page(session, page)
