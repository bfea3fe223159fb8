"""The timeline statement: one SQL statement per page, whatever its length.

A `UNION ALL` of one branch per (kind, subject set) — notes, tasks and interactions on each
subject the timeline covers, meetings, qualifications, conversions, opportunity history and
adoption changes — each cut to the page by the cursor and its own `ORDER BY ... LIMIT` (an
index serves every branch), then merged and cut again. Only the page's rows are joined back
to their tables to write `summary` and `data`. The subject's visibility is part of the
statement: a root the viewer cannot see yields the single row `found = false`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import DateTime
from sqlalchemy import Select
from sqlalchemy import Uuid
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import exists
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import tuple_
from sqlalchemy import union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SubjectType
from app.core.enums import TimelineKind
from app.core.errors import Malformed
from app.core.pagination import PageParams
from app.core.pagination import decode_cursor
from app.core.pagination import encode_cursor
from app.core.pagination import page_rows
from app.core.visibility import VIEWER_ID
from app.core.visibility import BoundViewer
from app.core.visibility import Viewer
from app.models import AdoptionChange
from app.models import Contact
from app.models import Interaction
from app.models import Lead
from app.models import Meeting
from app.models import Note
from app.models import Opportunity
from app.models import OpportunityHistory
from app.models import Qualification
from app.models import Task
from app.models import Unit
from app.subjects.repository import visibility_rule
from app.timeline.render import render

ENDPOINT = "timeline"
AFTER_AT = bindparam("after_at", type_=DateTime(timezone=True))
AFTER_ID = bindparam("after_id", type_=Uuid())
ROOT_ID = bindparam("root_id", type_=Uuid())
# The first page starts after everything (no cursor): the end of time and the largest id.
_START = (datetime(9999, 12, 31, tzinfo=UTC), uuid.UUID(int=(1 << 128) - 1))


@dataclass(frozen=True)
class Scope:
    """The ids (as subqueries of the root) whose items a timeline shows."""

    leads: Any = None
    contacts: Any = None
    accounts: Any = None
    opportunities: Any = None
    units: Any = None  # adoption changes of these units
    adoption_of_opportunity: Any = None  # adoption changes an opportunity caused


def _scope(subject_type: SubjectType, root: Any) -> Scope:
    """An account's timeline covers its contacts, opportunities and converted leads; a
    contact's, its lead; an opportunity's, the adoption changes it caused."""
    match subject_type:
        case SubjectType.LEAD:
            return Scope(leads=root)
        case SubjectType.CONTACT:
            return Scope(
                contacts=root,
                leads=select(Contact.lead_id).where(Contact.id.in_(root)),
            )
        case SubjectType.OPPORTUNITY:
            return Scope(opportunities=root, adoption_of_opportunity=root)
        case SubjectType.ACCOUNT:
            return Scope(
                accounts=root,
                contacts=select(Contact.id).where(Contact.account_id.in_(root)),
                opportunities=select(Opportunity.id).where(Opportunity.account_id.in_(root)),
                leads=select(Lead.id).where(
                    Lead.account_id.in_(root), Lead.converted_at.is_not(None)
                ),
                units=select(Unit.id).where(Unit.account_id.in_(root)),
            )


def _branch(
    kind: Any, at: Any, id_: Any, actor: Any, where: Sequence[ColumnElement[bool]], n: Any
) -> Select[Any]:
    """One kind's candidates for the page: after the cursor, newest first, at most `n`."""
    after = tuple_(at, id_) < tuple_(AFTER_AT, AFTER_ID)
    return (
        select(at.label("at"), kind.label("kind"), id_.label("id"), actor.label("actor_id"))
        .where(*where, after)
        .order_by(at.desc(), id_.desc())
        .limit(n)
    )


def _subject_branches(scope: Scope, n: Any) -> list[Select[Any]]:
    """Notes, tasks and interactions: one branch per table over every subject in scope (a
    semi-join on (subject_type, subject_id), which their timeline index serves)."""
    sets = {
        SubjectType.LEAD: scope.leads,
        SubjectType.CONTACT: scope.contacts,
        SubjectType.ACCOUNT: scope.accounts,
        SubjectType.OPPORTUNITY: scope.opportunities,
    }
    parts = []
    for subject_type, ids in sets.items():
        if ids is not None:
            column = ids.subquery().c[0]
            parts.append(select(literal(subject_type.value).label("type"), column.label("id")))
    subjects = (union_all(*parts) if len(parts) > 1 else parts[0]).cte("subjects")
    branches = []
    for model, kind, at, actor in (
        (Note, TimelineKind.NOTE, Note.created_at, Note.author_id),
        (Task, TimelineKind.TASK, Task.created_at, Task.created_by),
        (Interaction, TimelineKind.INTERACTION, Interaction.occurred_at, Interaction.created_by),
    ):
        # Per subject, at most `n` rows read backwards along the timeline index; then the
        # newest `n` of those.
        where = [model.subject_type == subjects.c.type, model.subject_id == subjects.c.id]
        each = _branch(literal(kind.value), at, model.id, actor, where, n).lateral()
        branches.append(
            select(each)
            .select_from(subjects.join(each, true()))
            .order_by(each.c.at.desc(), each.c.id.desc())
            .limit(n)
        )
    return branches


