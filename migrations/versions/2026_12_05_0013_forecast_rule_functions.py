"""forecast rules as SQL functions: measure, realised and expected loss, pipeline stages

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 00:13:00.000000+00:00

The SQL definition of each rule of API.md section 8 that `app.forecasts.rules` defines in
Python: `engage_measure`, `engage_realised_loss`, `engage_expected_loss` and
`engage_is_pipeline`. They are `LANGUAGE sql IMMUTABLE` single expressions, so PostgreSQL
inlines them into every query that calls them (the plans are those of the written-out CASE).
The trigger function keeping `opportunity_month_sums` (migration 0010) is rewritten to call
them instead of holding its own copies; the queries of `app.forecasts.repository` and
`app.pipeline.repository` call them too. `tests/api/test_forecast_rule_functions.py` checks
that the Python and SQL definitions agree over generated inputs.

A later change to a rule is a migration that replaces its function (CREATE OR REPLACE) and,
when the sums depend on it, rebuilds `opportunity_month_sums`. This revision changes no
figure: `engage_is_pipeline` is the open stages (0-6) the sums counted until now.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One statement each (asyncpg prepares every statement it sends).
FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION engage_measure(type text, amount numeric, renewal_arr numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN type <> 'renewal' THEN COALESCE(amount, 0)
        WHEN amount IS NULL OR renewal_arr IS NULL THEN 0
        ELSE GREATEST(0, amount - renewal_arr)
    END
$$""",
    """
CREATE OR REPLACE FUNCTION engage_realised_loss(
    type text, stage text, amount numeric, renewal_arr numeric
) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN type <> 'renewal' OR renewal_arr IS NULL THEN 0
        WHEN stage = 'lost' THEN renewal_arr
        WHEN stage = 'closed_won' THEN GREATEST(0, renewal_arr - COALESCE(amount, 0))
        ELSE 0
    END
$$""",
    """
CREATE OR REPLACE FUNCTION engage_expected_loss(
    type text, amount numeric, renewal_arr numeric, renewal_loss_amount numeric
) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN type <> 'renewal' THEN 0
        WHEN renewal_loss_amount IS NOT NULL THEN renewal_loss_amount
        WHEN renewal_arr IS NULL OR amount IS NULL THEN 0
        ELSE GREATEST(0, renewal_arr - amount)
    END
$$""",
    """
CREATE OR REPLACE FUNCTION engage_is_pipeline(stage text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT stage IN ('pending_acceptance', 'discovery', 'scoping', 'technical_evaluation',
                     'proposal', 'negotiating', 'awaiting_signature')
$$""",
)

SIGNATURES = (
    "engage_measure(text, numeric, numeric)",
    "engage_realised_loss(text, text, numeric, numeric)",
    "engage_expected_loss(text, numeric, numeric, numeric)",
    "engage_is_pipeline(text)",
)

MEASURE = "engage_measure(o.type, o.amount, o.renewal_arr)"
EXPECTED_LOSS = "engage_expected_loss(o.type, o.amount, o.renewal_arr, o.renewal_loss_amount)"

# column: (what an opportunity adds, which opportunities add it)
SUMS = {
    "closed_won": (MEASURE, "o.stage = 'closed_won'"),
    "realised": ("engage_realised_loss(o.type, o.stage, o.amount, o.renewal_arr)", "true"),
    "open_commit": (MEASURE, "engage_is_pipeline(o.stage) AND o.forecast_category = 'commit'"),
    "open_best_case": (
        MEASURE,
        "engage_is_pipeline(o.stage) AND o.forecast_category = 'best_case'",
    ),
    "loss_commit": (
        EXPECTED_LOSS,
        "engage_is_pipeline(o.stage) AND o.renewal_forecast_category = 'commit'",
    ),
    "loss_best_case": (
        EXPECTED_LOSS,
        "engage_is_pipeline(o.stage) AND o.renewal_forecast_category = 'best_case'",
    ),
}

