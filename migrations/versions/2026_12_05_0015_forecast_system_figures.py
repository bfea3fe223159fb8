"""forecast submissions keep the system's figures at the moment of the call

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 00:15:00.000000+00:00

API.md section 14: each submission stores `system`, the submitter's roll-up `figures` for the
period when they called (the shape of `GET /forecasts/rollup`'s figures), so the call can later
be held against both what the system said and what closed. Submissions made before this
revision have none (null).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "forecast_submissions",
        sa.Column("system", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("forecast_submissions", "system")
