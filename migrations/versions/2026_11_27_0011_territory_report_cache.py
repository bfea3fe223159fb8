"""The territory analysis and diagram kept as served, and a per-territory counter of their input.

`territory_reports` holds each territory's analysis (JSON) and diagrams (SVG, one per
`vertical` filter) with the `input_version` they were computed from. Statement-level triggers
raise `territory_report_versions.version` whenever a statement changes what those reports read:
accounts, units, adoption history, and a territory's name (the diagram's title). A stored
report whose `input_version` is no longer current, made for another day (`as_of`, the
analysis) or by other code (`code_version`, a digest of the modules that make it), is computed
again on its next request.

The counter lives apart from `territories.version`, which is the territory's `ETag`: an
account or unit change must not make a client's `If-Match` on the territory stale.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The territories whose reports a statement's rows touch, per table; `{rows}` is a transition
# table. Units and adoption history reach their territory through the account: when the
# account went in the same cascade (an account deleted with its units), the account's own
# trigger has already outdated the territory.
TERRITORIES_OF = {
    "accounts": "SELECT r.territory_id FROM {rows} r",
    "units": "SELECT a.territory_id FROM {rows} r JOIN accounts a ON a.id = r.account_id",
    "adoption_changes": (
        "SELECT a.territory_id FROM {rows} r"
        " JOIN units u ON u.id = r.unit_id JOIN accounts a ON a.id = u.account_id"
    ),
}


# One set-based upsert per statement, in territory order so that two statements outdating the
# same territories lock their counters in the same order. Written out in each trigger function
# rather than shared through a SQL function, which PostgreSQL would plan again on every call.
def _outdate(territories: str) -> str:
    return f"""
        INSERT INTO territory_report_versions AS v (territory_id, version)
        SELECT DISTINCT s.territory_id, 1 FROM ({territories}) AS s(territory_id)
        ORDER BY s.territory_id
        ON CONFLICT (territory_id) DO UPDATE SET version = v.version + 1;"""


def _outdating_function(table: str) -> str:
    territories_of = TERRITORIES_OF[table]
    inserted = territories_of.format(rows="new_rows")
    deleted = territories_of.format(rows="old_rows")
    return f"""
        CREATE FUNCTION territory_reports_outdate_{table}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN {_outdate(inserted)}
            ELSIF TG_OP = 'UPDATE' THEN {_outdate(f"{deleted} UNION ALL {inserted}")}
            ELSE {_outdate(deleted)}
            END IF;
            RETURN NULL;
        END $$
        """


# The diagram's title is the territory's name; nothing else of the territory is drawn.
RENAMED = (
    "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id"
    " WHERE n.name IS DISTINCT FROM o.name"
)

# PostgreSQL allows transition tables only on triggers for a single event: one trigger each.
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows"),
    "update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "delete": ("DELETE", "OLD TABLE AS old_rows"),
}


def _create_trigger(table: str, event: str, function: str) -> None:
    operation, transition_tables = EVENTS[event]
    op.execute(
        f"""
        CREATE TRIGGER territory_reports_outdate_on_{event}
        AFTER {operation} ON {table} REFERENCING {transition_tables}
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """
    )


def upgrade() -> None:
    op.create_table(
        "territory_report_versions",
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_territory_report_versions_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("pk_territory_report_versions")),
    )
    op.create_table(
        "territory_reports",
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("code_version", sa.Text(), nullable=False),
        sa.Column("input_version", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('analysis', 'diagram')", name=op.f("ck_territory_reports_kind")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_territory_reports_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "territory_id", "kind", "variant", name=op.f("pk_territory_reports")
        ),
    )
    # Bodies are read far more often than written: kept uncompressed, a 445 KB analysis comes
    # back about 1 ms sooner than decompressed from pglz (3.5 times the space).
    op.execute("ALTER TABLE territory_reports ALTER COLUMN body SET STORAGE EXTERNAL")

    for table in TERRITORIES_OF:
        op.execute(_outdating_function(table))
        for event in EVENTS:
            _create_trigger(table, event, f"territory_reports_outdate_{table}")
    op.execute(
        f"""
        CREATE FUNCTION territory_reports_outdate_territories() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN {_outdate(RENAMED)}
            RETURN NULL;
        END $$
        """
    )
    _create_trigger("territories", "update", "territory_reports_outdate_territories")


def downgrade() -> None:
    op.execute("DROP TRIGGER territory_reports_outdate_on_update ON territories")
    op.execute("DROP FUNCTION territory_reports_outdate_territories()")
    for table in TERRITORIES_OF:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER territory_reports_outdate_on_{event} ON {table}")
        op.execute(f"DROP FUNCTION territory_reports_outdate_{table}()")
    op.drop_table("territory_reports")
    op.drop_table("territory_report_versions")
