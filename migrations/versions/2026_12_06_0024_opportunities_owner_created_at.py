"""a rep's page of opportunities from their own index entries

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 00:24:00.000000+00:00

A rep's list page walked the whole (created_at, id) index until 51 of its entries were theirs:
some 9,000 entries for a rep among 200. The page now takes the rep's own opportunities from
(owner_id, created_at, id) and those at their territories' accounts from the account index,
and merges the two. The new index serves every look-up by owner the (owner_id, id) one did.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_opportunities_owner_id_created_at_id",
        "opportunities",
        ["owner_id", "created_at", "id"],
    )
    op.drop_index("ix_opportunities_owner_id_id", table_name="opportunities")


def downgrade() -> None:
    op.create_index("ix_opportunities_owner_id_id", "opportunities", ["owner_id", "id"])
    op.drop_index("ix_opportunities_owner_id_created_at_id", table_name="opportunities")
