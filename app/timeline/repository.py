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
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SubjectType, TimelineKind
from app.core.errors import Malformed
from app.core.json_sql import timestamp_json
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.core.visibility import VIEWER_ID, BoundViewer, Viewer
from app.models import (
    AdoptionChange,
    Contact,
    Interaction,
    Lead,
    Meeting,
    Note,
    Opportunity,
    OpportunityHistory,
    Qualification,
    Task,
    Unit,
)
from app.subjects.repository import REPOSITORIES

ENDPOINT = "timeline"
AFTER_AT = bindparam("after_at", type_=DateTime(timezone=True))
AFTER_ID = bindparam("after_id", type_=Uuid())
ROOT_ID = bindparam("root_id", type_=Uuid())
SIZE = bindparam("n", type_=Integer())
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
    kind: Any, at: Any, id_: Any, actor: Any, where: list[ColumnElement[bool]], n: Any
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
    sets = {
        SubjectType.LEAD: scope.leads,
        SubjectType.CONTACT: scope.contacts,
        SubjectType.ACCOUNT: scope.accounts,
        SubjectType.OPPORTUNITY: scope.opportunities,
    }
    branches = []
    for subject_type, ids in sets.items():
        if ids is None:
            continue
        for model, kind, at, actor in (
            (Note, TimelineKind.NOTE, Note.created_at, Note.author_id),
            (Task, TimelineKind.TASK, Task.created_at, Task.created_by),
            (
                Interaction,
                TimelineKind.INTERACTION,
                Interaction.occurred_at,
                Interaction.created_by,
            ),
        ):
            where = [model.subject_type == subject_type.value, model.subject_id.in_(ids)]
            branches.append(_branch(literal(kind.value), at, model.id, actor, where, n))
    return branches


def _record_branches(scope: Scope, n: Any) -> list[Select[Any]]:
    branches = []
    for column, ids in (
        (Meeting.lead_id, scope.leads),
        (Meeting.opportunity_id, scope.opportunities),
    ):
        if ids is not None:
            branches.append(
                _branch(
                    literal(TimelineKind.MEETING.value),
                    Meeting.scheduled_at,
                    Meeting.id,
                    Meeting.created_by,
                    [column.in_(ids)],
                    n,
                )
            )
    for column, ids in (
        (Qualification.lead_id, scope.leads),
        (Qualification.opportunity_id, scope.opportunities),
    ):
        if ids is not None:
            branches.append(
                _branch(
                    literal(TimelineKind.QUALIFICATION.value),
                    Qualification.evaluated_at,
                    Qualification.id,
                    Qualification.evaluated_by,
                    [column.in_(ids)],
                    n,
                )
            )
    if scope.leads is not None:
        branches.append(
            _branch(
                literal(TimelineKind.CONVERSION.value),
                Lead.converted_at,
                Lead.id,
                cast(null(), Lead.id.type),
                [Lead.id.in_(scope.leads), Lead.converted_at.is_not(None)],
                n,
            )
        )
    if scope.opportunities is not None:
        kind = case(
            (OpportunityHistory.field == "stage", TimelineKind.STAGE_CHANGE.value),
            else_=TimelineKind.FIELD_CHANGE.value,
        )
        branches.append(
            _branch(
                kind,
                OpportunityHistory.at,
                OpportunityHistory.id,
                OpportunityHistory.actor_id,
                [OpportunityHistory.opportunity_id.in_(scope.opportunities)],
                n,
            )
        )
    for column, ids in (
        (AdoptionChange.unit_id, scope.units),
        (AdoptionChange.opportunity_id, scope.adoption_of_opportunity),
    ):
        if ids is not None:
            branches.append(
                _branch(
                    literal(TimelineKind.ADOPTION_CHANGE.value),
                    AdoptionChange.at,
                    AdoptionChange.id,
                    AdoptionChange.actor_id,
                    [column.in_(ids)],
                    n,
                )
            )
    return branches


def _ts(column: Any) -> Any:
    return timestamp_json(column)


def _line(text: Any, width: int = 140) -> Any:
    """Text on one line, cut to `width` characters."""
    return func.left(func.regexp_replace(func.trim(text), r"\s+", " ", "g"), width)


def _opt(prefix: str, value: Any) -> Any:
    """`prefix || value`, or '' when value is null."""
    return func.coalesce(literal(prefix) + value, "")


