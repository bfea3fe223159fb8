"""The territory analysis and the diagram's data, each one SQL statement aggregating in
PostgreSQL over leaf units (a unit with children counts only through its children), and the
stored reports (`territory_reports`) that spare computing them again while their input has not
changed.

Nothing is loaded row by row: the analysis of 2,000 accounts of 20 units each is one
statement that answers one row of JSON documents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Date
from sqlalchemy import LargeBinary
from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import Uuid
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.core.visibility import VIEWER_ID
from app.core.visibility import BoundViewer
from app.core.visibility import territory_visible
from app.models import Territory
from app.models import TerritoryReport
from app.models import TerritoryReportVersion

# Leaf units of the accounts in `acc`: units no other unit names as its parent.
LEAF_UNITS = """
leaf AS (
    SELECT u.id, u.account_id, u.name, u.adoption, u.devops_headcount, u.created_at
    FROM units u
    JOIN acc ON acc.id = u.account_id
    WHERE NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_id = u.id)
)"""

# Counts of leaf units by adoption per account (`acc` left-joined: accounts without units stay).
# Leaf units are counted per account_id first, so the wide account columns are never grouped.
PER_ACCOUNT = """
leaf_counts AS (
    SELECT leaf.account_id,
           count(*) FILTER (WHERE leaf.adoption = 'green')  AS green,
           count(*) FILTER (WHERE leaf.adoption = 'yellow') AS yellow,
           count(*) FILTER (WHERE leaf.adoption = 'red')    AS red,
           count(*) FILTER (WHERE leaf.adoption = 'none')   AS "none",
           sum(leaf.devops_headcount)                       AS devops_headcount
    FROM leaf
    GROUP BY leaf.account_id
),
per_account AS (
    SELECT acc.id, acc.name, acc.vertical, acc.account_type, acc.routes_to_market,
           coalesce(lc.green, 0)            AS green,
           coalesce(lc.yellow, 0)           AS yellow,
           coalesce(lc.red, 0)              AS red,
           coalesce(lc."none", 0)           AS "none",
           coalesce(lc.devops_headcount, 0) AS devops_headcount
    FROM acc
    LEFT JOIN leaf_counts lc ON lc.account_id = acc.id
)"""

# The account statuses of API.md section 3, over DevOps (green, yellow, red) leaf units.
STATUS = """
CASE
    WHEN p.green + p.yellow + p.red = 0 THEN 'no_devops_mapped'
    WHEN p.yellow + p.red = 0 THEN 'fully_green'
    WHEN p.green > 0 THEN 'land_and_expand'
    WHEN p.yellow > 0 THEN 'entry_in_progress'
    ELSE 'needs_point_of_entry'
