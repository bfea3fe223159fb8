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

# Written out literally: a migration must not change when application code does.
STAGES = [
    {
        "slug": "pending_acceptance",
        "number": 0,
        "name": "Pending Acceptance",
        "probability": 0,
        "forecast_category": "omitted",
        "terminal": False,
        "requirements": {"new_business": [], "expansion": [], "renewal": []},
    },
    {
        "slug": "discovery",
        "number": 1,
        "name": "Discovery",
        "probability": 10,
        "forecast_category": "pipeline",
        "terminal": False,
        "requirements": {
            "new_business": ["qualification_passed", "follow_up_scheduled", "amount"],
            "expansion": ["follow_up_scheduled", "amount"],
            "renewal": ["follow_up_scheduled", "renewal_arr"],
        },
    },
    {
        "slug": "scoping",
        "number": 2,
        "name": "Scoping",
        "probability": 20,
        "forecast_category": "pipeline",
        "terminal": False,
        "requirements": {
            "new_business": ["why_do_anything", "why_now", "identify_pain", "entry_use_case"],
            "expansion": ["why_do_anything", "why_now", "identify_pain", "entry_use_case"],
            "renewal": [],
        },
    },
    {
        "slug": "technical_evaluation",
        "number": 3,
        "name": "Technical Evaluation",
        "probability": 40,
        "forecast_category": "pipeline",
        "terminal": False,
        "requirements": {
            "new_business": [
                "metrics",
                "champion",
                "economic_buyer",
                "decision_criteria",
                "partners",
            ],
            "expansion": ["metrics", "champion", "economic_buyer", "decision_criteria", "partners"],
            "renewal": [],
        },
    },
    {
        "slug": "proposal",
        "number": 4,
        "name": "Proposal",
        "probability": 60,
        "forecast_category": "best_case",
        "terminal": False,
        "requirements": {
            "new_business": [
                "decision_process",
                "paper_process",
                "competition",
                "close_plan",
                "close_date",
            ],
            "expansion": [
                "decision_process",
                "paper_process",
                "competition",
                "close_plan",
                "close_date",
            ],
            "renewal": ["close_plan", "close_date"],
        },
    },
    {
        "slug": "negotiating",
        "number": 5,
        "name": "Negotiating",
        "probability": 80,
        "forecast_category": "best_case",
        "terminal": False,
        "requirements": {
            "new_business": ["proposal_sent"],
            "expansion": ["proposal_sent"],
            "renewal": ["proposal_sent"],
        },
    },
    {
        "slug": "awaiting_signature",
        "number": 6,
        "name": "Awaiting Signature",
        "probability": 90,
        "forecast_category": "commit",
        "terminal": False,
        "requirements": {
            "new_business": ["signature_requested", "close_plan_current"],
            "expansion": ["signature_requested", "close_plan_current"],
            "renewal": ["signature_requested", "close_plan_current"],
        },
    },
    {
        "slug": "closed_won",
        "number": 7,
        "name": "Closed Won",
        "probability": 100,
        "forecast_category": "closed",
        "terminal": True,
        "requirements": {
            "new_business": ["amount", "close_date"],
            "expansion": ["amount", "close_date"],
            "renewal": ["amount", "close_date"],
        },
    },
    {
        "slug": "lost",
        "number": 8,
        "name": "Lost",
        "probability": 0,
        "forecast_category": "omitted",
        "terminal": True,
        "requirements": {
            "new_business": ["loss_reason"],
            "expansion": ["loss_reason"],
            "renewal": ["loss_reason"],
        },
    },
    {
        "slug": "unqualified",
        "number": 9,
        "name": "Unqualified",
        "probability": 0,
        "forecast_category": "omitted",
        "terminal": True,
        "requirements": {
            "new_business": ["reason"],
            "expansion": ["reason"],
            "renewal": ["reason"],
        },
    },
    {
        "slug": "duplicate",
        "number": 10,
        "name": "Duplicate",
        "probability": 0,
        "forecast_category": "omitted",
        "terminal": True,
        "requirements": {
            "new_business": ["duplicate_of_id"],
            "expansion": ["duplicate_of_id"],
            "renewal": ["duplicate_of_id"],
        },
    },
]

