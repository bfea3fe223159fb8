"""SQL for the pipeline summary, hygiene and the waterfall (API.md section 8).

Each report is one statement over the owner's subtree (the recursive `tree` CTE and the quota
walk shared with the forecast roll-up in `app.forecasts.repository`) calling the SQL functions
of the rules in `app.forecasts.rules` (`engage_measure`, `engage_is_pipeline`, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date
from sqlalchemy import RowMapping
from sqlalchemy import bindparam
from sqlalchemy import text

from app.core.enums import LOST_STAGES
from app.core.enums import StageSlug
from app.core.repository import Repository
from app.forecasts.fiscal import Period
from app.forecasts.repository import QUOTA_WALK_SQL
from app.forecasts.repository import SUBTREE_SQL
from app.forecasts.repository import subtree_period
from app.models import Opportunity
from app.pipeline.waterfall import AMOUNT_TEXT
from app.pipeline.waterfall import CATEGORIES
from app.pipeline.waterfall import DATE_TEXT
from app.stages.rules import DEFAULT_STAGES

# The stages a pipeline summary lists: the open ones after pending acceptance (1-6).
SUMMARY_STAGES = tuple(s for s in DEFAULT_STAGES if 1 <= s.number <= 6)
_STAGE_VALUES = ", ".join(f"('{s.slug}', {s.number})" for s in SUMMARY_STAGES)
_LOST_SQL = "(" + ", ".join(f"'{slug}'" for slug in sorted(LOST_STAGES)) + ")"
WON_STAGE = StageSlug.CLOSED_WON.value

# --- summary ------------------------------------------------------------------------------

_SUMMARY = text(
    f"""
WITH RECURSIVE
{SUBTREE_SQL},
subjects(user_id) AS (SELECT CAST(:owner_id AS uuid)),
{QUOTA_WALK_SQL},
stage_list(slug, number) AS (VALUES {_STAGE_VALUES}),
per_owner AS (
    -- One pass over the period (the covering close_date index), summed per owner and stage;
    -- the subtree's owners are then added up per stage (as in the forecast roll-up).
    SELECT o.owner_id, o.stage, count(*) AS deals,
           SUM(engage_measure(o.type, o.amount, o.renewal_arr)) AS measure,
           SUM(engage_realised_loss(o.type, o.stage, o.amount, o.renewal_arr)) AS realised
    FROM opportunities o
    WHERE o.close_date BETWEEN CAST(:starts_on AS date) AND CAST(:ends_on AS date)
    GROUP BY o.owner_id, o.stage
),
deals AS (
    SELECT p.stage, SUM(p.deals) AS deals, SUM(p.measure) AS measure,
           SUM(p.realised) AS realised
    FROM per_owner p
    JOIN tree t ON t.id = p.owner_id
    GROUP BY p.stage
),
by_stage AS (
    SELECT s.slug, s.number, CAST(COALESCE(d.deals, 0) AS bigint) AS count,
           COALESCE(d.measure, 0) AS arr
    FROM stage_list s
    LEFT JOIN deals d ON d.stage = s.slug
),
totals AS (
    SELECT (SELECT COALESCE(SUM(arr), 0) FROM by_stage) AS pipeline_arr,
           COALESCE(SUM(measure) FILTER (WHERE stage = 'closed_won'), 0) AS closed_won,
           COALESCE(SUM(realised) FILTER (WHERE stage IN ('closed_won', 'lost')), 0)
               AS realised_renewal_loss,
           (SELECT quota FROM effective_quota) AS quota
    FROM deals
),
remaining AS (
    SELECT t.*, t.closed_won - t.realised_renewal_loss AS net_closed,
           t.quota - (t.closed_won - t.realised_renewal_loss) AS remaining_quota
    FROM totals t
)
SELECT b.slug, b.number, b.count, b.arr,
       r.pipeline_arr, r.closed_won, r.net_closed, r.quota,
       CASE WHEN r.quota IS NULL OR r.remaining_quota <= 0 THEN NULL
            ELSE round(r.pipeline_arr / r.remaining_quota, 4) END AS coverage,
       CASE WHEN r.quota IS NULL OR r.quota = 0 THEN NULL
            ELSE round(r.pipeline_arr / r.quota, 4) END AS coverage_of_quota,
       CASE WHEN r.quota IS NULL THEN NULL ELSE r.remaining_quota <= 0 END AS quota_attained
