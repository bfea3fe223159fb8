"""performance indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 00:20:00.000000+00:00

Opportunity lists walk (sort key, id) in order and check visibility on the index entries
(owner_id and account_id are carried as INCLUDE columns), so a page costs the same at any depth
and reads no table row it does not return.

The forecast roll-up reads the period's opportunities from one covering close_date index (an
index-only scan, parallel), never the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_COLUMNS = [
    "owner_id",
    "stage",
    "type",
    "forecast_category",
    "amount",
    "renewal_arr",
    "renewal_loss_amount",
    "renewal_forecast_category",
]


def upgrade() -> None:
    op.create_index(
        "ix_opportunities_created_at_id",
        "opportunities",
        ["created_at", "id"],
        postgresql_include=["owner_id", "account_id"],
    )
    op.create_index(
        "ix_opportunities_updated_at_id",
        "opportunities",
        ["updated_at", "id"],
        postgresql_include=["owner_id", "account_id"],
    )
    op.create_index(
        "ix_opportunities_close_date_rollup",
        "opportunities",
        ["close_date"],
        postgresql_include=ROLLUP_COLUMNS,
    )


def downgrade() -> None:
    op.drop_index("ix_opportunities_close_date_rollup", table_name="opportunities")
    op.drop_index("ix_opportunities_updated_at_id", table_name="opportunities")
    op.drop_index("ix_opportunities_created_at_id", table_name="opportunities")