PERSONAS = [
    {
        "slug": "technology_leader",
        "name": "Technology Leader",
        "position": 1,
        "objectives": [
            "Ship changes to production faster and with fewer failed releases",
            "Consolidate source control, CI/CD and scanning onto one platform to cut "
            "integration and upkeep work",
            "Standardise pipelines and practices so they scale across teams",
            "Give engineers a modern developer experience that helps hiring and retention",
        ],
        "obstacles": [
            "A patchwork of point tools held together by scripts and plugins",
            "The platform team spends its time maintaining integrations instead of "
            "improving delivery",
            "Legacy applications and teams attached to their current workflows",
            "No end-to-end view of where work waits between commit and production",
        ],
        "metrics": [
            "Deployment frequency",
            "Lead time from commit to production",
            "Change failure rate and mean time to restore service",
            "Engineering hours spent maintaining the toolchain",
            "Time for a new engineer to make a first production change",
        ],
    },
    {
        "slug": "business_application_leader",
        "name": "Business Application Leader",
        "position": 2,
        "objectives": [
            "Deliver the features the business asks for on the dates it plans around",
            "Shrink the backlog of change requests from business units",
            "Give business stakeholders live visibility into progress",
            "Modernise legacy applications without disrupting operations",
        ],
        "obstacles": [
            "Hand-offs between development, QA and operations stretch releases to weeks",
            "Planning lives in one tool, code in another, and status is reported by hand",
            "Environments and releases depend on a central IT queue",
            "Outsourced development partners work in their own separate toolchains",
        ],
        "metrics": [
            "Cycle time from business request to production",
            "Release predictability: planned versus delivered scope",
            "Age of the change-request backlog",
            "Business-reported incidents after a release",
        ],
    },
    {
        "slug": "security_leader",
        "name": "Security Leader",
        "position": 3,
        "objectives": [
            "Find and fix vulnerabilities before code reaches production",
            "Prove compliance (SOC 2, PCI DSS, HIPAA, FedRAMP) with auditable evidence",
            "Secure the software supply chain: dependencies, containers and build integrity",
            "Make security part of the developer workflow without slowing delivery",
        ],
        "obstacles": [
            "Scans run late, in separate tools developers rarely open",
            "Too few security engineers to triage findings across hundreds of projects",
            "Audit evidence is collected by hand from many systems",
            "Open-source dependencies nobody has inventoried",
        ],
        "metrics": [
            "Mean time to remediate critical vulnerabilities",
            "Share of projects scanned on every merge request",
            "Open critical and high findings in production",
            "Effort to prepare for an audit",
            "Number of security policy exceptions granted",
        ],
    },
    {
        "slug": "coo_cxo_leader",
        "name": "COO/CXO Leader",
        "position": 4,
        "objectives": [
            "A digital transformation that shows up in revenue and customer experience",
            "Beat competitors to market with new products and features",
            "Predictable delivery and lower operating cost",
            "Fewer outages and breaches that reach customers, regulators or the board",
        ],
        "obstacles": [
            "Transformation programmes that spend money without measurable outcomes",
            "Departments choosing tools and processes in silos",
            "Scarce engineering talent",
            "Slow approval and change-management processes",
        ],
        "metrics": [
            "Time to market for new products and features",
            "Cost of delivery per product or team",
            "Customer-impacting incidents per quarter",
            "Transformation milestones met on schedule",
        ],
    },
    {
        "slug": "financial_leader",
        "name": "Financial Leader",
        "position": 5,
        "objectives": [
            "Lower total software spend by retiring overlapping tools",
            "Predictable, consolidated licence costs with fewer vendors",
            "A clear, measurable return on technology investments",
            "Spend tied to the business outcomes it is meant to deliver",
        ],
        "obstacles": [
            "Overlapping tool licences bought separately by different departments",
            "Hidden cost of people maintaining integrations and self-hosted tools",
            "Engineering productivity gains that are hard to attribute to spend",
            "Budget cycles that do not line up with when projects start",
        ],
        "metrics": [
            "Total cost of ownership of the development toolchain",
            "Number of tools and vendors under contract",
            "Payback period and return on investment",
            "Licence utilisation: paid seats versus active users",
        ],
    },
]

