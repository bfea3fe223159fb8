"""`/stages`: the stage table as data; admins change probabilities, default forecast categories
and requirement codes. The validator always reads the table from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound, field_error
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.models import Stage
from app.opportunities import repository
from app.opportunities.schemas import StageUpdate
from app.opportunities.stages import REQUIREMENT_CODES

CLOSED_WON = "closed_won"


async def get(session: AsyncSession, slug: str) -> Stage:
    stage = await repository.get_stage(session, slug)
    if stage is None:
        raise NotFound("No such stage.")
    return stage


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
    session: AsyncSession, slug: str, patch: StageUpdate, if_match: str | None
) -> Stage:
    stage = await repository.stage_for_update(session, slug)
    if stage is None:
        raise NotFound("No such stage.")
    check_if_match(if_match, stage.version)
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    category = changes.get("forecast_category")
    if category is not None and (category == "closed") != (slug == CLOSED_WON):
        raise field_error(
            "forecast_category",
            "invalid_choice",
            "closed is the category of closed_won, and closed_won's category is closed.",
        )
    if "requirements" in changes:
        _check_codes(changes["requirements"])
        changes["requirements"] = {**stage.requirements, **changes["requirements"]}
    changes = {k: v for k, v in changes.items() if getattr(stage, k) != v}
    if changes:
        for name, value in changes.items():
            setattr(stage, name, value)
        stage.version += 1
        stage.updated_at = datetime.now(UTC)
        await session.flush()
    return stage


async def list_page(session: AsyncSession, page: PageParams) -> tuple[list[Stage], str | None]:
    return await repository.stages_page(session, page)
