"""rate-limit budgets belong to a user or a client address, not to a token

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 00:18:00.000000+00:00

API.md section 10: all of a user's tokens share one budget, and requests without a valid token
are limited per client address. The counters of the old per-token windows are dropped (a
counter lost only resets a budget for the rest of the minute).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("TRUNCATE rate_limit_windows")
    op.alter_column("rate_limit_windows", "token_id", new_column_name="subject_id")


def downgrade() -> None:
    op.execute("TRUNCATE rate_limit_windows")
    op.alter_column("rate_limit_windows", "subject_id", new_column_name="token_id")
