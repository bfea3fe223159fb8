"""Leads, touches and contacts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("activity_id", sa.UUID(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("persona", sa.String(length=40), nullable=True),
        sa.Column("bpm_stage", sa.String(length=40), nullable=True),
        sa.Column("inbound", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="new", nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("disqualify_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_touch_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("touch_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_contact_id", sa.UUID(), nullable=True),
        sa.Column("converted_opportunity_id", sa.UUID(), nullable=True),
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
            "bpm_stage IS NULL OR bpm_stage IN ('commitment', 'evaluation', 'problem_recognition', 'selection', 'solution_exploration', 'status_quo')",
            name=op.f("ck_leads_bpm_stage"),
        ),
        sa.CheckConstraint(
            "persona IS NULL OR persona IN ('business_application_leader', 'coo_cxo_leader', 'financial_leader', 'security_leader', 'technology_leader')",
            name=op.f("ck_leads_persona"),
        ),
        sa.CheckConstraint(
            "status <> 'disqualified' OR disqualify_reason IS NOT NULL",
            name=op.f("ck_leads_disqualify_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('converted', 'disqualified', 'new', 'nurture', 'working')",
            name=op.f("ck_leads_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_leads_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_leads_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_leads_created_by_users")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    op.create_index("ix_leads_account_id", "leads", ["account_id"], unique=False)
    op.create_index("ix_leads_activity_id", "leads", ["activity_id"], unique=False)
    op.create_index("ix_leads_created_at_id", "leads", ["created_at", "id"], unique=False)
    op.create_index("ix_leads_created_by", "leads", ["created_by"], unique=False)
    op.create_index(
        "ix_leads_email_lower", "leads", [sa.literal_column("lower(email)")], unique=False
    )
    op.create_index("ix_leads_owner_id", "leads", ["owner_id"], unique=False)
    op.create_index(
        "uq_leads_open_email",
        "leads",
        [sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('converted', 'disqualified')"),
    )
    op.create_index(
        "uq_leads_source_external_id",
        "leads",
        ["source", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_table(
        "touches",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_ref", sa.String(length=500), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("breakup", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
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
            "channel IN ('email', 'event', 'meeting', 'phone', 'social', 'video')",
            name=op.f("ck_touches_channel"),
        ),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name=op.f("ck_touches_direction")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_touches_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_touches_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touches")),
    )
    op.create_index(
        "ix_touches_lead_id_occurred_at", "touches", ["lead_id", "occurred_at"], unique=False
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("persona", sa.String(length=40), nullable=True),
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
            "persona IS NULL OR persona IN ('business_application_leader', 'coo_cxo_leader', 'financial_leader', 'security_leader', 'technology_leader')",
            name=op.f("ck_contacts_persona"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_contacts_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(
        "ix_contacts_account_email",
        "contacts",
        ["account_id", sa.literal_column("lower(email)")],
        unique=False,
    )
    op.create_index("ix_contacts_account_id", "contacts", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("touches")
    op.drop_table("leads")