END"""

GREEN_RATIO = "round(({g})::numeric / nullif({g} + {y} + {r}, 0), 4)"

ANALYSIS_SQL = f"""
WITH acc AS (
    SELECT a.id, a.name, a.vertical, a.account_type, a.routes_to_market
    FROM accounts a
    WHERE a.territory_id = :territory_id
),
{LEAF_UNITS},
{PER_ACCOUNT},
scored AS (
    SELECT p.*,
           {GREEN_RATIO.format(g="p.green", y="p.yellow", r="p.red")} AS green_ratio,
           {STATUS} AS status
    FROM per_account p
),
by_vertical AS (
    SELECT vertical,
           count(*) AS accounts,
           sum(devops_headcount) AS devops_headcount,
           count(*) FILTER (WHERE 'direct' = ANY(routes_to_market)) AS direct,
           count(*) FILTER (WHERE 'channel' = ANY(routes_to_market)) AS channel,
           count(*) FILTER (WHERE 'programs' = ANY(routes_to_market)) AS programs
    FROM scored
    GROUP BY vertical
),
totals AS (
    SELECT coalesce(sum(green), 0) AS green, coalesce(sum(yellow), 0) AS yellow,
           coalesce(sum(red), 0) AS red, coalesce(sum("none"), 0) AS "none",
           count(*) FILTER (WHERE account_type = 'net_new') AS net_new,
           count(*) FILTER (WHERE account_type = 'customer') AS customer
    FROM scored
),
conversions AS (
    SELECT count(DISTINCT ch.unit_id) FILTER (WHERE ch.at >= :since_30) AS last_30_days,
           count(DISTINCT ch.unit_id) FILTER (WHERE ch.at >= :since_90) AS last_90_days,
           count(DISTINCT ch.unit_id) AS last_365_days
    FROM adoption_changes ch
    JOIN leaf ON leaf.id = ch.unit_id
    WHERE ch.new = 'green'
      AND ch.old IS NOT NULL AND ch.old <> 'green'
      AND ch.at >= :since_365
)
SELECT json_build_object(
    'accounts', (SELECT coalesce(json_agg(json_build_object(
                'id', s.id, 'name', s.name, 'vertical', s.vertical,
                'account_type', s.account_type,
                'units', json_build_object('green', s.green, 'yellow', s.yellow,
                                           'red', s.red, 'none', s."none"),
                'green_ratio', s.green_ratio, 'status', s.status)
            ORDER BY s.name, s.id), '[]'::json)
     FROM scored s),
    'totals', (SELECT json_build_object(
                'green', t.green, 'yellow', t.yellow, 'red', t.red, 'none', t."none",
                'green_ratio', {GREEN_RATIO.format(g="t.green", y="t.yellow", r="t.red")})
     FROM totals t),
    'top_verticals', (SELECT coalesce(json_agg(json_build_object(
                'vertical', v.vertical, 'accounts', v.accounts,
                'devops_headcount', v.devops_headcount)
            ORDER BY v.accounts DESC, v.devops_headcount DESC, v.vertical), '[]'::json)
     FROM (SELECT * FROM by_vertical
           ORDER BY accounts DESC, devops_headcount DESC, vertical LIMIT 3) v),
    'routes_to_market', (SELECT coalesce(json_agg(json_build_object(
                'vertical', v.vertical, 'direct', v.direct, 'channel', v.channel,
                'programs', v.programs) ORDER BY v.vertical), '[]'::json)
     FROM by_vertical v),
    'mix', (SELECT json_build_object('net_new', t.net_new, 'customer', t.customer)
     FROM totals t),
    'conversions', (SELECT json_build_object(
                'last_30_days', c.last_30_days, 'last_90_days', c.last_90_days,
                'last_365_days', c.last_365_days)
     FROM conversions c)
)::text AS analysis
"""

# The territory id is written into the statement: asyncpg prepares every statement, and after
# five runs PostgreSQL may switch a prepared statement to a generic plan that guesses the
# average territory (about 110 accounts) instead of this one's (2,000 in the benchmark) and
# picks joins for the small case. A statement per territory keeps the plan for its size.
TERRITORY_ID = bindparam("territory_id", type_=Uuid(), literal_execute=True)

ANALYSIS = text(ANALYSIS_SQL).bindparams(TERRITORY_ID).columns(analysis=Text)


@dataclass(frozen=True)
class ConversionWindows:
    """Start of each "last N days" window (local midnight N days before today)."""

    since_30: datetime
    since_90: datetime
    since_365: datetime


async def analysis(
    session: AsyncSession, territory_id: uuid.UUID, windows: ConversionWindows
) -> str:
    """The whole analysis of one territory, in one statement, as a JSON object's text (parsed
    once, by the response model, rather than decoded here and validated again)."""
    row = (
        await session.execute(
            ANALYSIS,
            {
                "territory_id": territory_id,
                "since_30": windows.since_30,
                "since_90": windows.since_90,
                "since_365": windows.since_365,
            },
        )
    ).one()
    return str(row.analysis)


DIAGRAM_SQL = f"""
WITH acc AS (
    SELECT a.id, a.name, a.vertical, a.account_type, a.routes_to_market
    FROM accounts a
    WHERE a.territory_id = :territory_id
      AND (CAST(:vertical AS text) IS NULL OR a.vertical = CAST(:vertical AS text))
    ORDER BY a.vertical, a.name, a.id
    LIMIT :cap
),
{LEAF_UNITS},
{PER_ACCOUNT},
units_of AS (
    SELECT leaf.account_id,
           json_agg(json_build_array(leaf.name, leaf.adoption)
                    ORDER BY array_position(ARRAY['green', 'yellow', 'red', 'none'],
                                            leaf.adoption::text),
                             leaf.name, leaf.id) AS units
    FROM leaf
    GROUP BY leaf.account_id
)
SELECT p.id, p.name, p.vertical, p.account_type, {STATUS} AS status,
       coalesce(units_of.units, '[]'::json) AS units
