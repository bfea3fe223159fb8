"""SQL for quotas, the forecast roll-up and weekly submissions.

The roll-up is one statement: a recursive CTE walks the owner's subtree remembering which direct
report each user sits under (`branch`), each owner's sums for the months of the period are read
from `opportunity_month_sums` (kept by PostgreSQL triggers on every change to opportunities with
the measures of `app.forecasts.rules` as SQL functions: migrations 0010 and 0013), and
`GROUPING SETS` adds them up for the owner's whole subtree and for each direct report's subtree
at once. Effective quotas come from a second recursive walk that descends from each subject and
stops at the first explicit quota on every path, so a manager without one gets the sum of their
direct reports' effective quotas. `tests/oracles/rollup.py` is the Python oracle the tests
compare this SQL against.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import RowMapping
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.dialects.postgresql import insert

from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import next_cursor
from app.core.pagination import paginate
from app.core.repository import Repository
from app.core.repository import any_of
from app.core.visibility import Viewer
from app.core.visibility import owner_ids
from app.forecasts.fiscal import Period
from app.forecasts.schemas import ForecastFilters
from app.models import ForecastSubmission
from app.models import OpportunityMonthSums
from app.models import Quota
from app.models import User

__all__ = [
    "ENTERED_FIGURES",
    "QUOTA_WALK_SQL",
    "SUBTREE_SQL",
    "QuotaRepository",
    "RollupRepository",
    "SubmissionRepository",
]

# --- shared SQL fragments (the pipeline repository reuses them) ---------------------------


def subtree_period(owner_id: uuid.UUID, period: Period) -> dict[str, Any]:
    """The parameters of a report over `owner_id`'s subtree (`SUBTREE_SQL`) for `period`:
    `:owner_id`, `:period` (its label), `:starts_on` and `:ends_on` (inclusive)."""
    return {
        "owner_id": owner_id,
        "period": period.label,
        "starts_on": period.start,
        "ends_on": period.end,
    }


# `tree(id, branch)`: the owner (branch NULL) and everyone below; branch = the direct report
# of the owner whose subtree the user is in.
SUBTREE_SQL = """
tree(id, branch) AS (
    SELECT u.id, NULL::uuid FROM users u WHERE u.id = CAST(:owner_id AS uuid)
    UNION ALL
    SELECT c.id, COALESCE(t.branch, c.id) FROM users c JOIN tree t ON c.manager_id = t.id
)"""

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


class QuotaRepository(Repository[Quota]):
    model = Quota

    async def effective(
        self, user_ids: Sequence[uuid.UUID], period: str
    ) -> dict[uuid.UUID, RowMapping]:
        """Each user's effective quota for the period: `{quota, explicit, version}`."""
        result = await self.session.execute(
            _EFFECTIVE_QUOTAS, {"user_ids": list(user_ids), "period": period}
        )
        return {row["user_id"]: row for row in result.mappings()}

    async def explicit_for_update(self, user_id: uuid.UUID, period: str) -> Quota | None:
        quota: Quota | None = await self.session.scalar(
            select(Quota).where(Quota.user_id == user_id, Quota.period == period).with_for_update()
        )
        return quota

    async def add_explicit(self, user_id: uuid.UUID, period: str, amount: Decimal) -> Quota | None:
        """Insert an explicit quota; None when a concurrent request inserted it first."""
        quota_id = await self.session.scalar(
            insert(Quota)
            .values(user_id=user_id, period=period, amount=amount)
            .on_conflict_do_nothing(index_elements=[Quota.user_id, Quota.period])
            .returning(Quota.id)
        )
        if quota_id is None:
            return None
        return await self.session.get(Quota, quota_id)

    async def delete(self, quota: Quota) -> None:
        await self.session.delete(quota)
        await self.session.flush()


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


class RollupRepository(Repository[OpportunityMonthSums]):
    model = OpportunityMonthSums

    async def rollup(self, owner_id: uuid.UUID, period: Period) -> list[RowMapping]:
        """The owner's figures first (`is_total`), then each direct report's subtree, by name."""
        return await self.rows(_ROLLUP, subtree_period(owner_id, period))


# --- weekly submissions -------------------------------------------------------------------

ENTERED_FIGURES = (
    "gross_commit",
    "gross_best_case",
    "renewal_loss_commit",
    "renewal_loss_best_case",
    "net_most_likely",
)

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

