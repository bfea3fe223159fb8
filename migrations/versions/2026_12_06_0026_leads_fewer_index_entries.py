"""leads: no index of every lower-cased email; activity ids indexed where set

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 00:26:00.000000+00:00

Every lead inserted wrote an entry into each of eleven indexes. Two of them cost a batch for
nothing:

- `ix_leads_email_lower` indexed the lower-cased email of every lead. Engage only looks up
  emails of open leads, which the partial unique index `uq_leads_open_email` holds; the other
  index was used only because those queries bound the closed statuses as parameters, so a
  generic plan could not prove the partial index covers them. They are written into the SQL
  now, and the index is dropped.
- `ix_leads_activity_id` held an entry for every lead, most of them NULL (a lead comes from an
  activity only when the activity is named). Every query on it names an activity (`=`, which
  no NULL satisfies), so only the leads that have one are indexed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_leads_email_lower", table_name="leads")
    op.drop_index("ix_leads_activity_id", table_name="leads")
    op.create_index(
        "ix_leads_activity_id",
        "leads",
        ["activity_id"],
        unique=False,
        postgresql_where=sa.text("activity_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_leads_activity_id", table_name="leads")
    op.create_index("ix_leads_activity_id", "leads", ["activity_id"], unique=False)
    op.create_index(
        "ix_leads_email_lower", "leads", [sa.literal_column("lower(email)")], unique=False
    )
