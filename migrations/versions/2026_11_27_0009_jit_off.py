"""JIT off as the database default: it spends seconds compiling Engage's report queries and
never pays back on its short reads. Set on the database rather than as a connection startup
parameter, which PgBouncer would refuse. Skipped with a notice where the role may not alter it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_jit(value: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            EXECUTE format('ALTER DATABASE %I SET jit = {value}', current_database());
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'jit left unchanged: this role may not alter the database';
        END $$
        """
    )


def upgrade() -> None:
    _set_jit("off")


def downgrade() -> None:
    _set_jit("on")