# One statement: the owner's net closed now (their subtree's month sums for the period, as the
# roll-up adds them) against each of their calls for the period, oldest week first; a row with a
# null week when there are none.
_ACCURACY = text(
    """
WITH actual AS (
    SELECT COALESCE(SUM(m.closed_won - m.realised), 0) AS net_closed
    FROM opportunity_month_sums m
    WHERE m.owner_id IN (SELECT t.id FROM engage_subtree(CAST(:owner_id AS uuid)) t)
      AND m.close_month
          BETWEEN CAST(date_trunc('month', CAST(CAST(:starts_on AS date) AS timestamp)) AS date)
          AND CAST(:ends_on AS date)
),
calls AS (
    SELECT s.week, s.submitted_at,
           s.gross_commit - s.renewal_loss_commit AS net_commit,
           s.net_most_likely,
           s.gross_best_case - s.renewal_loss_best_case AS net_best_case,
           CAST(s.system ->> 'net_commit' AS numeric) AS system_net_commit
    FROM forecast_submissions s
    WHERE s.user_id = CAST(:owner_id AS uuid) AND s.period = CAST(:period AS text)
)
SELECT a.net_closed AS actual_net_closed, c.*,
       c.net_most_likely - a.net_closed AS error_most_likely,
       round(AVG(abs(c.net_most_likely - a.net_closed)) OVER (), 2) AS mean_absolute_error
FROM actual a
LEFT JOIN calls c ON true
ORDER BY c.week
"""
)


class SubmissionRepository(Repository[ForecastSubmission]):
    """Submissions are visible with their owner (a rep's own, a manager's subtree's, all for
    an admin)."""

    model = ForecastSubmission
    endpoint = "forecasts"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        owners = owner_ids(viewer)
        return true() if owners is None else ForecastSubmission.user_id.in_(owners)

    async def upsert(
        self,
        owner_id: uuid.UUID,
        period: str,
        week: str,
        figures: Mapping[str, Decimal],
        system: Mapping[str, Any],
        notes: str | None,
        at: datetime,
    ) -> uuid.UUID:
        """One submission per owner, period and week: a second in the same week replaces the
        first."""
        S = ForecastSubmission
        values: dict[str, Any] = {name: figures[name] for name in ENTERED_FIGURES}
        values.update(system=system, notes=notes, submitted_at=at, updated_at=at)
        stmt = (
            insert(S)
            .values(user_id=owner_id, period=period, week=week, created_at=at, **values)
            .on_conflict_do_update(
                index_elements=[S.user_id, S.period, S.week],
                set_={**values, "version": S.version + 1},
            )
            .returning(S.id)
        )
        submission_id: uuid.UUID = (await self.session.execute(stmt)).scalar_one()
        return submission_id

    def _rows(self, viewer: Viewer, filters: ForecastFilters) -> Select[Any]:
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
            S.system,
            S.submitted_at,
            S.created_at,
            S.updated_at,
            S.version,
            *previous,
            over_week(S.id).is_not(None).label("has_previous"),
        ).where(self.visible(viewer))
        stmt = stmt.where(*any_of(S.user_id, filters.owner_id))
        if filters.period is not None:
            stmt = stmt.where(S.period == filters.period)
        inner = stmt.subquery("submissions")
        outer = select(inner, User.role.label("owner_role")).join(User, User.id == inner.c.user_id)
        # Outside the window, so a filtered-out earlier week still feeds `change`.
        if filters.updated_after is not None:
            outer = outer.where(inner.c.updated_at > filters.updated_after)
        return outer

    async def rows_page(
        self, viewer: Viewer, filters: ForecastFilters, page: PageParams
    ) -> tuple[list[RowMapping], str | None]:
        """Newest first: by week, then submission time, then id (all descending)."""
        stmt = self._rows(viewer, filters)
        inner = stmt.selected_columns
        keys = [
            SortKey(inner.week, descending=True),
            SortKey(inner.submitted_at, descending=True),
            SortKey(inner.id, descending=True),
        ]
        binding = filters.cursor_binding()
        stmt = paginate(stmt, keys, page, self.endpoint, binding)
        rows = list((await self.session.execute(stmt)).mappings())
        cursor = next_cursor(
            rows,
            page,
            self.endpoint,
            binding,
            lambda r: [r["week"], r["submitted_at"], r["id"]],
        )
        return rows, cursor

    async def row(self, viewer: Viewer, submission_id: uuid.UUID) -> RowMapping | None:
        stmt = self._rows(viewer, ForecastFilters())
        stmt = stmt.where(stmt.selected_columns.id == submission_id)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def accuracy(self, owner_id: uuid.UUID, period: Period) -> list[RowMapping]:
        """The owner's calls for the period against their net closed now (API.md section 14):
        one row per week, each carrying `actual_net_closed` and `mean_absolute_error`; one row
        with a null `week` when they made no call."""
        return await self.rows(_ACCURACY, subtree_period(owner_id, period))

    async def team_sums(
        self, keys: Sequence[tuple[uuid.UUID, str, str]]
    ) -> dict[tuple[uuid.UUID, str, str], RowMapping]:
        """For each (manager, period, week): the sum of the direct reports' latest calls that
        week."""
        if not keys:
            return {}
        result = await self.session.execute(
            _TEAM_SUMS,
            {
                "user_ids": [k[0] for k in keys],
                "periods": [k[1] for k in keys],
                "weeks": [k[2] for k in keys],
            },
        )
        return {(r["user_id"], r["period"], r["week"]): r for r in result.mappings()}
