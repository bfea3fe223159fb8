"""Territories, team, accounts, units, adoption history, plans, activities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "territories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("team_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint(
            "segment IN ('enterprise', 'mid_market', 'smb')", name=op.f("ck_territories_segment")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_territories_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territories")),
    )
    op.create_index("ix_territories_owner_id", "territories", ["owner_id"], unique=False)
    op.create_table(
        "territory_members",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "role IN ('csm', 'field_marketing', 'isr', 'oem_cloud_channel_manager', 'reseller_channel_manager', 'sa', 'sdr', 'si_channel_manager')",
            name=op.f("ck_territory_members_role"),
        ),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR name IS NOT NULL",
            name=op.f("ck_territory_members_user_or_name"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_territory_members_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_territory_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory_members")),
    )
    op.create_index(
        "ix_territory_members_territory_id", "territory_members", ["territory_id"], unique=False
    )
    op.create_index("ix_territory_members_user_id", "territory_members", ["user_id"], unique=False)
    op.create_table(
        "accounts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("vertical", sa.String(length=40), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column(
            "routes_to_market",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "cloud_providers",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "partners",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("it_support", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint(
            "account_type IN ('customer', 'net_new')", name=op.f("ck_accounts_account_type")
        ),
        sa.CheckConstraint(
            "it_support IS NULL OR it_support IN ('in_house', 'outsourced')",
            name=op.f("ck_accounts_it_support"),
        ),
        sa.CheckConstraint(
            "vertical IN ('education', 'energy', 'financial_services', 'healthcare', 'manufacturing', 'media', 'other', 'public_sector', 'retail', 'technology', 'telecommunications', 'transportation')",
            name=op.f("ck_accounts_vertical"),
        ),
        sa.CheckConstraint("domain = lower(domain)", name=op.f("ck_accounts_domain_lower")),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_accounts_territory_id_territories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index("ix_accounts_territory_id", "accounts", ["territory_id"], unique=False)
    op.create_index("uq_accounts_domain", "accounts", ["domain"], unique=True)
    op.create_table(
        "units",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("adoption", sa.String(length=10), nullable=False),
        sa.Column("devops_headcount", sa.Integer(), nullable=True),
        sa.Column(
            "current_tools",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint(
            "adoption IN ('green', 'none', 'red', 'yellow')", name=op.f("ck_units_adoption")
        ),
        sa.CheckConstraint(
            "kind IN ('branch', 'department', 'division')", name=op.f("ck_units_kind")
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_units_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_units_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_index("ix_units_account_id", "units", ["account_id"], unique=False)
    op.create_index("ix_units_parent_id", "units", ["parent_id"], unique=False)
    op.create_table(
        "adoption_changes",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("old", sa.String(length=10), nullable=True),
        sa.Column("new", sa.String(length=10), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_adoption_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_adoption_changes_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_changes")),
    )
    op.create_index("ix_adoption_changes_new_at", "adoption_changes", ["new", "at"], unique=False)
    op.create_index(
        "ix_adoption_changes_unit_id_at", "adoption_changes", ["unit_id", "at"], unique=False
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("vertical", sa.String(length=40), nullable=False),
        sa.Column(
            "objectives",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "tactics",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint(
            "vertical IN ('education', 'energy', 'financial_services', 'healthcare', 'manufacturing', 'media', 'other', 'public_sector', 'retail', 'technology', 'telecommunications', 'transportation')",
            name=op.f("ck_plans_vertical"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_plans_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(
        "uq_plans_territory_id_vertical", "plans", ["territory_id", "vertical"], unique=True
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("territory_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("vertical", sa.String(length=40), nullable=True),
        sa.Column(
            "account_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("partner", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint(
            "status IN ('cancelled', 'done', 'planned')", name=op.f("ck_activities_status")
        ),
        sa.CheckConstraint(
            "type IN ('cloud_partner', 'division_program', 'industry_membership', 'lunch_and_learn', 'marketing_campaign', 'meetup', 'oem', 'reseller', 'si_partner', 'trade_show', 'workshop')",
            name=op.f("ck_activities_type"),
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_activities_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_activities_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_activities_territory_id_territories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index("ix_activities_created_by", "activities", ["created_by"], unique=False)
    op.create_index("ix_activities_territory_id", "activities", ["territory_id"], unique=False)


def downgrade() -> None:
    op.drop_table("activities")
    op.drop_table("plans")
    op.drop_table("adoption_changes")
    op.drop_table("units")
    op.drop_table("accounts")
    op.drop_table("territory_members")
    op.drop_table("territories")
