"""What a timeline page row says: its one-line `summary` and its `data`, by kind, read from
the page's rows joined back to their tables (only the page's rows, after the cut)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, and_, case, func, literal, literal_column, select, type_coerce

from app.core.enums import TimelineKind
from app.core.json_sql import timestamp_json
from app.models import (
    AdoptionChange,
    Interaction,
    Lead,
    Meeting,
    Note,
    OpportunityHistory,
    Qualification,
    Task,
    Unit,
)


def _ts(column: Any) -> Any:
    return timestamp_json(column)


def _line(text: Any, width: int = 140) -> Any:
    """Text on one line, cut to `width` characters."""
    return func.left(func.regexp_replace(func.trim(text), r"\s+", " ", "g"), width)


def _opt(prefix: str, value: Any) -> Any:
    """`prefix || value`, or '' when value is null."""
    return func.coalesce(literal(prefix) + value, "")


def render(page: Any) -> tuple[Any, Any, list[tuple[Any, Any]]]:
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