FROM by_stage b CROSS JOIN remaining r
ORDER BY b.number
"""
).bindparams(
    # The period's dates are written into the statement: asyncpg prepares every statement, and
    # after five runs PostgreSQL may switch a prepared statement to a generic plan, which
    # guesses 5,000 of 1,000,000 rows for a date range with parameters and gives up the
    # parallel scan (about 3x slower). A statement per period keeps the plan for its dates.
    bindparam("starts_on", type_=Date(), literal_execute=True),
    bindparam("ends_on", type_=Date(), literal_execute=True),
)


# --- hygiene ------------------------------------------------------------------------------

# The owner's (a manager's: the subtree's) won deals of the last 365 days and the mean days
# from acceptance (else creation) to close; the default until there are enough of them.
_CYCLE_CTES = f"""
{SUBTREE_SQL},
won AS (
    SELECT count(*) AS won,
           AVG(EXTRACT(EPOCH FROM o.closed_at - COALESCE(o.sales_accepted_at, o.created_at))
               ::numeric / 86400) AS mean_days
    FROM opportunities o
    JOIN tree t ON t.id = o.owner_id
    WHERE o.stage = 'closed_won'
      AND o.closed_at > CAST(:now AS timestamptz) - interval '365 days'
      AND o.closed_at <= CAST(:now AS timestamptz)
),
cycle AS (
    SELECT won,
           CASE WHEN won >= :min_won THEN round(mean_days, 1)
                ELSE CAST(:default_days AS numeric) END AS days
    FROM won
)"""

_HYGIENE_BASE = f"""
WITH RECURSIVE
{_CYCLE_CTES},
facts AS (
    SELECT o.id, o.name, o.owner_id, o.stage, o.close_date,
           (o.next_step_at AT TIME ZONE CAST(:tz AS text))::date AS next_step_due_on,
           CAST(:now AS timestamptz) - COALESCE(o.sales_accepted_at, o.created_at) AS open_for,
           CAST(:now AS timestamptz) - o.stage_entered_at AS in_stage_for,
           CAST(:now AS timestamptz) - GREATEST(
               COALESCE(cp.updated_at, o.created_at), COALESCE(rv.last_at, o.created_at)
           ) AS plan_unchanged_for,
           (NULLIF(btrim(o.next_step), '') IS NULL AND o.next_step_at IS NULL)
               AS lacks_next_step,
           engage_is_pipeline(o.stage) AS pipeline
    FROM opportunities o
    JOIN tree t ON t.id = o.owner_id
    LEFT JOIN command_plans cp ON cp.opportunity_id = o.id
    LEFT JOIN LATERAL (
        SELECT max(r.at) AS last_at FROM command_plan_revisions r WHERE r.opportunity_id = o.id
    ) rv ON true
    WHERE engage_is_pipeline(o.stage) OR o.stage = 'pending_acceptance'
),
flagged AS MATERIALIZED (
    -- Stage 0 is not pipeline (API.md section 14): an opportunity waiting for acceptance shows
    -- only when it has waited too long; every other flag is about pipeline, stages 1-6.
    SELECT f.*, c.days AS average_days,
           (f.pipeline AND f.open_for > make_interval(secs => c.days::float8 * 86400)) AS stale,
           (f.pipeline AND f.lacks_next_step) AS no_next_step,
           (f.pipeline AND COALESCE(f.next_step_due_on < CAST(:today AS date), false))
               AS next_step_overdue,
           (f.pipeline AND COALESCE(f.close_date < CAST(:today AS date), false))
               AS close_date_past,
           (f.pipeline AND f.in_stage_for > make_interval(days => CAST(:stuck_days AS int)))
               AS stuck_in_stage,
           (NOT f.pipeline
               AND f.in_stage_for > make_interval(days => CAST(:pending_days AS int)))
               AS pending_acceptance_too_long,
           (f.pipeline AND f.plan_unchanged_for > make_interval(days => CAST(:plan_days AS int)))
               AS command_plan_stale
    FROM facts f CROSS JOIN cycle c
),
counted AS (
    SELECT g.*,
           g.stale::int + g.no_next_step::int + g.next_step_overdue::int
           + g.close_date_past::int + g.stuck_in_stage::int
           + g.pending_acceptance_too_long::int + g.command_plan_stale::int AS flag_count
    FROM flagged g
)
"""

_DAYS = "floor(EXTRACT(EPOCH FROM {0}) / 86400)::int"

_HYGIENE_ITEMS = text(
    _HYGIENE_BASE
    + f"""
