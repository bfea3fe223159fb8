"""SQL for quotas, the forecast roll-up and weekly submissions.

The roll-up is one statement: a recursive CTE walks the owner's subtree remembering which direct
report each user sits under (`branch`), each owner's sums for the months of the period are read
from `opportunity_month_sums` (kept by PostgreSQL triggers on every change to opportunities,
measured per API.md section 8 with exact `numeric` arithmetic: migration 0010), and
`GROUPING SETS` adds them up for the owner's whole subtree and for each direct report's subtree
at once. Effective quotas come from a second recursive walk that descends from each subject and
stops at the first explicit quota on every path, so a manager without one gets the sum of their
direct reports' effective quotas. `app.forecasts.rules.rollup` is the pure reference the tests
compare this SQL against.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import RowMapping, Select, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, next_cursor, paginate
from app.core.security import Principal
from app.core.visibility import VIEWER_ID, BoundViewer, owner_ids, user_visible
from app.models import ForecastSubmission, Quota, User
from app.opportunities.stages import OPEN_STAGES

__all__ = [
    "ENTERED_FIGURES",
    "EXPECTED_LOSS_SQL",
    "MEASURE_SQL",
    "OPEN_STAGES_SQL",
    "QUOTA_WALK_SQL",
    "REALISED_LOSS_SQL",
    "SUBTREE_SQL",
    "add_quota",
    "delete_quota",
    "effective_quotas",
    "get_quota_for_update",
    "get_submission",
    "get_visible_user",
    "list_submissions",
    "measure_sql",
    "rollup",
    "team_sums",
    "upsert_submission",
]

# --- shared SQL fragments (the pipeline repository reuses them) ---------------------------
# The triggers keeping `opportunity_month_sums` (migration 0010) hold frozen copies of the
# measures below: a change to one needs a migration that replaces them and rebuilds the table.

OPEN_STAGES_SQL = "(" + ", ".join(f"'{slug}'" for slug in sorted(OPEN_STAGES)) + ")"

# `tree(id, branch)`: the owner (branch NULL) and everyone below; branch = the direct report
# of the owner whose subtree the user is in.
SUBTREE_SQL = """
tree(id, branch) AS (
    SELECT u.id, NULL::uuid FROM users u WHERE u.id = CAST(:owner_id AS uuid)
    UNION ALL
    SELECT c.id, COALESCE(t.branch, c.id) FROM users c JOIN tree t ON c.manager_id = t.id
)"""


def measure_sql(
    type_: str = "o.type", amount: str = "o.amount", renewal_arr: str = "o.renewal_arr"
) -> str:
    """What an opportunity counts for: its amount, or for a renewal the uplift max(0, net_arr)."""
    return f"""(CASE
    WHEN {type_} <> 'renewal' THEN COALESCE({amount}, 0)
    WHEN {amount} IS NULL OR {renewal_arr} IS NULL THEN 0
    ELSE GREATEST(0, {amount} - {renewal_arr})
END)"""


MEASURE_SQL = measure_sql()

# ARR a closed renewal lost: all of it when lost, the shortfall when won.
REALISED_LOSS_SQL = """(CASE
    WHEN o.type <> 'renewal' OR o.renewal_arr IS NULL THEN 0
    WHEN o.stage = 'lost' THEN o.renewal_arr
    WHEN o.stage = 'closed_won' THEN GREATEST(0, o.renewal_arr - COALESCE(o.amount, 0))
    ELSE 0
END)"""

# ARR an open renewal is expected to lose: renewal_loss_amount, else its default.
EXPECTED_LOSS_SQL = f"""(CASE
    WHEN o.type <> 'renewal' OR o.stage NOT IN {OPEN_STAGES_SQL} THEN 0
    WHEN o.renewal_loss_amount IS NOT NULL THEN o.renewal_loss_amount
    WHEN o.renewal_arr IS NULL OR o.amount IS NULL THEN 0
    ELSE GREATEST(0, o.renewal_arr - o.amount)
END)"""

# `quota_walk(anchor, id, amount)` from a CTE `subjects(user_id)`: descends from each subject
# and stops below anyone with an explicit quota; `effective_quota` sums what it reached.
QUOTA_WALK_SQL = """
quota_walk(anchor, id, amount) AS (
    SELECT s.user_id, s.user_id, q.amount
    FROM subjects s
    LEFT JOIN quotas q ON q.user_id = s.user_id AND q.period = CAST(:period AS text)
    UNION ALL
    SELECT w.anchor, c.id, q.amount
    FROM quota_walk w
    JOIN users c ON c.manager_id = w.id
    LEFT JOIN quotas q ON q.user_id = c.id AND q.period = CAST(:period AS text)
    WHERE w.amount IS NULL
),
effective_quota(user_id, quota) AS (
    SELECT anchor, SUM(amount) FROM quota_walk GROUP BY anchor
)"""


# --- users --------------------------------------------------------------------------------


@cache
def _visible_user(role: str) -> Select[User]:
    return select(User).where(User.id == bindparam("user_id"), user_visible(BoundViewer(role)))


async def get_visible_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> User | None:
    user: User | None = await session.scalar(
        _visible_user(principal.role), {"user_id": user_id, VIEWER_ID: principal.id}
    )
    return user


# --- quotas -------------------------------------------------------------------------------


_EFFECTIVE_QUOTAS = text(
    f"""
