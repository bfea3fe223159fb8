"""What a timeline page row says: its one-line `summary` and its `data`, by kind.

Each kind is one small scalar subquery by primary key, evaluated only for the page's rows and
only for the row's own kind (a `CASE` on the kind): cheap to plan, unlike joining every kind's
table back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import type_coerce

from app.core.enums import TimelineKind
from app.core.json_sql import timestamp_json
from app.models import AdoptionChange
from app.models import Interaction
from app.models import Lead
from app.models import Meeting
from app.models import Note
from app.models import OpportunityHistory
from app.models import Qualification
from app.models import Task
from app.models import Unit


def _line(text: Any, width: int = 140) -> Any:
    """Text on one line, cut to `width` characters."""
    return func.left(func.regexp_replace(func.trim(text), r"\s+", " ", "g"), width)


def _opt(prefix: str, value: Any) -> Any:
    """`prefix || value`, or '' when value is null."""
    return func.coalesce(literal(prefix) + value, "")


def _object(**fields: Any) -> Any:
    arguments: list[Any] = []
    for name, value in fields.items():
        arguments += [literal_column(f"'{name}'"), value]
    return func.json_build_object(*arguments)


def _row(model: Any, id_: Any, line: Any, columns: str = "", /, **data: Any) -> Any:
    """`{summary: line, data}` of the `model` row with this id: `data` holds the row's own
    `columns` (space-separated names; timestamps written as the API writes them), then the
    values named in `data`."""
    own = {name: _shown(getattr(model, name)) for name in columns.split()}
    return select(_object(summary=line, data=_object(**own, **data))).where(model.id == id_)


def _shown(column: Any) -> Any:
    return timestamp_json(column) if isinstance(column.type, DateTime) else column


def _note(id_: Any) -> Any:
    n = Note
    return _row(
        n,
        id_,
        "Note: " + _line(n.body),
        "subject_type subject_id body pinned",
    )


def _task(id_: Any) -> Any:
    t = Task
    due = func.to_char(func.timezone("UTC", t.due_at), "YYYY-MM-DD")
    return _row(
        t,
        id_,
        "Task: " + t.title + " (" + t.status + _opt(", due ", due) + ")",
        "subject_type subject_id title notes due_at priority status owner_id completed_at",
    )


def _interaction(id_: Any) -> Any:
    i = Interaction
    return _row(
        i,
        id_,
        func.initcap(i.direction)
        + " "
        + i.channel
        + case((i.breakup, " (breakup)"), else_="")
        + _opt(": ", func.coalesce(i.title, _line(i.summary, 120))),
        "subject_type subject_id channel direction title summary content_ref breakup external_id "
        "source",
    )


def _meeting(id_: Any) -> Any:
    m = Meeting
    return _row(
        m,
        id_,
        "Meeting" + _opt(" with ", m.persona) + _opt(": ", _line(m.outcome, 120)),
        "lead_id opportunity_id scheduled_at persona outcome next_step_at",
    )


def _qualification(id_: Any) -> Any:
    q = Qualification
    failed = (
        select(func.string_agg(literal_column("c.key"), literal(", ")))
        .select_from(func.jsonb_each(q.criteria).alias("c"))
        .where(literal_column("(c.value ->> 'passed')") != "true")
        .scalar_subquery()
    )
    summary = case(
        (q.qualified, "Qualification passed"),
        else_="Qualification failed" + _opt(": ", failed),
    )
    return _row(
        q,
        id_,
        summary,
        "lead_id opportunity_id qualified criteria",
    )


def _conversion(id_: Any) -> Any:
    ld = Lead
    return _row(
        ld,
        id_,
        "Converted into a contact"
        + case((ld.converted_opportunity_id.is_not(None), " and an opportunity"), else_=""),
        lead_id=ld.id,
        account_id=ld.account_id,
        contact_id=ld.converted_contact_id,
        opportunity_id=ld.converted_opportunity_id,
    )


def _history(id_: Any) -> Any:
    h = OpportunityHistory
    stage = case(
        (h.old.is_(None), "Created in " + h.new),
        else_="Moved from " + h.old + " to " + h.new,
    )
    field = (
        "Changed "
        + h.field
        + " from "
        + func.coalesce(h.old, "nothing")
        + " to "
        + func.coalesce(h.new, "nothing")
    )
    return _row(
        h,
        id_,
        case((h.field == "stage", stage), else_=field) + _opt(": ", h.reason),
        "opportunity_id field old new reason",
    )


def _adoption(id_: Any) -> Any:
    a, u = AdoptionChange, Unit
    summary = (
        "Unit "
        + func.coalesce(u.name, "?")
        + case(
            (a.old.is_(None), " recorded as " + a.new),
            else_=" went from " + a.old + " to " + a.new,
        )
    )
    return (
        _row(
            a,
            id_,
            summary,
            unit_id=a.unit_id,
            unit_name=u.name,
            old=a.old,
            new=a.new,
            opportunity_id=a.opportunity_id,
        )
        .select_from(a)
        .outerjoin(u, u.id == a.unit_id)
    )


RENDERERS: dict[TimelineKind, Callable[[Any], Any]] = {
    TimelineKind.NOTE: _note,
    TimelineKind.TASK: _task,
    TimelineKind.INTERACTION: _interaction,
    TimelineKind.MEETING: _meeting,
    TimelineKind.QUALIFICATION: _qualification,
    TimelineKind.CONVERSION: _conversion,
    TimelineKind.STAGE_CHANGE: _history,
    TimelineKind.FIELD_CHANGE: _history,
    TimelineKind.ADOPTION_CHANGE: _adoption,
}


def render(page: Any) -> Any:
    """`{summary, data}` of a page row (JSON), read by its kind's subquery."""
    whens = [
        (page.c.kind == kind.value, render_kind(page.c.id).scalar_subquery())
        for kind, render_kind in RENDERERS.items()
    ]
    return type_coerce(case(*whens), JSON)
