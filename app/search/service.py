"""Search across the records the caller can see (API.md section 12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SearchType
from app.core.pagination import PageParams
from app.core.security import Principal
from app.core.text_search import text_query
from app.search import repository


async def search(
    session: AsyncSession,
    principal: Principal,
    text: str,
    types: Sequence[SearchType] | None,
    page: PageParams,
) -> tuple[list[Any], str | None]:
    """Hits for `text` among `types` (all when None); text without a word finds nothing."""
    query = text_query(text)
    if query is None:
        return [], None
    wanted = tuple(types or SearchType)
    binding = {"q": text, "types": sorted(wanted)}
    return await repository.search_page(session, principal, query, wanted, page, binding)