WITH RECURSIVE
subjects(user_id) AS (SELECT unnest(CAST(:user_ids AS uuid[]))),
{QUOTA_WALK_SQL}
SELECT e.user_id, e.quota, q.id IS NOT NULL AS explicit, COALESCE(q.version, 0) AS version
FROM effective_quota e
LEFT JOIN quotas q ON q.user_id = e.user_id AND q.period = CAST(:period AS text)
"""
)


async def effective_quotas(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], period: str
) -> dict[uuid.UUID, RowMapping]:
    """Each user's effective quota for the period: `{quota, explicit, version}`."""
    result = await session.execute(
        _EFFECTIVE_QUOTAS, {"user_ids": list(user_ids), "period": period}
    )
    return {row["user_id"]: row for row in result.mappings()}


async def get_quota_for_update(
    session: AsyncSession, user_id: uuid.UUID, period: str
) -> Quota | None:
    return await session.scalar(
        select(Quota).where(Quota.user_id == user_id, Quota.period == period).with_for_update()
    )


async def add_quota(
    session: AsyncSession, user_id: uuid.UUID, period: str, amount: Decimal
) -> Quota | None:
    """Insert an explicit quota; None when a concurrent request inserted it first."""
    quota_id = await session.scalar(
        insert(Quota)
        .values(user_id=user_id, period=period, amount=amount)
        .on_conflict_do_nothing(index_elements=[Quota.user_id, Quota.period])
        .returning(Quota.id)
    )
    if quota_id is None:
        return None
    return await session.get(Quota, quota_id)


async def delete_quota(session: AsyncSession, quota: Quota) -> None:
    await session.delete(quota)
    await session.flush()


# --- roll-up ------------------------------------------------------------------------------

