"""The closed sets of API.md, shared by models (CHECK constraints) and schemas (OpenAPI enums)."""

ROLES = ("admin", "manager", "rep", "integration")
SEGMENTS = ("enterprise", "mid_market", "smb")
VERTICALS = (
    "financial_services",
    "healthcare",
    "public_sector",
    "manufacturing",
    "transportation",
    "retail",
    "technology",
    "telecommunications",
    "education",
    "energy",
    "media",
    "other",
)
TEAM_ROLES = (
    "sdr",
    "isr",
    "sa",
    "csm",
    "reseller_channel_manager",
    "si_channel_manager",
    "oem_cloud_channel_manager",
    "field_marketing",
)
ACCOUNT_TYPES = ("net_new", "customer")
ROUTES_TO_MARKET = ("direct", "channel", "programs")
PARTNER_KINDS = ("reseller", "si", "cloud", "oem")
IT_SUPPORT = ("in_house", "outsourced")
UNIT_KINDS = ("department", "division", "branch")
ADOPTIONS = ("green", "yellow", "red", "none")
ACTIVITY_TYPES = (
    "trade_show",
    "lunch_and_learn",
    "workshop",
    "meetup",
    "marketing_campaign",
    "division_program",
    "cloud_partner",
    "si_partner",
    "reseller",
    "oem",
    "industry_membership",
)
PARTNER_ACTIVITY_TYPES = ("cloud_partner", "si_partner", "reseller", "oem")
ACTIVITY_STATUSES = ("planned", "done", "cancelled")
PERSONAS = (
    "technology_leader",
    "business_application_leader",
    "security_leader",
    "coo_cxo_leader",
    "financial_leader",
)
LEAD_STATUSES = ("new", "working", "nurture", "disqualified", "converted")
CLOSED_LEAD_STATUSES = ("converted", "disqualified")
TOUCH_CHANNELS = ("email", "phone", "social", "meeting", "video", "event")
TOUCH_DIRECTIONS = ("outbound", "inbound")
BPM_STAGES = (
    "status_quo",
    "problem_recognition",
    "solution_exploration",
    "evaluation",
    "selection",
    "commitment",
)
OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
RENEWAL_FORECAST_CATEGORIES = ("best_case", "commit")
STAGE_SLUGS = (
    "pending_acceptance",
    "discovery",
    "scoping",
    "technical_evaluation",
    "proposal",
    "negotiating",
    "awaiting_signature",
    "closed_won",
    "lost",
    "unqualified",
    "duplicate",
)
LOSS_REASONS = ("no_decision", "competitor", "budget", "timing", "fit", "other")
MEDDPPICC_ELEMENTS = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "partners",
    "identify_pain",
    "champion",
    "competition",
)
