"""notes, tasks and interactions; touches become a lead's interactions

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 00:21:00.000000+00:00

API.md section 11. The `touches` table is renamed `interactions` and gains a subject
(`subject_type`, `subject_id`), `title`, `external_id` and `source`: an interaction on a lead
is a touch, one row read by the lead's counters and the follow-up report. Existing touches
become interactions on their lead, with their creator's `source` (`manual` for people).
`lead_id` stays, generated from the subject, with its foreign key and index. Timeline indexes
serve an account's timeline page by subject and time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECTS = "subject_type IN ('account', 'contact', 'lead', 'opportunity')"


def _timestamps() -> list[sa.Column[sa.DateTime]]:
    return [
        sa.Column(
            name,
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        )
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.UUID(), server_default=sa.text("engage_uuid7()"), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        *_timestamps(),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(SUBJECTS, name=op.f("ck_notes_subject_type")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index("ix_notes_subject", "notes", ["subject_type", "subject_id", "created_at", "id"])
    op.create_index("ix_notes_author_id", "notes", ["author_id"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.UUID(), server_default=sa.text("engage_uuid7()"), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.String(length=10), server_default="normal", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "subject_type IS NULL OR " + SUBJECTS, name=op.f("ck_tasks_subject_type")
        ),
        sa.CheckConstraint(
            "(subject_type IS NULL) = (subject_id IS NULL)", name=op.f("ck_tasks_subject")
        ),
        sa.CheckConstraint("priority IN ('high', 'low', 'normal')", name=op.f("ck_tasks_priority")),
        sa.CheckConstraint("status IN ('cancelled', 'done', 'open')", name=op.f("ck_tasks_status")),
        sa.CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL)", name=op.f("ck_tasks_completed_at")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_tasks_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index("ix_tasks_subject", "tasks", ["subject_type", "subject_id", "created_at", "id"])
    op.create_index("ix_tasks_owner_due", "tasks", ["owner_id", "due_at", "id"])
    op.create_index("ix_tasks_created_by", "tasks", ["created_by"])

    # touches -> interactions: the same rows, now with a subject.
    op.rename_table("touches", "interactions")
    op.execute("ALTER TABLE interactions RENAME CONSTRAINT pk_touches TO pk_interactions")
    op.execute(
        "ALTER TABLE interactions RENAME CONSTRAINT ck_touches_channel TO ck_interactions_channel"
    )
    op.execute(
        "ALTER TABLE interactions "
        "RENAME CONSTRAINT ck_touches_direction TO ck_interactions_direction"
    )
    op.execute(
        "ALTER TABLE interactions "
        "RENAME CONSTRAINT fk_touches_created_by_users TO fk_interactions_created_by_users"
    )
    op.add_column("interactions", sa.Column("subject_type", sa.String(length=20)))
    op.add_column("interactions", sa.Column("subject_id", sa.UUID()))
    op.add_column("interactions", sa.Column("title", sa.String(length=500)))
    op.add_column("interactions", sa.Column("external_id", sa.String(length=255)))
    op.add_column(
        "interactions",
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
    )
    op.execute(
        """
        UPDATE interactions i
        SET subject_type = 'lead', subject_id = i.lead_id,
            source = coalesce((SELECT u.source FROM users u WHERE u.id = i.created_by), 'manual')
        """
    )
    op.alter_column("interactions", "subject_type", nullable=False)
    op.alter_column("interactions", "subject_id", nullable=False)
    op.drop_index("ix_touches_lead_id_occurred_at", table_name="interactions")
    op.drop_constraint("fk_touches_lead_id_leads", "interactions", type_="foreignkey")
    op.drop_column("interactions", "lead_id")
    op.add_column(
        "interactions",
        sa.Column(
            "lead_id",
            sa.UUID(),
            sa.Computed("CASE WHEN subject_type = 'lead' THEN subject_id END", persisted=True),
        ),
    )
    op.create_foreign_key(
        op.f("fk_interactions_lead_id_leads"),
        "interactions",
        "leads",
        ["lead_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_check_constraint(op.f("ck_interactions_subject_type"), "interactions", SUBJECTS)
    op.create_index(
        "ix_interactions_lead_id_occurred_at", "interactions", ["lead_id", "occurred_at"]
    )
    op.create_index(
        "ix_interactions_subject",
        "interactions",
        ["subject_type", "subject_id", "occurred_at", "id"],
    )
    op.create_index(
        "uq_interactions_source_external_id",
        "interactions",
        ["source", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("ix_interactions_created_by", "interactions", ["created_by"])

    # Logging by email finds a contact by its address alone.
    op.create_index("ix_contacts_email_lower", "contacts", [sa.text("lower(email)")])
    # Timeline pages read history and adoption changes newest first per opportunity.
    op.create_index(
        "ix_opportunity_history_opportunity_id_at",
        "opportunity_history",
        ["opportunity_id", "at", "id"],
    )
    op.create_index(
        "ix_adoption_changes_opportunity_id_at",
        "adoption_changes",
        ["opportunity_id", "at"],
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_email_lower", table_name="contacts")
    op.drop_index("ix_adoption_changes_opportunity_id_at", table_name="adoption_changes")
    op.drop_index("ix_opportunity_history_opportunity_id_at", table_name="opportunity_history")
    # Interactions on other subjects have no place among touches.
    op.execute("DELETE FROM interactions WHERE subject_type <> 'lead'")
    op.drop_index("ix_interactions_created_by", table_name="interactions")
    op.drop_index("uq_interactions_source_external_id", table_name="interactions")
    op.drop_index("ix_interactions_subject", table_name="interactions")
    op.drop_index("ix_interactions_lead_id_occurred_at", table_name="interactions")
    op.drop_constraint(op.f("ck_interactions_subject_type"), "interactions", type_="check")
    op.drop_constraint("fk_interactions_lead_id_leads", "interactions", type_="foreignkey")
    op.drop_column("interactions", "lead_id")
    op.add_column("interactions", sa.Column("lead_id", sa.UUID()))
    op.execute("UPDATE interactions SET lead_id = subject_id")
    op.alter_column("interactions", "lead_id", nullable=False)
    for column in ("source", "external_id", "title", "subject_id", "subject_type"):
        op.drop_column("interactions", column)
    op.create_foreign_key(
        "fk_touches_lead_id_leads", "interactions", "leads", ["lead_id"], ["id"], ondelete="CASCADE"
    )
    op.execute(
        "ALTER TABLE interactions "
        "RENAME CONSTRAINT fk_interactions_created_by_users TO fk_touches_created_by_users"
    )
    op.execute(
        "ALTER TABLE interactions "
        "RENAME CONSTRAINT ck_interactions_direction TO ck_touches_direction"
    )
    op.execute(
        "ALTER TABLE interactions RENAME CONSTRAINT ck_interactions_channel TO ck_touches_channel"
    )
    op.execute("ALTER TABLE interactions RENAME CONSTRAINT pk_interactions TO pk_touches")
    op.rename_table("interactions", "touches")
    op.create_index("ix_touches_lead_id_occurred_at", "touches", ["lead_id", "occurred_at"])
    op.drop_table("tasks")
    op.drop_table("notes")
