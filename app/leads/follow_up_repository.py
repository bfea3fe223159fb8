"""SQL for the follow-up report: one row per visible open lead with its cadence figures and
next action, computed in one query and served as keyset pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import distinct
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Expansion
from app.core.expand import json_record
from app.core.expand import summary
from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import next_cursor
from app.core.pagination import paginate
from app.core.repository import any_of
from app.core.visibility import Viewer
from app.core.visibility import lead_visible
from app.leads.repository import is_open
from app.leads.schemas import FollowUpFilters
from app.models import Lead
from app.models import Touch

ENDPOINT = "follow-up"


@dataclass(frozen=True)
class Cadence:
    inbound_response_hours: int
    touches_per_month: int
    min_channels: int
    breakup_after_days: int


def _day_start(tz: str, days_back: int) -> ColumnElement[Any]:
    """Midnight `days_back` days before today in `tz`, as a timestamptz."""
    local_today = func.date_trunc("day", func.timezone(tz, func.now()))
    return func.timezone(tz, local_today - func.make_interval(0, 0, 0, days_back))


def _local_date(tz: str, moment: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.date(func.timezone(tz, moment))


def follow_up_query(viewer: Viewer, cadence: Cadence, tz: str) -> Select[Any]:
    """One row per visible open lead with its cadence figures and next action (one query)."""
    outbound = Touch.direction == "outbound"
    inbound = Touch.direction == "inbound"
    in_30_days = Touch.occurred_at >= _day_start(tz, 29)
    in_breakup_window = Touch.occurred_at >= _day_start(tz, cadence.breakup_after_days - 1)

    touches_30 = func.count(Touch.id).filter(outbound, in_30_days)
    channels_30 = func.count(distinct(Touch.channel)).filter(outbound, in_30_days)
    outbound_window = func.count(Touch.id).filter(outbound, in_breakup_window)
    inbound_window = func.count(Touch.id).filter(inbound, in_breakup_window)
    breakup_sent = func.coalesce(func.bool_or(Touch.breakup), False)
    any_outbound = func.coalesce(func.bool_or(outbound), False)
    repeated = func.count(Touch.content_ref).filter(outbound) > func.count(
        distinct(Touch.content_ref)
    ).filter(outbound)
    overdue = and_(
        Lead.inbound.is_(True),
        ~any_outbound,
        Lead.received_at
        < func.now() - func.make_interval(0, 0, 0, 0, cadence.inbound_response_hours),
    )
    last_touch = func.max(Touch.occurred_at)
    last_seen = func.coalesce(last_touch, Lead.received_at)
    # A breakup email closes the cadence until the lead writes back.
    last_breakup = func.max(Touch.occurred_at).filter(Touch.breakup)
    last_inbound = func.max(Touch.occurred_at).filter(inbound)
    breakup_unanswered = and_(
        last_breakup.is_not(None), or_(last_inbound.is_(None), last_inbound <= last_breakup)
    )
    stale_days = type_coerce(
        func.greatest(_local_date(tz, func.now()) - _local_date(tz, last_seen), 0), Integer
    )
    next_action = case(
        (overdue, literal("respond")),
        (breakup_unanswered, literal("none")),
        (
            and_(
                outbound_window >= cadence.touches_per_month,
                inbound_window == 0,
                ~breakup_sent,
            ),
            literal("send_breakup_email"),
        ),
        (touches_30 < cadence.touches_per_month, literal("touch")),
        (channels_30 < cadence.min_channels, literal("vary_channel")),
        (repeated, literal("new_content")),
        else_=literal("none"),
    )
    lead = json_record(
        ("id", Lead.id),
        ("first_name", Lead.first_name),
        ("last_name", Lead.last_name),
        ("email", Lead.email),
        ("company", Lead.company),
        ("status", Lead.status),
    )
    return (
        select(
            Lead.id.label("lead_id"),
            Lead.owner_id.label("owner_id"),
            lead.label("lead"),
            Lead.received_at.label("received_at"),
            last_seen.label("last_seen"),
            overdue.label("response_overdue"),
            touches_30.label("touches_last_30_days"),
            channels_30.label("channels_last_30_days"),
            repeated.label("repeated_content"),
            stale_days.label("stale_days"),
            next_action.label("next_action"),
        )
        .select_from(Lead)
        .outerjoin(Touch, Touch.lead_id == Lead.id)
        .where(lead_visible(viewer), is_open())
        .group_by(Lead.id)
    )


def due_at(report: Any, cadence: Cadence) -> ColumnElement[datetime | None]:
    """When the next action falls due (API.md section 12): a response `inbound_response_hours`
    after the lead arrived; a touch (or one on another channel) a touch interval (30 days /
    `touches_per_month`) after the last touch (arrival without one); a breakup email or new
    content now; nothing for `none`."""
    action = report.c.next_action
    response_time = func.make_interval(0, 0, 0, 0, cadence.inbound_response_hours)
    touch_interval = func.make_interval(0, 0, 0, 0, 0, 0, 30 * 86_400 / cadence.touches_per_month)
    due = case(
        (action == "respond", report.c.received_at + response_time),
        (action.in_(("touch", "vary_channel")), report.c.last_seen + touch_interval),
        (action.in_(("send_breakup_email", "new_content")), func.now()),
        else_=null(),
    )
    return type_coerce(due, DateTime(timezone=True))


# `due_at` sorts with no due date last (descending: first), as a value a cursor can carry.
NEVER_DUE = datetime(9999, 12, 31, tzinfo=UTC)


class FollowUpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        viewer: Viewer,
        page: PageParams,
        filters: FollowUpFilters,
        sort: str,
        expand: Sequence[Expansion],
        *,
        cadence: Cadence,
        tz: str,
    ) -> tuple[list[Any], str | None]:
        """A page of the viewer's follow-up list (as any list's `page, filters, sort, expand`),
        its due times by `cadence` in the time zone `tz`."""
        report = follow_up_query(viewer, cadence, tz)
        report = report.where(*any_of(Lead.owner_id, filters.owner_id))
        rows_sq = report.subquery("follow_up")
        due = due_at(rows_sq, cadence)
        sort_columns = {
            "due_at": type_coerce(func.coalesce(due, NEVER_DUE), DateTime(timezone=True)),
            "received_at": rows_sq.c.received_at,
            "stale_days": rows_sq.c.stale_days,
        }
        descending = sort.startswith("-")
        sort_key = sort_columns[sort.lstrip("-")].label("sort_key")
        keys = [SortKey(sort_key, descending), SortKey(rows_sq.c.lead_id, descending)]
        summaries = [summary(e, viewer, rows_sq.c.owner_id, rows_sq).label(e.value) for e in expand]
        stmt = select(rows_sq, due.label("due_at"), sort_key, *summaries)
        if filters.next_action is not None:
            stmt = stmt.where(rows_sq.c.next_action == filters.next_action)
        binding = {**filters.cursor_binding(), "sort": sort}
        stmt = paginate(stmt, keys, page, ENDPOINT, binding)
        rows = list((await self.session.execute(stmt)).all())
        cursor = next_cursor(rows, page, ENDPOINT, binding, lambda r: [r.sort_key, r.lead_id])
        return rows, cursor
