"""stored territory reports may keep the diagram as PNG

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 00:22:00.000000+00:00

API.md section 15: the territory diagram also answers `Accept: image/png`. The PNG is stored
like the SVG, as a report of kind `diagram_png` (its bytes as base64 text).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_territory_reports_kind"), "territory_reports", type_="check")
    op.create_check_constraint(
        op.f("ck_territory_reports_kind"),
        "territory_reports",
        "kind IN ('analysis', 'diagram', 'diagram_png')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM territory_reports WHERE kind = 'diagram_png'")
    op.drop_constraint(op.f("ck_territory_reports_kind"), "territory_reports", type_="check")
    op.create_check_constraint(
        op.f("ck_territory_reports_kind"), "territory_reports", "kind IN ('analysis', 'diagram')"
    )
