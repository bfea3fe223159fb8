"""events say what changed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:17:00.000000+00:00

API.md section 15: every event carries `data` (stage slugs of a stage change, adoption colours
of a unit, the changed field names of an update). Events written before this revision carry
`{}`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("events", "data")
