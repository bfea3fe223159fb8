"""Stages, opportunities, history, command plans, qualifications, meetings, reference data.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stages",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=20), nullable=False),
        sa.Column("terminal", sa.Boolean(), nullable=False),
        sa.Column("requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
            "forecast_category IN ('best_case', 'closed', 'commit', 'omitted', 'pipeline')",
            name=op.f("ck_stages_category"),
        ),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_stages_probability")),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_stages")),
        sa.UniqueConstraint("number", name=op.f("uq_stages_number")),
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("stage_number", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("renewal_arr", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("renewal_loss_amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("renewal_forecast_category", sa.String(length=20), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("next_step", sa.String(length=1000), nullable=True),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_use_case", sa.String(length=40), nullable=True),
        sa.Column("potential_seats", sa.Integer(), nullable=True),
        sa.Column("proposal_sent_on", sa.Date(), nullable=True),
        sa.Column("signature_requested_on", sa.Date(), nullable=True),
        sa.Column("loss_reason", sa.String(length=20), nullable=True),
        sa.Column("loss_details", sa.Text(), nullable=True),
        sa.Column("duplicate_of_id", sa.UUID(), nullable=True),
        sa.Column(
            "unit_ids", postgresql.ARRAY(sa.UUID()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("bpm_stage", sa.String(length=40), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("activity_id", sa.UUID(), nullable=True),
        sa.Column("sales_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "stage_entered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("ck_opportunities_bpm_stage"),
        ),
        sa.CheckConstraint(
            "forecast_category IN ('best_case', 'closed', 'commit', 'omitted', 'pipeline')",
            name=op.f("ck_opportunities_category"),
        ),
        sa.CheckConstraint(
            "loss_reason IS NULL OR loss_reason IN ('budget', 'competitor', 'fit', 'no_decision', 'other', 'timing')",
            name=op.f("ck_opportunities_loss_reason"),
        ),
        sa.CheckConstraint(
            "renewal_forecast_category IS NULL OR renewal_forecast_category IN ('best_case', 'commit')",
            name=op.f("ck_opportunities_renewal_category"),
        ),
        sa.CheckConstraint(
            "stage IN ('awaiting_signature', 'closed_won', 'discovery', 'duplicate', 'lost', 'negotiating', 'pending_acceptance', 'proposal', 'scoping', 'technical_evaluation', 'unqualified')",
            name=op.f("ck_opportunities_stage"),
        ),
        sa.CheckConstraint(
            "type IN ('expansion', 'new_business', 'renewal')", name=op.f("ck_opportunities_type")
        ),
        sa.CheckConstraint(
            "probability BETWEEN 0 AND 100", name=op.f("ck_opportunities_probability")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_opportunities_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_opportunities_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_opportunities_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_opportunities_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunities_duplicate_of_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_opportunities_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_opportunities_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    op.create_index("ix_opportunities_account_id", "opportunities", ["account_id"], unique=False)
    op.create_index("ix_opportunities_activity_id", "opportunities", ["activity_id"], unique=False)
    op.create_index("ix_opportunities_close_date", "opportunities", ["close_date"], unique=False)
    op.create_index("ix_opportunities_lead_id", "opportunities", ["lead_id"], unique=False)
    op.create_index(
        "ix_opportunities_owner_id_id", "opportunities", ["owner_id", "id"], unique=False
    )
    op.create_table(
        "opportunity_history",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_opportunity_history_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_history_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_history")),
    )
    op.create_index(
        "ix_opportunity_history_opportunity_id_seq",
        "opportunity_history",
        ["opportunity_id", "seq"],
        unique=False,
    )
    op.create_table(
        "command_plans",
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column(
            "overview",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "meddppicc",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "close_plan",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("risks", sa.Text(), nullable=True),
        sa.Column("help_needed", sa.Text(), nullable=True),
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
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_command_plans_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_command_plans_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f("pk_command_plans")),
    )
    op.create_table(
        "command_plan_revisions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("fields", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_command_plan_revisions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_command_plan_revisions_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_plan_revisions")),
    )
    op.create_index(
        "ix_command_plan_revisions_opportunity_id",
        "command_plan_revisions",
        ["opportunity_id", "at"],
        unique=False,
    )
    op.create_table(
        "command_plan_reviews",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("reviewer_id", sa.UUID(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_command_plan_reviews_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_command_plan_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_plan_reviews")),
    )
    op.create_index(
        "ix_command_plan_reviews_opportunity_id",
        "command_plan_reviews",
        ["opportunity_id", "at"],
        unique=False,
    )
    op.create_table(
        "qualifications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column(
            "evaluated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("evaluated_by", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(lead_id IS NULL) <> (opportunity_id IS NULL)",
            name=op.f("ck_qualifications_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluated_by"], ["users.id"], name=op.f("fk_qualifications_evaluated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_qualifications_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_qualifications_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
    )
    op.create_index(
        "ix_qualifications_lead_id", "qualifications", ["lead_id", "evaluated_at"], unique=False
    )
    op.create_index(
        "ix_qualifications_opportunity_id",
        "qualifications",
        ["opportunity_id", "evaluated_at"],
        unique=False,
    )
    # ### end Alembic commands ###
    op.create_table(
        "meetings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=True),
        sa.Column(
            "attendee_contact_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "objectives",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "pre_call_questions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "agenda",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "research",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("agenda_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
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
            "persona IS NULL OR persona IN ('business_application_leader', 'coo_cxo_leader', 'financial_leader', 'security_leader', 'technology_leader')",
            name=op.f("ck_meetings_persona"),
        ),
        sa.CheckConstraint(
            "(lead_id IS NULL) <> (opportunity_id IS NULL)", name=op.f("ck_meetings_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_meetings_created_by_users")
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_meetings_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_meetings_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index("ix_meetings_lead_id", "meetings", ["lead_id"], unique=False)
    op.create_index(
        "ix_meetings_opportunity_id", "meetings", ["opportunity_id", "scheduled_at"], unique=False
    )
    op.create_table(
        "personas",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("objectives", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("obstacles", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_personas")),
    )
    op.create_table(
        "discovery_questions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("element", sa.String(length=40), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=True),
        sa.Column("question", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_questions")),
    )
    op.create_index(
        "ix_discovery_questions_element",
        "discovery_questions",
        ["element", "persona"],
        unique=False,
    )
    op.create_table(
        "buyer_process_stages",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("buyer_actions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_buyer_process_stages")),
        sa.UniqueConstraint("number", name=op.f("uq_buyer_process_stages_number")),
    )

    # History is never rewritten: PostgreSQL itself refuses UPDATE and DELETE on it.
    op.execute(
        """
        CREATE FUNCTION opportunity_history_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'opportunity_history is append-only'
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER opportunity_history_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON opportunity_history
        FOR EACH STATEMENT EXECUTE FUNCTION opportunity_history_append_only()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS opportunity_history_append_only ON opportunity_history")
    op.execute("DROP FUNCTION IF EXISTS opportunity_history_append_only()")
    op.drop_table("buyer_process_stages")
    op.drop_table("discovery_questions")
    op.drop_table("personas")
    op.drop_table("meetings")
    op.drop_table("qualifications")
    op.drop_table("command_plan_reviews")
    op.drop_table("command_plan_revisions")
    op.drop_table("command_plans")
    op.drop_table("opportunity_history")
    op.drop_table("opportunities")
    op.drop_table("stages")