# (element, persona or None for any persona, question), in display order.
DISCOVERY_QUESTIONS = [
    (
        "metrics",
        None,
        "How do you measure the success of software delivery today, and what would a good result "
        "look like twelve months from now?",
    ),
    (
        "metrics",
        "technology_leader",
        "How often do you deploy to production, and how long does a change take from commit to "
        "running in production?",
    ),
    (
        "metrics",
        "security_leader",
        "How long does it take today to fix a critical vulnerability once it is found?",
    ),
    (
        "metrics",
        "financial_leader",
        "What do you spend each year on development, CI and security tools, including the people "
        "who keep them running?",
    ),
    (
        "metrics",
        "coo_cxo_leader",
        "Which outcome would leadership notice first if delivery improved: time to market, cost "
        "or risk?",
    ),
    (
        "economic_buyer",
        None,
        "Who has the final say on the budget for this initiative, and have they approved a "
        "project like this before?",
    ),
    (
        "economic_buyer",
        None,
        "What does the person who approves this spend need to see before they say yes?",
    ),
    (
        "economic_buyer",
        "financial_leader",
        "Is this spend already in this year's budget, or does it need a new approval?",
    ),
    (
        "economic_buyer",
        "coo_cxo_leader",
        "Which executive owns the transformation programme this would support, and how do they "
        "report its progress?",
    ),
    (
        "economic_buyer",
        "technology_leader",
        "If your team recommends this, who else has to agree before money is committed?",
    ),
    (
        "decision_criteria",
        None,
        "What criteria will you use to compare the options, and which matter most?",
    ),
    (
        "decision_criteria",
        "technology_leader",
        "Which integrations, hosting options (SaaS or self-managed) and scale requirements are "
        "must-haves?",
    ),
    (
        "decision_criteria",
        "security_leader",
        "What security and compliance capabilities must a platform have to pass your review?",
    ),
    (
        "decision_criteria",
        "financial_leader",
        "Will you compare licence cost alone, or total cost including the tools you would retire?",
    ),
    (
        "decision_criteria",
        "business_application_leader",
        "What would your application teams need to see to agree to move off their current tools?",
    ),
    (
        "decision_process",
        None,
        "How did you decide on the last tool of this size: who was involved and how long did it "
        "take?",
    ),
    ("decision_process", None, "What steps remain between a successful evaluation and a decision?"),
    (
        "decision_process",
        None,
        "Will there be a formal proof of value, and who sets its success criteria?",
    ),
    (
        "decision_process",
        "technology_leader",
        "Which architecture or platform review boards have to sign off?",
    ),
    (
        "decision_process",
        "security_leader",
        "When in the process does the security review happen, and how long does it usually take?",
    ),
    (
        "paper_process",
        None,
        "Once you have decided, what happens before an order is signed: legal review, "
        "procurement, security questionnaires?",
    ),
    (
        "paper_process",
        None,
        "Who signs the order, and do signature thresholds change who needs to sign?",
    ),
    (
        "paper_process",
        None,
        "How long did legal review of your last software agreement take, and do you work on your "
        "own paper or the vendor's?",
    ),
    (
        "paper_process",
        "financial_leader",
        "Does procurement require a competitive bid, a purchasing framework or a particular "
        "reseller?",
    ),
    (
        "paper_process",
        "financial_leader",
        "Do quarter-end or year-end deadlines affect when the order has to be placed?",
    ),
    (
        "partners",
        None,
        "Which systems integrators or consultancies help you run your development and DevOps "
        "tooling?",
    ),
    (
        "partners",
        None,
        "Do you buy software directly, through a reseller, or through a cloud marketplace?",
    ),
    (
        "partners",
        "technology_leader",
        "Which cloud providers do you run on, and do you have committed spend with them that "
        "this purchase could draw down?",
    ),
    (
        "partners",
        "business_application_leader",
        "Is any development outsourced, and would those partners need to work on the same "
        "platform?",
    ),
    (
        "partners",
        "financial_leader",
        "Do purchases have to go through a preferred reseller or an enterprise agreement?",
    ),
    ("identify_pain", None, "What happens if nothing changes over the next year?"),
    (
        "identify_pain",
        "technology_leader",
        "Where does a change spend the most time waiting between commit and production?",
    ),
    (
        "identify_pain",
        "security_leader",
        "How do vulnerabilities that reach production get found today, and how many were there "
        "last quarter?",
    ),
    (
        "identify_pain",
        "business_application_leader",
        "When did a release last slip, and what did that cost the business?",
    ),
    (
        "identify_pain",
        "coo_cxo_leader",
        "What competitive or regulatory pressure makes this a priority now?",
    ),
    (
        "identify_pain",
        "financial_leader",
        "How many overlapping tools are different departments paying for?",
    ),
    ("champion", None, "Who would gain the most, personally and for their team, if this succeeds?"),
    (
        "champion",
        None,
        "Who would be willing to present this to leadership and defend the business case?",
    ),
    (
        "champion",
        None,
        "Who has the ear of the budget owner and has led a change like this before?",
    ),
    ("champion", None, "What would you need from us to make the case internally?"),
    (
        "champion",
        "technology_leader",
        "Which team already uses the product or has asked for it, and what results have they seen?",
    ),
    (
        "competition",
        None,
        "What other options are you considering, including building it yourselves or doing "
        "nothing?",
    ),
    ("competition", None, "Which tools would this replace, and who is most attached to them?"),
    (
        "competition",
        "technology_leader",
        "What do your teams like and dislike about the source control and CI tools they use today?",
    ),
    (
        "competition",
        "security_leader",
        "Which security scanning vendors do you use today, and when do those contracts renew?",
    ),
    (
        "competition",
        "financial_leader",
        "When do the contracts for your current development tools come up for renewal?",
    ),
]

