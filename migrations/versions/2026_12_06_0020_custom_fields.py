"""custom fields: definitions, a custom jsonb column on leads, contacts, accounts and
opportunities with a GIN index each, and engage_custom() for reads

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 00:16:00.000000+00:00

API.md section 13. Values are stored only for the keys that are set; `engage_custom(object,
values)` is what every read shows: every active key of the object, null when unset (so an
archived field's values stay stored but are not shown, and a new field appears at once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("leads", "contacts", "accounts", "opportunities")


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            server_default=sa.text("engage_uuid7()"),
            nullable=False,
        ),
        sa.Column("object", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("options", postgresql.ARRAY(sa.String(length=200)), nullable=True),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "object IN ('account', 'contact', 'lead', 'opportunity')",
            name=op.f("ck_custom_fields_object"),
        ),
        sa.CheckConstraint(
            "type IN ('boolean', 'date', 'money', 'multi_select', 'number', 'select', 'text')",
            name=op.f("ck_custom_fields_type"),
        ),
        sa.CheckConstraint("key ~ '^[a-z][a-z0-9_]{1,39}$'", name=op.f("ck_custom_fields_key")),
        sa.CheckConstraint(
            "(type IN ('multi_select', 'select')) = (options IS NOT NULL)",
            name=op.f("ck_custom_fields_options"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
    )
    op.create_index("uq_custom_fields_object_key", "custom_fields", ["object", "key"], unique=True)
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "custom",
                postgresql.JSONB(astext_type=sa.Text()),
                server_default=sa.text("'{}'::jsonb"),
                nullable=False,
            ),
        )
        op.create_index(
            f"ix_{table}_custom",
            table,
            ["custom"],
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        )
    op.execute(
        """
        CREATE FUNCTION engage_custom(p_object text, p_values jsonb) RETURNS jsonb
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT coalesce(jsonb_object_agg(f.key, p_values -> f.key), '{}'::jsonb)
            FROM custom_fields f
            WHERE f.object = p_object AND NOT f.archived
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION engage_custom(text, jsonb)")
    for table in TABLES:
        op.drop_index(f"ix_{table}_custom", table_name=table)
        op.drop_column(table, "custom")
    op.drop_index("uq_custom_fields_object_key", table_name="custom_fields")
    op.drop_table("custom_fields")