FROM per_account p
LEFT JOIN units_of ON units_of.account_id = p.id
ORDER BY p.vertical, p.name, p.id
"""

DIAGRAM = text(DIAGRAM_SQL).bindparams(TERRITORY_ID).columns(units=JSON)


async def diagram_accounts(
    session: AsyncSession, territory_id: uuid.UUID, vertical: str | None, cap: int
) -> list[dict[str, Any]]:
    """Up to `cap` accounts with their status and leaf units (name, adoption), one statement."""
    rows = await session.execute(
        DIAGRAM, {"territory_id": territory_id, "vertical": vertical, "cap": cap}
    )
    return [dict(r._mapping) for r in rows]


# --- stored reports ----------------------------------------------------------------------


# The territory's name (the diagram's title) and report version come from one snapshot, and
# before the report's input is read: a change committed after this statement leaves the
# report computed next stored under an older version, so it is computed again, never served
# as current with input it does not show.
@cache
def _stored_report(role: str) -> Select[str, int, bytes]:
    """The visible territory's name and report version, and its stored report when current for
    that version, day and code; built once per role (the caller is `:viewer_id`), so a stored
    report costs one statement after authentication."""
    versions, reports = TerritoryReportVersion, TerritoryReport
    version = func.coalesce(versions.version, 0)
    current = and_(
        reports.territory_id == Territory.id,
        reports.kind == bindparam("kind"),
        reports.variant == bindparam("variant"),
        reports.input_version == version,
        reports.as_of.is_not_distinct_from(bindparam("as_of", type_=Date())),
        reports.code_version == bindparam("code_version"),
    )
    return (
        select(
            Territory.name,
            version.label("version"),
            type_coerce(func.convert_to(reports.body, literal_column("'UTF8'")), LargeBinary).label(
                "body"
            ),
        )
        .select_from(Territory)
        .outerjoin(versions, versions.territory_id == Territory.id)
        .outerjoin(reports, current)
        .where(
            Territory.id == bindparam("territory_id"),
            territory_visible(BoundViewer(role), Territory.id),
        )
    )


# One statement, so it is atomic with or without an explicit transaction. The territory row is
# locked against deletion while the report is written; a territory deleted meanwhile writes
# nothing (rather than failing the foreign key).
STORE_REPORT = text("""
INSERT INTO territory_reports AS r
    (territory_id, kind, variant, as_of, code_version, input_version, body, computed_at)
SELECT t.id, :kind, :variant, CAST(:as_of AS date), :code_version, :input_version, :body, now()
FROM territories t
WHERE t.id = :territory_id
FOR KEY SHARE
ON CONFLICT (territory_id, kind, variant) DO UPDATE
SET as_of = EXCLUDED.as_of,
    code_version = EXCLUDED.code_version,
    input_version = EXCLUDED.input_version,
    body = EXCLUDED.body,
    computed_at = EXCLUDED.computed_at
""")


@dataclass(frozen=True)
class StoredReport:
    territory_name: str
    version: int  # the territory's report version: store what is computed next under it
    # The stored report when it is current, else None; as UTF-8 bytes, which is how it is
    # sent (half a megabyte not decoded to str here only to be encoded again for the response).
    body: bytes | None


@dataclass(frozen=True)
class ReportKey:
    """Which stored report a request wants (territory, kind, variant), and what else it must
    have been made for to be served: the date, and the code that makes it."""

    territory_id: uuid.UUID
    kind: str  # analysis | diagram
    variant: str  # the diagram's vertical filter, '' for none
    as_of: date | None  # the date a report depends on (the analysis' windows), else None
    code_version: str


async def stored_report(
    session: AsyncSession, principal: Principal, key: ReportKey
) -> StoredReport | None:
    """The territory's report version and the stored report if it is current, in one statement;
    None when there is no such territory or the caller cannot see it."""
    connection = await session.connection()
    row = (
        await connection.execute(
            _stored_report(principal.role),
            {
                "territory_id": key.territory_id,
                "kind": key.kind,
                "variant": key.variant,
                "as_of": key.as_of,
                "code_version": key.code_version,
                VIEWER_ID: principal.id,
            },
        )
    ).one_or_none()
    if row is None:
        return None
    return StoredReport(territory_name=row.name, version=int(row.version), body=row.body)


async def store_report(
    session: AsyncSession, key: ReportKey, input_version: int, body: str
) -> None:
    """Keep `body`, computed from the input at `input_version`, as the territory's report."""
    await session.execute(
        STORE_REPORT,
        {
            "territory_id": key.territory_id,
            "kind": key.kind,
            "variant": key.variant,
            "as_of": key.as_of,
            "code_version": key.code_version,
            "input_version": input_version,
            "body": body,
        },
    )
