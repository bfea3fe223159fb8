"""custom field indexes: records without values are left out

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 00:28:00.000000+00:00

The GIN index on `custom` of leads, contacts, accounts and opportunities held an entry for
every record, most of them `{}` (no values), which no `custom @> {...}` filter can match. It
cost a 1000-lead batch's INSERT 1-3 ms. Each index now holds only the records with a value;
the filters state the index's condition (`custom <> '{}'::jsonb`) beside the containment, so
that a prepared statement's generic plan can use it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("leads", "contacts", "accounts", "opportunities")


def _index(table: str, where: str | None) -> None:
    op.drop_index(f"ix_{table}_custom", table_name=table)
    op.create_index(
        f"ix_{table}_custom",
        table,
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
        postgresql_where=sa.text(where) if where else None,
    )


def upgrade() -> None:
    for table in TABLES:
        _index(table, "custom <> '{}'::jsonb")


def downgrade() -> None:
    for table in TABLES:
        _index(table, None)