SELECT c.id, c.name, c.owner_id, c.stage, c.close_date, c.next_step_due_on, c.average_days,
       {_DAYS.format("c.open_for")} AS open_days,
       {_DAYS.format("c.in_stage_for")} AS days_in_stage,
       {_DAYS.format("c.plan_unchanged_for")} AS plan_unchanged_days,
       c.stale, c.no_next_step, c.next_step_overdue, c.close_date_past, c.stuck_in_stage,
       c.pending_acceptance_too_long, c.command_plan_stale, c.flag_count
FROM counted c
WHERE c.flag_count > 0
  AND (CAST(:flags AS text[]) IS NULL
       OR ('stale' = ANY(CAST(:flags AS text[])) AND c.stale)
       OR ('no_next_step' = ANY(CAST(:flags AS text[])) AND c.no_next_step)
       OR ('next_step_overdue' = ANY(CAST(:flags AS text[])) AND c.next_step_overdue)
       OR ('close_date_past' = ANY(CAST(:flags AS text[])) AND c.close_date_past)
       OR ('stuck_in_stage' = ANY(CAST(:flags AS text[])) AND c.stuck_in_stage)
       OR ('pending_acceptance_too_long' = ANY(CAST(:flags AS text[]))
           AND c.pending_acceptance_too_long)
       OR ('command_plan_stale' = ANY(CAST(:flags AS text[])) AND c.command_plan_stale))
  AND (CAST(:after_count AS int) IS NULL
       OR c.flag_count < CAST(:after_count AS int)
       OR (c.flag_count = CAST(:after_count AS int) AND c.id > CAST(:after_id AS uuid)))
ORDER BY c.flag_count DESC, c.id
LIMIT CAST(:limit AS int)
"""
)

_AVERAGE_CYCLE = text(f"WITH RECURSIVE {_CYCLE_CTES}\nSELECT won, days FROM cycle")


# --- waterfall ----------------------------------------------------------------------------


def _amount_from_text(value: str) -> str:
    return f"(CASE WHEN {value} ~ '{AMOUNT_TEXT}' THEN CAST({value} AS numeric) END)"


def _date_from_text(value: str) -> str:
    # Built from parts so an impossible date (2026-02-30, year 0) is null, never an error.
    built = (
        f"(make_date(CAST(substr({value}, 1, 4) AS int), CAST(substr({value}, 6, 2) AS int), 1)"
        f" + (CAST(substr({value}, 9, 2) AS int) - 1))"
    )
    return f"""(CASE
    WHEN {value} IS NULL OR {value} !~ '{DATE_TEXT}' THEN NULL
    WHEN substr({value}, 1, 4) = '0000' THEN NULL
    WHEN to_char({built}, 'YYYY-MM-DD') <> {value} THEN NULL
    ELSE {built}
END)"""


_IN_PERIOD = "BETWEEN CAST(:starts_on AS date) AND CAST(:ends_on AS date)"
_SINCE = "CAST(:since AS timestamptz)"

_WATERFALL = text(
    f"""
