"""SQL of `GET /search`: one statement over the four searchable tables, each branch matched
through its GIN index, filtered by the caller's visibility and cut to the page before the
union is ordered, best match first (`ts_rank`, then `id`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Float
from sqlalchemy import Select
from sqlalchemy import Uuid
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SearchType
from app.core.errors import Malformed
from app.core.pagination import PageParams
from app.core.pagination import decode_cursor
from app.core.pagination import encode_cursor
from app.core.pagination import page_rows
from app.core.text_search import TextQuery
from app.core.text_search import bound_matches
from app.core.text_search import bound_rank
from app.core.visibility import VIEWER_ID
from app.core.visibility import BoundViewer
from app.core.visibility import Viewer
from app.core.visibility import lead_visible
from app.core.visibility import opportunity_visible
from app.core.visibility import territory_visible
from app.models import Account
from app.models import Contact
from app.models import Lead
from app.models import Opportunity

ENDPOINT = "search"


def _full_name(first: Any, last: Any, fallback: Any) -> ColumnElement[str]:
    name = func.nullif(func.concat_ws(" ", first, last), "")
    title: ColumnElement[str] = func.coalesce(name, fallback, "")
    return title


def _subtitle(*parts: Any) -> ColumnElement[str]:
    text: ColumnElement[str] = func.nullif(func.concat_ws(" · ", *parts), "")
    return text


def _branch(
    kind: SearchType, vector: Any, id_column: Any, title: Any, subtitle: Any
) -> Select[Any]:
    score = cast(bound_rank(vector), Float)
    return select(
        literal(kind.value).label("type"),
        id_column.label("id"),
        title.label("title"),
        subtitle.label("subtitle"),
        score.label("score"),
    ).where(bound_matches(vector))


def branches(viewer: Viewer) -> dict[SearchType, Select[Any]]:
    """Each type's visible matches (type, id, title, subtitle, score) of the bound query."""
    account_name = Account.name
    return {
        SearchType.ACCOUNT: _branch(
            SearchType.ACCOUNT, Account.search_vector, Account.id, Account.name, Account.domain
        ).where(territory_visible(viewer, Account.territory_id)),
        SearchType.CONTACT: _branch(
            SearchType.CONTACT,
            Contact.search_vector,
            Contact.id,
            _full_name(Contact.first_name, Contact.last_name, Contact.email),
            _subtitle(Contact.email, account_name),
        )
        .join(Account, Account.id == Contact.account_id)
        .where(territory_visible(viewer, Account.territory_id)),
        SearchType.LEAD: _branch(
            SearchType.LEAD,
            Lead.search_vector,
            Lead.id,
            _full_name(Lead.first_name, Lead.last_name, Lead.email),
            _subtitle(Lead.company, Lead.email),
        ).where(lead_visible(viewer)),
        SearchType.OPPORTUNITY: _branch(
            SearchType.OPPORTUNITY,
            Opportunity.search_vector,
            Opportunity.id,
            Opportunity.name,
            account_name,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(opportunity_visible(viewer)),
    }


@lru_cache(maxsize=512)  # roles x type sets x first page or not x page size: few are used
def _statement(
    role: str, types: tuple[SearchType, ...], after_cursor: bool, rows: int
) -> Select[Any]:
    """Built once per shape, since building the four branches cost the worker some 10 ms a
    search. The query, the viewer and the cursor are bound; the rows read are written into
    the SQL (`page_rows`)."""
    limit = page_rows(rows)
    parts = []
    for kind, branch in branches(BoundViewer(role)).items():
        if kind not in types:
            continue
        score, id_column = branch.selected_columns.score, branch.selected_columns.id
        if after_cursor:
            after = tuple_(
                bindparam("after_score", type_=Float), bindparam("after_id", type_=Uuid())
            )
            branch = branch.where(tuple_(score, id_column) < after)
        # Each branch is cut to the page first: the union orders at most 4 pages of rows.
        parts.append(branch.order_by(score.desc(), id_column.desc()).limit(limit))
    hits = union_all(*parts).subquery("hits")
    return select(hits).order_by(hits.c.score.desc(), hits.c.id.desc()).limit(limit)


def _after(keys: list[Any]) -> tuple[float, uuid.UUID]:
    try:
        score, hit_id = keys
        return float(score), uuid.UUID(hit_id)
    except (TypeError, ValueError) as exc:
        raise Malformed("The cursor does not belong to this search.") from exc


async def search_page(
    session: AsyncSession,
    viewer: Viewer,
    query: TextQuery,
    types: Sequence[SearchType],
    page: PageParams,
    binding: dict[str, Any],
) -> tuple[list[Any], str | None]:
    """One page of hits, best first; the cursor is the last hit's (score, id)."""
    params: dict[str, Any] = {**query.params(), VIEWER_ID: viewer.id}
    if page.cursor:
        score, hit_id = _after(decode_cursor(page.cursor, ENDPOINT, binding))
        params |= {"after_score": score, "after_id": hit_id}
    stmt = _statement(viewer.role, tuple(types), bool(page.cursor), page.limit + 1)
    rows = list((await session.execute(stmt, params)).all())
    if len(rows) <= page.limit:
        return rows, None
    del rows[page.limit :]
    last = rows[-1]
    return rows, encode_cursor(ENDPOINT, binding, [last.score, str(last.id)])
