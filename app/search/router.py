"""GET /search: one box that finds accounts, contacts, leads and opportunities by name."""

from __future__ import annotations

from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Query

from app.core.enums import SearchType
from app.core.pagination import Page
from app.core.query_lists import comma_list
from app.core.schemas import SINGLE_LINE
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.search import service
from app.search.schemas import SearchHit
from app.search.schemas import SearchPage

router = APIRouter(tags=["search"])

Types = comma_list("types", SearchType, "Only these kinds of record (default: all).")


@router.get(
    "/search",
    operation_id="search",
    response_model=SearchPage,
    summary="Find records by name",
    description="The accounts (name, domain), contacts (name, email), leads (name, email, "
    "company) and opportunities (name, account name) you can see that match every word of "
    '`q`, whole or as a prefix, case-insensitively (`fjord ban` finds "Fjord Bank"), best '
    "match first. PostgreSQL full-text search ('simple' configuration: no stemming) over "
    "indexed columns. Punctuation separates words and is never query syntax; a `q` with no "
    "letter or digit finds nothing. Integrations find only the leads they created.",
)
async def search(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=100,
            pattern=SINGLE_LINE,
            description="The words to find (2-100 characters).",
        ),
    ],
    types: Any = Types,
) -> SearchPage:
    rows, cursor = await service.search(session, principal, q, types, page)
    items = [
        SearchHit(type=r.type, id=r.id, title=r.title, subtitle=r.subtitle, score=round(r.score, 4))
        for r in rows
    ]
    return SearchPage(items=items, next_cursor=cursor)