# Everything the sums depend on: an UPDATE changing none of these contributes nothing.
SUMMED_COLUMNS = (
    "owner_id",
    "close_date",
    "type",
    "stage",
    "forecast_category",
    "amount",
    "renewal_arr",
    "renewal_loss_amount",
    "renewal_forecast_category",
)

ALL_COLUMNS = ("opportunities", *SUMS)


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in SUMMED_COLUMNS)


def _aggregate(source: str) -> str:
    """Per owner and month, the signed sums of `source` (SUMMED_COLUMNS and `sign`, +1 or -1);
    groups adding nothing left out."""
    sums = ",\n".join(
        f"COALESCE(SUM(o.sign * {measure}) FILTER (WHERE {where}), 0) AS {name}"
        for name, (measure, where) in SUMS.items()
    )
    nonzero = " OR ".join(f"d.{c} <> 0" for c in ALL_COLUMNS)
    return f"""
SELECT d.* FROM (
    SELECT o.owner_id,
           CAST(date_trunc('month', CAST(o.close_date AS timestamp)) AS date) AS close_month,
           SUM(o.sign) AS opportunities,
           {sums}
    FROM ({source}) o
    WHERE o.close_date IS NOT NULL
    GROUP BY 1, 2
) d
WHERE {nonzero}
ORDER BY d.owner_id, d.close_month"""


def _upsert(source: str) -> str:
    """Add the signed sums of `source` to the table; the emptied rows into emptied_*."""
    names = ", ".join(ALL_COLUMNS)
    updates = ", ".join(f"{c} = s.{c} + EXCLUDED.{c}" for c in ALL_COLUMNS)
    return f"""
WITH applied AS (
    INSERT INTO opportunity_month_sums AS s (owner_id, close_month, {names})
    {_aggregate(source)}
    ON CONFLICT (owner_id, close_month) DO UPDATE SET {updates}
    RETURNING s.owner_id, s.close_month, s.opportunities
)
SELECT array_agg(owner_id), array_agg(close_month) INTO emptied_owners, emptied_months
FROM applied
WHERE opportunities = 0;"""


INSERTED = f"SELECT 1 AS sign, {_columns('n')} FROM new_rows n"
DELETED = f"SELECT -1 AS sign, {_columns('o')} FROM old_rows o"
# Old and new version of each changed row (a FULL JOIN, so even a changed id is counted).
UPDATED = f"""
SELECT d.*
FROM old_rows o
FULL JOIN new_rows n ON n.id = o.id
CROSS JOIN LATERAL (VALUES (-1, {_columns("o")}), (1, {_columns("n")}))
    AS d(sign, {", ".join(SUMMED_COLUMNS)})
WHERE ROW({_columns("o")}) IS DISTINCT FROM ROW({_columns("n")})"""

APPLY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION opportunity_month_sums_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    emptied_owners uuid[];
    emptied_months date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_upsert(INSERTED)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_upsert(UPDATED)}
    ELSIF TG_OP = 'DELETE' THEN
        {_upsert(DELETED)}
    END IF;
    IF emptied_owners IS NOT NULL THEN
        DELETE FROM opportunity_month_sums s
        USING unnest(emptied_owners, emptied_months) AS e(owner_id, close_month)
        WHERE s.owner_id = e.owner_id AND s.close_month = e.close_month
          AND s.opportunities = 0;
    END IF;
    RETURN NULL;
END $$
"""

# Recomputes the table from scratch (a later rule change runs it after replacing a function).
REBUILD = (
    "DELETE FROM opportunity_month_sums",
    f"""
INSERT INTO opportunity_month_sums (owner_id, close_month, {", ".join(ALL_COLUMNS)})
{_aggregate(f"SELECT 1 AS sign, {_columns('o')} FROM opportunities o")}
""",
)


def _revision_0010() -> ModuleType:
    path = Path(__file__).with_name("2026_11_27_0010_opportunity_sums.py")
    spec = importlib.util.spec_from_file_location("revision_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(function)
    op.execute(APPLY_FUNCTION)


def downgrade() -> None:
    previous = _revision_0010().APPLY_FUNCTION
    op.execute(previous.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    for signature in SIGNATURES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