BUYER_PROCESS_STAGES = [
    {
        "slug": "status_quo",
        "number": 1,
        "name": "Status quo",
        "buyer_actions": [
            "Content with the current toolchain; no project or budget set aside",
            "Teams work around delivery problems locally with scripts and manual steps",
            "Ignores or declines outreach about DevOps tooling",
            "Renews existing tool contracts without reviewing them",
        ],
    },
    {
        "slug": "problem_recognition",
        "number": 2,
        "name": "Problem recognition",
        "buyer_actions": [
            "Names a pain out loud: slow releases, toolchain sprawl or an audit finding",
            "Asks peers or analysts how other companies handle the problem",
            "Attends a webinar, meetup or lunch and learn on DevOps practices",
            "An executive names delivery speed, security or tool cost as a priority",
        ],
    },
    {
        "slug": "solution_exploration",
        "number": 3,
        "name": "Solution exploration",
        "buyer_actions": [
            "Researches platforms and downloads comparisons or analyst reports",
            "Drafts a list of requirements and a rough business case",
            "Asks vendors for introductory demos",
            "A team starts a free trial or self-hosts the free tier",
        ],
    },
    {
        "slug": "evaluation",
        "number": 4,
        "name": "Evaluation",
        "buyer_actions": [
            "Writes evaluation criteria and a proof-of-value plan with success measures",
            "Runs a technical evaluation or pilot with one or two teams",
            "Brings security, architecture and procurement into reviews",
            "Compares total cost of ownership across the shortlisted vendors",
        ],
    },
    {
        "slug": "selection",
        "number": 5,
        "name": "Selection",
        "buyer_actions": [
            "Names a preferred vendor and tells the others",
            "Asks for pricing, a proposal and customer references",
            "Presents the business case to the economic buyer",
            "Negotiates scope, terms and the rollout plan",
        ],
    },
    {
        "slug": "commitment",
        "number": 6,
        "name": "Commitment",
        "buyer_actions": [
            "Legal and procurement review the agreement and complete security questionnaires",
            "The signatory approves and signs the order",
            "Agrees a rollout and migration plan with named owners",
            "Schedules onboarding and training for the first teams",
        ],
    },
]


def upgrade() -> None:
    stages = op.create_table(
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
    personas = op.create_table(
        "personas",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("objectives", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("obstacles", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_personas")),
    )
    discovery_questions = op.create_table(
        "discovery_questions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("element", sa.String(length=40), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=True),
        sa.Column("question", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_questions")),
    )
    op.create_index(
        "ix_discovery_questions_element",
        "discovery_questions",
        ["element", "persona"],
        unique=False,
    )
    buyer_process_stages = op.create_table(
        "buyer_process_stages",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("buyer_actions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_buyer_process_stages")),
        sa.UniqueConstraint("number", name=op.f("uq_buyer_process_stages_number")),
    )

    # Seed data: stages as the contract's defaults, and the meeting-preparation reference data.
    op.bulk_insert(stages, STAGES)
    op.bulk_insert(personas, PERSONAS)
    op.bulk_insert(
        discovery_questions,
        [
            {"element": element, "persona": persona, "question": question, "position": position}
            for position, (element, persona, question) in enumerate(DISCOVERY_QUESTIONS, 1)
        ],
    )
    op.bulk_insert(buyer_process_stages, BUYER_PROCESS_STAGES)

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
