"""opportunity sums per owner and month, kept by triggers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 00:30:00.000000+00:00

The forecast roll-up re-added every opportunity of the period on each request (180 ms for a
VP over 1,000,000 opportunities). `opportunity_month_sums` keeps, per owner and calendar month
of close_date, the six sums it needs; the roll-up adds up a few hundred of these rows instead.

Statement-level AFTER triggers with transition tables keep the table exact in the same
transaction as every change to `opportunities` (ORM writes, raw bulk statements, COPY): one
set-based upsert per statement, a row's old values subtracted and its new values added, rows
emptied of opportunities removed. PostgreSQL allows transition tables only on a trigger with
one event, hence one trigger per event. An UPDATE touching none of the summed columns adds
nothing and writes nothing. Rows are upserted in (owner_id, close_month) order so that
concurrent statements lock them in the same order.

The measure expressions are frozen copies of `app.forecasts.repository`'s fragments as of this
revision (MEASURE_SQL, REALISED_LOSS_SQL, EXPECTED_LOSS_SQL, OPEN_STAGES_SQL): a later change
to them needs a migration that replaces the function and rebuilds the table. A test compares
the table with the repository's current expressions, so a drift shows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STAGES = (
    "('awaiting_signature', 'discovery', 'negotiating', 'pending_acceptance', 'proposal',"
    " 'scoping', 'technical_evaluation')"
)

MEASURE = """(CASE
    WHEN o.type <> 'renewal' THEN COALESCE(o.amount, 0)
    WHEN o.amount IS NULL OR o.renewal_arr IS NULL THEN 0
    ELSE GREATEST(0, o.amount - o.renewal_arr)
END)"""

REALISED_LOSS = """(CASE
    WHEN o.type <> 'renewal' OR o.renewal_arr IS NULL THEN 0
    WHEN o.stage = 'lost' THEN o.renewal_arr
    WHEN o.stage = 'closed_won' THEN GREATEST(0, o.renewal_arr - COALESCE(o.amount, 0))
    ELSE 0
END)"""

EXPECTED_LOSS = f"""(CASE
    WHEN o.type <> 'renewal' OR o.stage NOT IN {OPEN_STAGES} THEN 0
    WHEN o.renewal_loss_amount IS NOT NULL THEN o.renewal_loss_amount
    WHEN o.renewal_arr IS NULL OR o.amount IS NULL THEN 0
    ELSE GREATEST(0, o.renewal_arr - o.amount)
END)"""

# column: (what an opportunity adds, which opportunities add it)
SUMS = {
    "closed_won": (MEASURE, "o.stage = 'closed_won'"),
    "realised": (REALISED_LOSS, "o.stage IN ('closed_won', 'lost')"),
    "open_commit": (MEASURE, f"o.stage IN {OPEN_STAGES} AND o.forecast_category = 'commit'"),
    "open_best_case": (
        MEASURE,
        f"o.stage IN {OPEN_STAGES} AND o.forecast_category = 'best_case'",
    ),
    "loss_commit": (
        EXPECTED_LOSS,
        f"o.stage IN {OPEN_STAGES} AND o.renewal_forecast_category = 'commit'",
    ),
    "loss_best_case": (
        EXPECTED_LOSS,
        f"o.stage IN {OPEN_STAGES} AND o.renewal_forecast_category = 'best_case'",
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
CREATE FUNCTION opportunity_month_sums_apply() RETURNS trigger
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

TRUNCATE_FUNCTION = """
CREATE FUNCTION opportunity_month_sums_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM opportunity_month_sums;
    RETURN NULL;
END $$
"""

TRIGGERS = {
    "opportunity_month_sums_insert": "INSERT ON opportunities REFERENCING NEW TABLE AS new_rows",
    "opportunity_month_sums_update": (
        "UPDATE ON opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "opportunity_month_sums_delete": "DELETE ON opportunities REFERENCING OLD TABLE AS old_rows",
}

BACKFILL = f"""
INSERT INTO opportunity_month_sums (owner_id, close_month, {", ".join(ALL_COLUMNS)})
{_aggregate(f"SELECT 1 AS sign, {_columns('o')} FROM opportunities o")}
"""


def _sum_column(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "opportunity_month_sums",
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("close_month", sa.Date(), nullable=False),
        sa.Column("opportunities", sa.Integer(), server_default=sa.text("0"), nullable=False),
        *(_sum_column(name) for name in SUMS),
        sa.CheckConstraint(
            "EXTRACT(day FROM close_month) = 1",
            name=op.f("ck_opportunity_month_sums_first_of_month"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_opportunity_month_sums_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner_id", "close_month", name=op.f("pk_opportunity_month_sums")),
    )
    op.execute(APPLY_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    # The triggers first: CREATE TRIGGER locks out writers to opportunities until this
    # transaction commits, so the backfill below sees every opportunity and misses no change.
    for name, event in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} "
            "FOR EACH STATEMENT EXECUTE FUNCTION opportunity_month_sums_apply()"
        )
    op.execute(
        "CREATE TRIGGER opportunity_month_sums_truncate AFTER TRUNCATE ON opportunities "
        "FOR EACH STATEMENT EXECUTE FUNCTION opportunity_month_sums_truncate()"
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    for name in (*TRIGGERS, "opportunity_month_sums_truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON opportunities")
    op.execute("DROP FUNCTION IF EXISTS opportunity_month_sums_truncate()")
    op.execute("DROP FUNCTION IF EXISTS opportunity_month_sums_apply()")
    op.drop_table("opportunity_month_sums")