def _render(page: Any) -> tuple[Any, Any, list[tuple[Any, Any]]]:
    """The `summary` and `data` of a page row, by kind, and the joins they read."""
    n = Note.__table__.alias("n")
    t = Task.__table__.alias("t")
    i = Interaction.__table__.alias("i")
    m = Meeting.__table__.alias("m")
    q = Qualification.__table__.alias("q")
    ld = Lead.__table__.alias("ld")
    h = OpportunityHistory.__table__.alias("h")
    a = AdoptionChange.__table__.alias("a")
    u = Unit.__table__.alias("u")

    def kind_is(*kinds: TimelineKind) -> Any:
        return page.c.kind.in_([k.value for k in kinds])

    joins = [
        (n, and_(kind_is(TimelineKind.NOTE), n.c.id == page.c.id)),
        (t, and_(kind_is(TimelineKind.TASK), t.c.id == page.c.id)),
        (i, and_(kind_is(TimelineKind.INTERACTION), i.c.id == page.c.id)),
        (m, and_(kind_is(TimelineKind.MEETING), m.c.id == page.c.id)),
        (q, and_(kind_is(TimelineKind.QUALIFICATION), q.c.id == page.c.id)),
        (ld, and_(kind_is(TimelineKind.CONVERSION), ld.c.id == page.c.id)),
        (
            h,
            and_(
                kind_is(TimelineKind.STAGE_CHANGE, TimelineKind.FIELD_CHANGE), h.c.id == page.c.id
            ),
        ),
        (a, and_(kind_is(TimelineKind.ADOPTION_CHANGE), a.c.id == page.c.id)),
        (u, u.c.id == a.c.unit_id),
    ]
    failed = (
        select(func.string_agg(literal_column("c.key"), literal(", ")))
        .select_from(func.jsonb_each(q.c.criteria).alias("c"))
        .where(literal_column("(c.value ->> 'passed')") != "true")
        .scalar_subquery()
    )
    summary = case(
        (kind_is(TimelineKind.NOTE), "Note: " + _line(n.c.body)),
        (
            kind_is(TimelineKind.TASK),
            "Task: "
            + t.c.title
            + " ("
            + t.c.status
            + _opt(", due ", func.to_char(func.timezone("UTC", t.c.due_at), "YYYY-MM-DD"))
            + ")",
        ),
        (
            kind_is(TimelineKind.INTERACTION),
            func.initcap(i.c.direction)
            + " "
            + i.c.channel
            + case((i.c.breakup, " (breakup)"), else_="")
            + _opt(": ", func.coalesce(i.c.title, _line(i.c.summary, 120))),
        ),
        (
            kind_is(TimelineKind.MEETING),
            "Meeting" + _opt(" with ", m.c.persona) + _opt(": ", _line(m.c.outcome, 120)),
        ),
        (
            kind_is(TimelineKind.QUALIFICATION),
            case(
                (q.c.qualified, "Qualification passed"),
                else_="Qualification failed" + _opt(": ", failed),
            ),
        ),
        (
            kind_is(TimelineKind.CONVERSION),
            "Converted into a contact"
            + case((ld.c.converted_opportunity_id.is_not(None), " and an opportunity"), else_=""),
        ),
        (
            kind_is(TimelineKind.STAGE_CHANGE),
            case(
                (h.c.old.is_(None), "Created in " + h.c.new),
                else_="Moved from " + h.c.old + " to " + h.c.new,
            )
            + _opt(": ", h.c.reason),
        ),
        (
            kind_is(TimelineKind.FIELD_CHANGE),
            "Changed "
            + h.c.field
            + " from "
            + func.coalesce(h.c.old, "nothing")
            + " to "
            + func.coalesce(h.c.new, "nothing")
            + _opt(": ", h.c.reason),
        ),
        else_="Unit "
        + func.coalesce(u.c.name, "?")
        + " went from "
        + func.coalesce(a.c.old, "none")
        + " to "
        + a.c.new,
    )
    data = type_coerce(
        case(
            (
                kind_is(TimelineKind.NOTE),
                func.json_build_object(
                    "subject_type",
                    n.c.subject_type,
                    "subject_id",
                    n.c.subject_id,
                    "body",
                    n.c.body,
                    "pinned",
                    n.c.pinned,
                ),
            ),
            (
                kind_is(TimelineKind.TASK),
                func.json_build_object(
                    "subject_type",
                    t.c.subject_type,
                    "subject_id",
                    t.c.subject_id,
                    "title",
                    t.c.title,
                    "notes",
                    t.c.notes,
                    "due_at",
                    _ts(t.c.due_at),
                    "priority",
                    t.c.priority,
                    "status",
                    t.c.status,
                    "owner_id",
                    t.c.owner_id,
                    "completed_at",
                    _ts(t.c.completed_at),
                ),
            ),
            (
                kind_is(TimelineKind.INTERACTION),
                func.json_build_object(
                    "subject_type",
                    i.c.subject_type,
                    "subject_id",
                    i.c.subject_id,
                    "channel",
                    i.c.channel,
                    "direction",
                    i.c.direction,
                    "title",
                    i.c.title,
                    "summary",
                    i.c.summary,
                    "content_ref",
                    i.c.content_ref,
                    "breakup",
                    i.c.breakup,
                    "external_id",
                    i.c.external_id,
                    "source",
                    i.c.source,
                ),
            ),
            (
                kind_is(TimelineKind.MEETING),
                func.json_build_object(
                    "lead_id",
                    m.c.lead_id,
                    "opportunity_id",
                    m.c.opportunity_id,
                    "scheduled_at",
                    _ts(m.c.scheduled_at),
                    "persona",
                    m.c.persona,
                    "outcome",
                    m.c.outcome,
                    "next_step_at",
                    _ts(m.c.next_step_at),
                ),
            ),
            (
                kind_is(TimelineKind.QUALIFICATION),
                func.json_build_object(
                    "lead_id",
                    q.c.lead_id,
                    "opportunity_id",
                    q.c.opportunity_id,
                    "qualified",
                    q.c.qualified,
                    "criteria",
                    q.c.criteria,
                ),
            ),
            (
                kind_is(TimelineKind.CONVERSION),
                func.json_build_object(
                    "lead_id",
                    ld.c.id,
                    "account_id",
                    ld.c.account_id,
                    "contact_id",
                    ld.c.converted_contact_id,
                    "opportunity_id",
                    ld.c.converted_opportunity_id,
                ),
            ),
            (
                kind_is(TimelineKind.STAGE_CHANGE, TimelineKind.FIELD_CHANGE),
                func.json_build_object(
                    "opportunity_id",
                    h.c.opportunity_id,
                    "field",
                    h.c.field,
                    "old",
                    h.c.old,
                    "new",
                    h.c.new,
                    "reason",
                    h.c.reason,
                ),
            ),
            else_=func.json_build_object(
                "unit_id",
                a.c.unit_id,
                "unit_name",
                u.c.name,
                "old",
                a.c.old,
                "new",
                a.c.new,
                "opportunity_id",
                a.c.opportunity_id,
            ),
        ),
        JSON,
    )
    return summary, data, joins