WITH RECURSIVE
{SUBTREE_SQL},
scoped AS (
    SELECT o.id, o.type, o.renewal_arr, o.created_at, o.stage, o.amount, o.close_date
    FROM opportunities o
    JOIN tree t ON t.id = o.owner_id
),
marks AS (
    SELECT DISTINCT ON (h.opportunity_id, h.field)
           h.opportunity_id, h.field,
           btrim(CASE WHEN h.at <= {_SINCE} THEN h.new ELSE h.old END, '"') AS v
    FROM opportunity_history h
    JOIN scoped s ON s.id = h.opportunity_id
    WHERE h.field IN ('stage', 'amount', 'close_date')
    ORDER BY h.opportunity_id, h.field,
             (h.at <= {_SINCE}) DESC,
             CASE WHEN h.at <= {_SINCE} THEN h.at END DESC,
             CASE WHEN h.at <= {_SINCE} THEN h.seq END DESC,
             CASE WHEN h.at > {_SINCE} THEN h.at END ASC,
             CASE WHEN h.at > {_SINCE} THEN h.seq END ASC
),
states AS MATERIALIZED (
    SELECT s.id, s.type, s.renewal_arr,
           s.created_at <= {_SINCE} AS existed_then,
           CASE WHEN ms.opportunity_id IS NULL THEN s.stage ELSE ms.v END AS stage_then,
           CASE WHEN ma.opportunity_id IS NULL THEN s.amount
                ELSE {_amount_from_text("ma.v")} END AS amount_then,
           CASE WHEN mc.opportunity_id IS NULL THEN s.close_date
                ELSE {_date_from_text("mc.v")} END AS close_then,
           s.stage AS stage_now, s.amount AS amount_now, s.close_date AS close_now
    FROM scoped s
    LEFT JOIN marks ms ON ms.opportunity_id = s.id AND ms.field = 'stage'
    LEFT JOIN marks ma ON ma.opportunity_id = s.id AND ma.field = 'amount'
    LEFT JOIN marks mc ON mc.opportunity_id = s.id AND mc.field = 'close_date'
),
facts AS (
    SELECT st.*,
           engage_measure(st.type, st.amount_then, st.renewal_arr) AS arr_then,
           engage_measure(st.type, st.amount_now, st.renewal_arr) AS arr_now,
           COALESCE(st.existed_then AND engage_is_pipeline(st.stage_then), false) AS open_then,
           COALESCE(engage_is_pipeline(st.stage_now) AND st.close_now {_IN_PERIOD}, false)
               AS in_now,
           COALESCE((st.stage_now = '{WON_STAGE}' OR st.stage_now IN {_LOST_SQL})
               AND st.close_now {_IN_PERIOD}, false) AS closed_in_period_now
    FROM states st
),
classified AS MATERIALIZED (
    SELECT f.*,
           CASE
               WHEN f.open_then AND COALESCE(f.close_then {_IN_PERIOD}, false) THEN 'starting'
               WHEN f.in_now OR (f.closed_in_period_now AND (
                        NOT f.existed_then OR f.open_then
                        OR f.stage_then IS DISTINCT FROM f.stage_now))
                   THEN CASE WHEN f.open_then THEN 'pulled_in' ELSE 'created' END
           END AS entry,
           CASE
               WHEN f.in_now THEN 'ending'
               WHEN f.stage_now = '{WON_STAGE}' THEN 'won'
               WHEN f.stage_now IN {_LOST_SQL} THEN 'lost'
               ELSE 'pushed_out'
           END AS exit
    FROM facts f
)
SELECT
    count(*) FILTER (WHERE entry = 'starting') AS starting_count,
    COALESCE(SUM(arr_then) FILTER (WHERE entry = 'starting'), 0) AS starting_arr,
    count(*) FILTER (WHERE entry = 'created') AS created_count,
    COALESCE(SUM(arr_now) FILTER (WHERE entry = 'created'), 0) AS created_arr,
    count(*) FILTER (WHERE entry = 'pulled_in') AS pulled_in_count,
    COALESCE(SUM(arr_now) FILTER (WHERE entry = 'pulled_in'), 0) AS pulled_in_arr,
    count(*) FILTER (WHERE entry = 'starting' AND arr_now > arr_then) AS increased_count,
    COALESCE(SUM(arr_now - arr_then)
        FILTER (WHERE entry = 'starting' AND arr_now > arr_then), 0) AS increased_arr,
    count(*) FILTER (WHERE entry = 'starting' AND arr_now < arr_then) AS decreased_count,
    COALESCE(SUM(arr_then - arr_now)
        FILTER (WHERE entry = 'starting' AND arr_now < arr_then), 0) AS decreased_arr,
    count(*) FILTER (WHERE entry IS NOT NULL AND exit = 'pushed_out') AS pushed_out_count,
    COALESCE(SUM(arr_now) FILTER (WHERE entry IS NOT NULL AND exit = 'pushed_out'), 0)
        AS pushed_out_arr,
    count(*) FILTER (WHERE entry IS NOT NULL AND exit = 'won') AS won_count,
    COALESCE(SUM(arr_now) FILTER (WHERE entry IS NOT NULL AND exit = 'won'), 0) AS won_arr,
    count(*) FILTER (WHERE entry IS NOT NULL AND exit = 'lost') AS lost_count,
    COALESCE(SUM(arr_now) FILTER (WHERE entry IS NOT NULL AND exit = 'lost'), 0) AS lost_arr,
    count(*) FILTER (WHERE exit = 'ending') AS ending_count,
    COALESCE(SUM(arr_now) FILTER (WHERE exit = 'ending'), 0) AS ending_arr