def _kind(kind: TimelineKind | Any) -> Any:
    return literal(kind.value) if isinstance(kind, TimelineKind) else kind


def _record_branches(scope: Scope, n: Any) -> list[Select[Any]]:
    """Meetings, qualifications, conversions, opportunity history and adoption changes: one
    branch per (kind, the column naming a record in scope)."""
    meeting = (TimelineKind.MEETING, Meeting.scheduled_at, Meeting.id, Meeting.created_by)
    qualification = (
        TimelineKind.QUALIFICATION,
        Qualification.evaluated_at,
        Qualification.id,
        Qualification.evaluated_by,
    )
    adoption = (
        TimelineKind.ADOPTION_CHANGE,
        AdoptionChange.at,
        AdoptionChange.id,
        AdoptionChange.actor_id,
    )
    history = (
        case(
            (OpportunityHistory.field == "stage", TimelineKind.STAGE_CHANGE.value),
            else_=TimelineKind.FIELD_CHANGE.value,
        ),
        OpportunityHistory.at,
        OpportunityHistory.id,
        OpportunityHistory.actor_id,
    )
    # A conversion records no actor.
    conversion = (TimelineKind.CONVERSION, Lead.converted_at, Lead.id, cast(null(), Lead.id.type))
    links: list[tuple[tuple[Any, Any, Any, Any], Any, Any]] = [
        (meeting, Meeting.lead_id, scope.leads),
        (meeting, Meeting.opportunity_id, scope.opportunities),
        (qualification, Qualification.lead_id, scope.leads),
        (qualification, Qualification.opportunity_id, scope.opportunities),
        (conversion, Lead.id, scope.leads),
        (history, OpportunityHistory.opportunity_id, scope.opportunities),
        (adoption, AdoptionChange.unit_id, scope.units),
        (adoption, AdoptionChange.opportunity_id, scope.adoption_of_opportunity),
    ]
    return [
        _branch(_kind(kind), at, id_, actor, [column.in_(ids), at.is_not(None)], n)
        for (kind, at, id_, actor), column, ids in links
        if ids is not None
    ]


@dataclass(frozen=True)
class TimelinePageRows:
    found: bool
    rows: list[Any]
    next_cursor: str | None


class TimelineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    @lru_cache(maxsize=512)  # roles x subject types x page sizes: few are used
    def statement(role: str, subject_type: SubjectType, rows: int) -> Select[Any]:
        """The page statement for a subject type, a viewer's role and the rows read (page size
        + 1, written into the SQL: `page_rows`), built once (parameters `root_id`, `after_at`,
        `after_id` and `viewer_id`)."""
        viewer = BoundViewer(role)
        repository = visibility_rule(subject_type)
        root = (
            select(repository.id_column)
            .where(repository.id_column == ROOT_ID, repository.visible(viewer))
            .cte("root")
        )
        root_ids = select(root.c.id)
        n = page_rows(rows)
        scope = _scope(subject_type, root_ids)
        branches = _subject_branches(scope, n) + _record_branches(scope, n)
        merged = union_all(*branches).subquery("merged")
        page = (
            select(merged)
            .order_by(merged.c.at.desc(), merged.c.id.desc())
            .limit(n)
            .subquery("page")
        )
        found = select(exists(root_ids).label("found")).subquery("found")
        return (
            select(
                found.c.found,
                page.c.at,
                page.c.kind,
                page.c.id,
                page.c.actor_id,
                render(page).label("item"),
            )
            .select_from(found.outerjoin(page, true()))
            .order_by(page.c.at.desc(), page.c.id.desc())
        )

    async def page(
        self,
        viewer: Viewer,
        subject_type: SubjectType,
        subject_id: uuid.UUID,
        page: PageParams,
    ) -> TimelinePageRows:
        binding = {"subject_type": subject_type.value, "subject_id": subject_id}
        after: tuple[Any, ...] = _START
        if page.cursor:
            keys = decode_cursor(page.cursor, ENDPOINT, binding)
            try:
                after = (datetime.fromisoformat(keys[0]), uuid.UUID(keys[1]))
            except (ValueError, TypeError, IndexError) as exc:
                raise Malformed("The cursor is invalid.") from exc
        params = {
            "root_id": subject_id,
            "after_at": after[0],
            "after_id": after[1],
            VIEWER_ID: viewer.id,
        }
        statement = self.statement(viewer.role, subject_type, page.limit + 1)
        result = await self.session.execute(statement, params)
        rows = list(result.all())
        if not rows or not rows[0].found:
            return TimelinePageRows(False, [], None)
        items = [r for r in rows if r.id is not None]
        cursor = None
        if len(items) > page.limit:
            del items[page.limit :]
            cursor = encode_cursor(ENDPOINT, binding, [items[-1].at, items[-1].id])
        return TimelinePageRows(True, items, cursor)