@dataclass(frozen=True)
class TimelinePageRows:
    found: bool
    rows: list[Any]
    next_cursor: str | None


class TimelineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    @cache
    def statement(role: str, subject_type: SubjectType) -> Select[Any]:
        """The page statement for a subject type and a viewer's role, built once (parameters
        `root_id`, `after_at`, `after_id`, `n` = page size + 1, and `viewer_id`)."""
        viewer = BoundViewer(role)
        repository = REPOSITORIES[subject_type](None)  # type: ignore[arg-type]
        root = (
            select(repository.id_column)
            .where(repository.id_column == ROOT_ID, repository.visible(viewer))
            .cte("root")
        )
        root_ids = select(root.c.id)
        n = SIZE
        scope = _scope(subject_type, root_ids)
        branches = _subject_branches(scope, n) + _record_branches(scope, n)
        merged = union_all(*branches).subquery("merged")
        page = (
            select(merged)
            .order_by(merged.c.at.desc(), merged.c.id.desc())
            .limit(n)
            .subquery("page")
        )
        summary, data, joins = _render(page)
        joined: Any = page
        for table, on in joins:
            joined = joined.outerjoin(table, on)
        found = select(exists(root_ids).label("found")).subquery("found")
        return (
            select(
                found.c.found,
                page.c.at,
                page.c.kind,
                page.c.id,
                page.c.actor_id,
                cast(summary, String).label("summary"),
                data.label("data"),
            )
            .select_from(found.outerjoin(joined, true()))
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
            "n": page.limit + 1,
            VIEWER_ID: viewer.id,
        }
        result = await self.session.execute(self.statement(viewer.role, subject_type), params)
        rows = list(result.all())
        if not rows or not rows[0].found:
            return TimelinePageRows(False, [], None)
        items = [r for r in rows if r.id is not None]
        cursor = None
        if len(items) > page.limit:
            del items[page.limit :]
            cursor = encode_cursor(ENDPOINT, binding, [items[-1].at, items[-1].id])
        return TimelinePageRows(True, items, cursor)