FROM classified
"""
)


class PipelineRepository(Repository[Opportunity]):
    """The section-8 reports over the opportunities of an owner's subtree."""

    model = Opportunity

    async def summary(self, owner_id: uuid.UUID, period: Period) -> list[RowMapping]:
        """One row per stage 1-6, each carrying the totals."""
        return await self.rows(_SUMMARY, subtree_period(owner_id, period))

    async def average_sales_cycle(self, owner_id: uuid.UUID, params: dict[str, Any]) -> RowMapping:
        """`{won, days}`: won deals of the last 365 days and the mean cycle (or the default)."""
        result = await self.session.execute(_AVERAGE_CYCLE, {"owner_id": owner_id, **params})
        return result.mappings().one()

    async def hygiene(
        self,
        owner_id: uuid.UUID,
        params: dict[str, Any],
        flags: Sequence[str] | None,
        after: tuple[int, uuid.UUID] | None,
        limit: int,
    ) -> list[RowMapping]:
        """Open opportunities with at least one flag, most flags first, then by id."""
        result = await self.session.execute(
            _HYGIENE_ITEMS,
            {
                "owner_id": owner_id,
                **params,
                "flags": None if flags is None else list(flags),
                "after_count": None if after is None else after[0],
                "after_id": None if after is None else after[1],
                "limit": limit,
            },
        )
        return list(result.mappings())

    async def waterfall(
        self,
        owner_id: uuid.UUID,
        since: datetime,
        starts_on: date,
        ends_on: date,
    ) -> dict[str, tuple[int, Decimal]]:
        """Per category of `app.pipeline.waterfall`: (count, arr)."""
        row = (
            (
                await self.session.execute(
                    _WATERFALL,
                    {
                        "owner_id": owner_id,
                        "since": since,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                    },
                )
            )
            .mappings()
            .one()
        )
        return {name: (row[f"{name}_count"], row[f"{name}_arr"]) for name in CATEGORIES}