_ROLLUP = text(
    f"""
WITH RECURSIVE
{SUBTREE_SQL},
subjects(user_id, is_total) AS (
    SELECT CAST(:owner_id AS uuid), true
    UNION ALL
    SELECT u.id, false FROM users u WHERE u.manager_id = CAST(:owner_id AS uuid)
),
{QUOTA_WALK_SQL},
per_owner AS (
    -- The period's months of the sums the triggers on opportunities keep (a few rows per
    -- owner); each owner's sums are then added up per direct report and for the whole subtree.
    SELECT m.owner_id,
           SUM(m.closed_won) AS closed_won,
           SUM(m.realised) AS realised,
           SUM(m.open_commit) AS open_commit,
           SUM(m.open_best_case) AS open_best_case,
           SUM(m.loss_commit) AS loss_commit,
           SUM(m.loss_best_case) AS loss_best_case
    FROM opportunity_month_sums m
    WHERE m.close_month
        BETWEEN CAST(date_trunc('month', CAST(CAST(:starts_on AS date) AS timestamp)) AS date)
        AND CAST(:ends_on AS date)
    GROUP BY m.owner_id
),
sums AS (
    SELECT t.branch,
           GROUPING(t.branch) = 1 AS is_total,
           COALESCE(SUM(p.closed_won), 0) AS closed_won,
           COALESCE(SUM(p.realised), 0) AS realised,
           COALESCE(SUM(p.open_commit), 0) AS open_commit,
           COALESCE(SUM(p.open_best_case), 0) AS open_best_case,
           COALESCE(SUM(p.loss_commit), 0) AS loss_commit,
           COALESCE(SUM(p.loss_best_case), 0) AS loss_best_case
    FROM per_owner p
    JOIN tree t ON t.id = p.owner_id
    GROUP BY GROUPING SETS ((), (t.branch))
),
gross AS (
    SELECT s.user_id,
           s.is_total,
           COALESCE(x.closed_won, 0) AS closed_won,
           COALESCE(x.realised, 0) AS realised_renewal_loss,
           COALESCE(x.closed_won, 0) + COALESCE(x.open_commit, 0) AS gross_commit,
           COALESCE(x.closed_won, 0) + COALESCE(x.open_commit, 0)
               + COALESCE(x.open_best_case, 0) AS gross_best_case,
           COALESCE(x.realised, 0) + COALESCE(x.loss_commit, 0) AS renewal_loss_commit,
           COALESCE(x.realised, 0) + COALESCE(x.loss_commit, 0)
               + COALESCE(x.loss_best_case, 0) AS renewal_loss_best_case,
           q.quota
    FROM subjects s
    LEFT JOIN sums x
        ON (s.is_total AND x.is_total)
        OR (NOT s.is_total AND NOT x.is_total AND x.branch = s.user_id)
    LEFT JOIN effective_quota q ON q.user_id = s.user_id
),
nets AS (
    SELECT g.*,
           g.closed_won - g.realised_renewal_loss AS net_closed,
           g.gross_commit - g.renewal_loss_commit AS net_commit,
           g.gross_best_case - g.renewal_loss_best_case AS net_best_case
    FROM gross g
)
SELECT n.user_id, u.name, n.is_total,
       n.closed_won, n.realised_renewal_loss, n.net_closed,
       n.gross_commit, n.gross_best_case, n.renewal_loss_commit, n.renewal_loss_best_case,
       n.net_commit, n.net_best_case, n.quota,
       n.quota - n.net_commit AS gap_to_quota_commit,
       n.quota - n.net_best_case AS gap_to_quota_best_case,
       CASE WHEN n.quota IS NULL OR n.quota = 0 THEN NULL
            ELSE round(n.net_closed / n.quota, 4) END AS attainment
FROM nets n
JOIN users u ON u.id = n.user_id
ORDER BY n.is_total DESC, u.name, u.id
"""
)


async def rollup(
    session: AsyncSession, owner_id: uuid.UUID, period: str, starts_on: date, ends_on: date
) -> list[RowMapping]:
    """The owner's figures first (`is_total`), then each direct report's subtree, by name."""
    result = await session.execute(
        _ROLLUP,
        {"owner_id": owner_id, "period": period, "starts_on": starts_on, "ends_on": ends_on},
    )
    return list(result.mappings())


# --- weekly submissions -------------------------------------------------------------------

ENTERED_FIGURES = (
    "gross_commit",
    "gross_best_case",
    "renewal_loss_commit",
    "renewal_loss_best_case",
    "net_most_likely",
)


async def upsert_submission(
    session: AsyncSession,
    owner_id: uuid.UUID,
    period: str,
    week: str,
    figures: Mapping[str, Decimal],
    notes: str | None,
    at: datetime,
) -> uuid.UUID:
    """One submission per owner, period and week: a second in the same week replaces the first."""
    S = ForecastSubmission
    values: dict[str, Any] = {name: figures[name] for name in ENTERED_FIGURES}
    values.update(notes=notes, submitted_at=at, updated_at=at)
    stmt = (
        insert(S)
        .values(user_id=owner_id, period=period, week=week, created_at=at, **values)
        .on_conflict_do_update(
            index_elements=[S.user_id, S.period, S.week],
            set_={**values, "version": S.version + 1},
        )
        .returning(S.id)
    )
    submission_id: uuid.UUID = (await session.execute(stmt)).scalar_one()
    return submission_id


