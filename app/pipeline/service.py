"""Pipeline management (API.md section 8): the coverage summary, hygiene with its settings, and
the waterfall of changes since a date."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import settings_store
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.pagination import decode_cursor
from app.core.pagination import encode_cursor
from app.core.security import Principal
from app.forecasts.schemas import ReportQuery
from app.forecasts.service import local_now
from app.forecasts.service import ratio
from app.forecasts.service import report_scope
from app.forecasts.service import resolve_owner
from app.pipeline.hygiene import DEFAULT_SALES_CYCLE_DAYS
from app.pipeline.hygiene import FLAGS
from app.pipeline.hygiene import HYGIENE_DEFAULTS
from app.pipeline.hygiene import MIN_WON_FOR_AVERAGE
from app.pipeline.hygiene import FlagFacts
from app.pipeline.hygiene import reason
from app.pipeline.repository import PipelineRepository
from app.pipeline.schemas import CoverageTarget
from app.pipeline.schemas import Flow
from app.pipeline.schemas import HygieneItem
from app.pipeline.schemas import HygienePage
from app.pipeline.schemas import HygieneSettings
from app.pipeline.schemas import PipelineSummary
from app.pipeline.schemas import StageTotal
from app.pipeline.schemas import Waterfall
from app.stages.rules import DEFAULT_STAGES

HYGIENE_KEY = "hygiene"
COVERAGE_TARGET = CoverageTarget(low=2.5, high=3.0)
STAGE_NAMES = {s.slug: s.name for s in DEFAULT_STAGES}
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- summary ------------------------------------------------------------------------------


async def summary(
    session: AsyncSession, principal: Principal, query: ReportQuery
) -> PipelineSummary:
    period, owner = await report_scope(session, principal, query)
    rows = await PipelineRepository(session).summary(owner.id, period)
    totals = rows[0]
    return PipelineSummary(
        period=period.label,
        owner_id=owner.id,
        currency=query.currency,
        stages=[StageTotal(stage=r["slug"], count=r["count"], arr=r["arr"]) for r in rows],
        pipeline_arr=totals["pipeline_arr"],
        closed_won=totals["closed_won"],
        net_closed=totals["net_closed"],
        quota=totals["quota"],
        coverage=ratio(totals["coverage"]),
        coverage_of_quota=ratio(totals["coverage_of_quota"]),
        quota_attained=totals["quota_attained"],
        coverage_target=COVERAGE_TARGET,
    )


# --- hygiene ------------------------------------------------------------------------------


HYGIENE = settings_store.Document(HYGIENE_KEY, HYGIENE_DEFAULTS, HygieneSettings)


def _item(row: Mapping[Any, Any], thresholds: HygieneSettings) -> HygieneItem:
    facts = FlagFacts(
        stage_name=STAGE_NAMES.get(row["stage"], row["stage"]),
        open_days=row["open_days"],
        average_sales_cycle_days=row["average_days"],
        next_step_due_on=row["next_step_due_on"],
        close_date=row["close_date"],
        days_in_stage=row["days_in_stage"],
        command_plan_unchanged_days=row["plan_unchanged_days"],
        stuck_in_stage_days=thresholds.stuck_in_stage_days,
        pending_acceptance_days=thresholds.pending_acceptance_days,
        command_plan_stale_days=thresholds.command_plan_stale_days,
    )
    flags = [flag for flag in FLAGS if row[flag]]
    return HygieneItem(
        opportunity_id=row["id"],
        name=row["name"],
        owner_id=row["owner_id"],
        stage=row["stage"],
        flags=flags,
        reasons=[reason(flag, facts) for flag in flags],
    )


async def hygiene(
    session: AsyncSession,
    principal: Principal,
    owner_id: uuid.UUID | None,
    flags: Sequence[str] | None,
    page: PageParams,
    tz: tzinfo,
) -> HygienePage:
    owner = await resolve_owner(session, principal, owner_id)
    thresholds = await HYGIENE.get(session)
    now = datetime.now(UTC)
    params = {
        "now": now,
        "today": local_now(tz, now).date(),
        "tz": str(tz),
        "min_won": MIN_WON_FOR_AVERAGE,
        "default_days": DEFAULT_SALES_CYCLE_DAYS,
        "stuck_days": thresholds.stuck_in_stage_days,
        "pending_days": thresholds.pending_acceptance_days,
        "plan_days": thresholds.command_plan_stale_days,
    }
    filters = {"owner_id": owner.id, "flag": flags}
    after = None
    if page.cursor:
        keys = decode_cursor(page.cursor, "pipeline-hygiene", filters)
        try:
            after = (int(keys[0]), uuid.UUID(str(keys[1])))
        except (ValueError, IndexError, TypeError) as exc:
            raise field_error("query.cursor", "invalid", "The cursor is invalid.") from exc
    pipeline = PipelineRepository(session)
    cycle = await pipeline.average_sales_cycle(owner.id, params)
    rows = await pipeline.hygiene(owner.id, params, flags, after, page.limit + 1)
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = encode_cursor(
            "pipeline-hygiene", filters, [rows[-1]["flag_count"], rows[-1]["id"]]
        )
    enough = cycle["won"] >= MIN_WON_FOR_AVERAGE
    return HygienePage(
        average_sales_cycle_days=float(cycle["days"]),
        won_deals_averaged=cycle["won"] if enough else 0,
        items=[_item(row, thresholds) for row in rows],
        next_cursor=cursor,
    )


# --- waterfall ----------------------------------------------------------------------------


def parse_since(value: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """A date (the start of that day in ENGAGE_TIMEZONE) or an RFC 3339 timestamp, not in the
    future; 422 on `query.since` otherwise."""
    try:
        if _DATE_ONLY.fullmatch(value):
            since = datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
        else:
            since = datetime.fromisoformat(value)
            if since.tzinfo is None or since.utcoffset() is None:
                raise field_error(
                    "query.since",
                    "timezone_required",
                    "since needs a time zone offset (e.g. 2026-11-01T00:00:00Z) or is a date.",
                )
        since = since.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise field_error(
            "query.since",
            "invalid_datetime",
            "since is a date (YYYY-MM-DD) or an RFC 3339 timestamp.",
        ) from exc
    if since > (now or datetime.now(UTC)):
        raise field_error("query.since", "in_future", "since must not be in the future.")
    return since


async def changes(
    session: AsyncSession, principal: Principal, query: ReportQuery, since: str
) -> Waterfall:
    """`since`: a date or an RFC 3339 timestamp, as sent."""
    start = parse_since(since, query.tz)
    period, owner = await report_scope(session, principal, query)
    totals = await PipelineRepository(session).waterfall(owner.id, start, period.start, period.end)
    flows = {name: Flow(count=count, arr=arr) for name, (count, arr) in totals.items()}
    return Waterfall(
        period=period.label, since=start, owner_id=owner.id, currency=query.currency, **flows
    )