def _submissions_query(principal: Principal, filters: Mapping[str, Any]) -> Select[Any]:
    """Visible submissions with the previous week's figures (LAG over owner and period)."""
    S = ForecastSubmission

    def over_week(column: Any) -> Any:
        return func.lag(column).over(partition_by=(S.user_id, S.period), order_by=S.week)

    previous = [over_week(getattr(S, name)).label(f"prev_{name}") for name in ENTERED_FIGURES]
    stmt = select(
        S.id,
        S.user_id,
        S.period,
        S.week,
        *(getattr(S, name) for name in ENTERED_FIGURES),
        S.notes,
        S.submitted_at,
        S.created_at,
        S.updated_at,
        S.version,
        *previous,
        over_week(S.id).is_not(None).label("has_previous"),
    )
    visible_owners = owner_ids(principal)
    if visible_owners is not None:
        stmt = stmt.where(S.user_id.in_(visible_owners))
    if filters.get("owner_id") is not None:
        stmt = stmt.where(S.user_id == filters["owner_id"])
    if filters.get("period") is not None:
        stmt = stmt.where(S.period == filters["period"])
    inner = stmt.subquery("submissions")
    outer = select(inner, User.role.label("owner_role")).join(User, User.id == inner.c.user_id)
    # Outside the window, so a filtered-out earlier week still feeds `change`.
    if filters.get("updated_after") is not None:
        outer = outer.where(inner.c.updated_at > filters["updated_after"])
    return outer


async def list_submissions(
    session: AsyncSession, principal: Principal, filters: Mapping[str, Any], page: PageParams
) -> tuple[list[RowMapping], str | None]:
    """Newest first: by week, then submission time, then id (all descending)."""
    stmt = _submissions_query(principal, filters)
    inner = stmt.selected_columns
    keys = [
        SortKey(inner.week, descending=True),
        SortKey(inner.submitted_at, descending=True),
        SortKey(inner.id, descending=True),
    ]
    stmt = paginate(stmt, keys, page, "forecasts", filters)
    rows = list((await session.execute(stmt)).mappings())
    cursor = next_cursor(
        rows, page, "forecasts", filters, lambda r: [r["week"], r["submitted_at"], r["id"]]
    )
    return rows, cursor


async def get_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> RowMapping | None:
    stmt = _submissions_query(principal, {})
    stmt = stmt.where(stmt.selected_columns.id == submission_id)
    row: RowMapping | None = (await session.execute(stmt)).mappings().first()
    return row


_TEAM_SUMS = text(
    f"""
SELECT k.user_id, k.period, k.week,
       count(latest.id) AS calls,
       {", ".join(f"COALESCE(SUM(latest.{name}), 0) AS {name}" for name in ENTERED_FIGURES)}
FROM unnest(CAST(:user_ids AS uuid[]), CAST(:periods AS text[]), CAST(:weeks AS text[]))
    AS k(user_id, period, week)
LEFT JOIN users r ON r.manager_id = k.user_id
LEFT JOIN LATERAL (
    SELECT s.*
    FROM forecast_submissions s
    WHERE s.user_id = r.id AND s.period = k.period AND s.week <= k.week
    ORDER BY s.week DESC
    LIMIT 1
) latest ON true
GROUP BY k.user_id, k.period, k.week
"""
)


async def team_sums(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, str, str]]
) -> dict[tuple[uuid.UUID, str, str], RowMapping]:
    """For each (manager, period, week): the sum of the direct reports' latest calls that week."""
    if not keys:
        return {}
    result = await session.execute(
        _TEAM_SUMS,
        {
            "user_ids": [k[0] for k in keys],
            "periods": [k[1] for k in keys],
            "weeks": [k[2] for k in keys],
        },
    )
    return {(r["user_id"], r["period"], r["week"]): r for r in result.mappings()}
