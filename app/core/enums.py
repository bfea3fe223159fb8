"""The closed sets of API.md, each one `StrEnum` used by the models (CHECK constraints), the
schemas (pydantic names the OpenAPI enum after the class, so generated SDKs get one type per
set) and the pure rules. Subsets that the API exposes as their own enum (the open stages, the
forecast categories a client may set) are enums of their own, derived from the full set."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do: `integration` users stand for an external system."""

    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    INTEGRATION = "integration"


HUMAN_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.REP})

# The lead `source` of people's leads; integrations use their own slug and never this one.
MANUAL_SOURCE = "manual"


class Segment(StrEnum):
    """Sales segment of a territory (GitLab's Commercial is `mid_market` + `smb`)."""

    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"


# A small box sale qualifies only in Commercial Sales.
COMMERCIAL_SEGMENTS = frozenset({Segment.MID_MARKET, Segment.SMB})


class Vertical(StrEnum):
    """Industry of an account."""

    FINANCIAL_SERVICES = "financial_services"
    HEALTHCARE = "healthcare"
    PUBLIC_SECTOR = "public_sector"
    MANUFACTURING = "manufacturing"
    TRANSPORTATION = "transportation"
    RETAIL = "retail"
    TECHNOLOGY = "technology"
    TELECOMMUNICATIONS = "telecommunications"
    EDUCATION = "education"
    ENERGY = "energy"
    MEDIA = "media"
    OTHER = "other"


class TeamRole(StrEnum):
    """A territory team member's role."""

    SDR = "sdr"
    ISR = "isr"
    SA = "sa"
    CSM = "csm"
    RESELLER_CHANNEL_MANAGER = "reseller_channel_manager"
    SI_CHANNEL_MANAGER = "si_channel_manager"
    OEM_CLOUD_CHANNEL_MANAGER = "oem_cloud_channel_manager"
    FIELD_MARKETING = "field_marketing"


class AccountType(StrEnum):
    """Whether the account already buys (`customer`) or not yet (`net_new`)."""

    NET_NEW = "net_new"
    CUSTOMER = "customer"


class RouteToMarket(StrEnum):
    """How an account buys."""

    DIRECT = "direct"
    CHANNEL = "channel"
    PROGRAMS = "programs"


class PartnerKind(StrEnum):
    """Kind of partner an account or activity works with."""

    RESELLER = "reseller"
    SI = "si"
    CLOUD = "cloud"
    OEM = "oem"


class ItSupport(StrEnum):
    """Who runs the account's IT."""

    IN_HOUSE = "in_house"
    OUTSOURCED = "outsourced"


class UnitKind(StrEnum):
    """What a unit of an account is."""

    DEPARTMENT = "department"
    DIVISION = "division"
    BRANCH = "branch"


class Adoption(StrEnum):
    """`green` uses the product, `yellow` evaluates it, `red` does DevOps without it, `none`
    does no DevOps."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"


class AnalysisStatus(StrEnum):
    """Where an account stands in the territory analysis."""

    NEEDS_POINT_OF_ENTRY = "needs_point_of_entry"
    ENTRY_IN_PROGRESS = "entry_in_progress"
    LAND_AND_EXPAND = "land_and_expand"
    FULLY_GREEN = "fully_green"
    NO_DEVOPS_MAPPED = "no_devops_mapped"


class ActivityType(StrEnum):
    """Kind of engagement activity."""

    TRADE_SHOW = "trade_show"
    LUNCH_AND_LEARN = "lunch_and_learn"
    WORKSHOP = "workshop"
    MEETUP = "meetup"
    MARKETING_CAMPAIGN = "marketing_campaign"
    DIVISION_PROGRAM = "division_program"
    CLOUD_PARTNER = "cloud_partner"
    SI_PARTNER = "si_partner"
    RESELLER = "reseller"
    OEM = "oem"
    INDUSTRY_MEMBERSHIP = "industry_membership"


# Activities run with a partner; each needs its `partner`.
PARTNER_ACTIVITY_TYPES = frozenset(
    {ActivityType.CLOUD_PARTNER, ActivityType.SI_PARTNER, ActivityType.RESELLER, ActivityType.OEM}
)


class ActivityStatus(StrEnum):
    """Whether an activity is still planned, took place or was called off."""

    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class PersonaSlug(StrEnum):
    """Buyer persona."""

    TECHNOLOGY_LEADER = "technology_leader"
    BUSINESS_APPLICATION_LEADER = "business_application_leader"
    SECURITY_LEADER = "security_leader"
    COO_CXO_LEADER = "coo_cxo_leader"
    FINANCIAL_LEADER = "financial_leader"


class LeadStatus(StrEnum):
    """Where a lead stands; `converted` only through conversion."""

    NEW = "new"
    WORKING = "working"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


CLOSED_LEAD_STATUSES = frozenset({LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED})
OPEN_LEAD_STATUSES = frozenset(LeadStatus) - CLOSED_LEAD_STATUSES


class DiagramMedia(StrEnum):
    """The territory diagram's formats, by media type (the request's `Accept` chooses)."""

    SVG = "image/svg+xml"
    PNG = "image/png"


class SearchType(StrEnum):
    """What `GET /search` finds (its `types` filter and each item's `type`)."""

    ACCOUNT = "account"
    CONTACT = "contact"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"


class Expansion(StrEnum):
    """What `?expand=` may add beside a reference id: the referenced record's summary."""

    OWNER = "owner"
    ACCOUNT = "account"
    CONTACT = "contact"
    TERRITORY = "territory"


class TouchChannel(StrEnum):
    """How a touch or interaction reached the person."""

    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"
    MEETING = "meeting"
    VIDEO = "video"
    EVENT = "event"


class TouchDirection(StrEnum):
    """Whether we reached out (`outbound`) or they did (`inbound`)."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class SubjectType(StrEnum):
    """What a note, task or interaction is about (API.md section 11)."""

    LEAD = "lead"
    CONTACT = "contact"
    ACCOUNT = "account"
    OPPORTUNITY = "opportunity"


class TaskPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class TaskStatus(StrEnum):
    """`done` sets `completed_at`; reopening clears it."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TimelineKind(StrEnum):
    """What a timeline item is (extensible: clients tolerate kinds added later)."""

    NOTE = "note"
    TASK = "task"
    INTERACTION = "interaction"
    MEETING = "meeting"
    QUALIFICATION = "qualification"
    CONVERSION = "conversion"
    STAGE_CHANGE = "stage_change"
    FIELD_CHANGE = "field_change"
    ADOPTION_CHANGE = "adoption_change"


class BpmStage(StrEnum):
    """The buyer's process stage."""

    STATUS_QUO = "status_quo"
    PROBLEM_RECOGNITION = "problem_recognition"
    SOLUTION_EXPLORATION = "solution_exploration"
    EVALUATION = "evaluation"
    SELECTION = "selection"
    COMMITMENT = "commitment"


class OpportunityType(StrEnum):
    """`expansion` and `renewal` need a `customer` account."""

    NEW_BUSINESS = "new_business"
    EXPANSION = "expansion"
    RENEWAL = "renewal"


class ForecastCategory(StrEnum):
    """How likely an opportunity closes in its period; `closed` belongs to won ones."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class ClientForecastCategory(StrEnum):
    """The forecast categories a client may set (`closed` is never set by a client)."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    OMITTED = "omitted"


class RenewalForecastCategory(StrEnum):
    """How likely a renewal's expected loss is."""

    BEST_CASE = "best_case"
    COMMIT = "commit"


class StageSlug(StrEnum):
    """The pipeline stages, in order (their numbers are 0-10)."""

    PENDING_ACCEPTANCE = "pending_acceptance"
    DISCOVERY = "discovery"
    SCOPING = "scoping"
    TECHNICAL_EVALUATION = "technical_evaluation"
    PROPOSAL = "proposal"
    NEGOTIATING = "negotiating"
    AWAITING_SIGNATURE = "awaiting_signature"
    CLOSED_WON = "closed_won"
    LOST = "lost"
    UNQUALIFIED = "unqualified"
    DUPLICATE = "duplicate"


class OpenStageSlug(StrEnum):
    """The pipeline's open stages 1-6 (stage 0 is not pipeline)."""

    DISCOVERY = "discovery"
    SCOPING = "scoping"
    TECHNICAL_EVALUATION = "technical_evaluation"
    PROPOSAL = "proposal"
    NEGOTIATING = "negotiating"
    AWAITING_SIGNATURE = "awaiting_signature"


# Open: stage 0 and the pipeline stages 1-6; everything else is closed.
OPEN_STAGES = frozenset({StageSlug.PENDING_ACCEPTANCE, *(StageSlug(s) for s in OpenStageSlug)})
PIPELINE_STAGES = frozenset(StageSlug(s) for s in OpenStageSlug)
LOST_STAGES = frozenset({StageSlug.LOST, StageSlug.UNQUALIFIED, StageSlug.DUPLICATE})
CLOSED_STAGES = frozenset({StageSlug.CLOSED_WON, *LOST_STAGES})


class LossReason(StrEnum):
    """Why an opportunity was lost (`other` needs `loss_details`)."""

    NO_DECISION = "no_decision"
    COMPETITOR = "competitor"
    BUDGET = "budget"
    TIMING = "timing"
    FIT = "fit"
    OTHER = "other"


class MeddppiccElement(StrEnum):
    """The nine MEDDPPICC elements of a command plan."""

    METRICS = "metrics"
    ECONOMIC_BUYER = "economic_buyer"
    DECISION_CRITERIA = "decision_criteria"
    DECISION_PROCESS = "decision_process"
    PAPER_PROCESS = "paper_process"
    PARTNERS = "partners"
    IDENTIFY_PAIN = "identify_pain"
    CHAMPION = "champion"
    COMPETITION = "competition"


# Elements filled by naming a person (a contact or notes) rather than by text.
PERSON_ELEMENTS = frozenset({MeddppiccElement.CHAMPION, MeddppiccElement.ECONOMIC_BUYER})


class Involvement(StrEnum):
    """How the person met takes part in the decision (authority)."""

    EVALUATOR = "evaluator"
    DECISION_MAKER = "decision_maker"
    TECHNICAL_BUYER = "technical_buyer"
    INFLUENCER = "influencer"
    NONE = "none"


class InitiativeKind(StrEnum):
    """Size of the initiative behind the deal."""

    SMALL_BOX = "small_box"
    TOP_2_PRIORITY = "top_2_priority"
    NONE = "none"


class InitiativeDriver(StrEnum):
    """What drives a top-2 priority."""

    BUSINESS_PROBLEM = "business_problem"
    STRATEGIC_DIRECTION = "strategic_direction"
    MODERNIZATION = "modernization"


class EntryUseCase(StrEnum):
    """Where the product would land first."""

    SCM = "scm"
    CI = "ci"
    CD = "cd"
    SECURITY = "security"
    AGILE_PLANNING = "agile_planning"
    OTHER = "other"


class EventType(StrEnum):
    """What an event says happened (API.md sections 9 and 15). The API shows it as an
    extensible string: receivers tolerate types added later."""

    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    LEAD_CONVERTED = "lead.converted"
    OPPORTUNITY_CREATED = "opportunity.created"
    OPPORTUNITY_UPDATED = "opportunity.updated"
    OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
    OPPORTUNITY_CLOSED_WON = "opportunity.closed_won"
    OPPORTUNITY_LOST = "opportunity.lost"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_UPDATED = "account.updated"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    UNIT_ADOPTION_CHANGED = "unit.adoption_changed"
    FORECAST_SUBMITTED = "forecast.submitted"
    NOTE_CREATED = "note.created"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    INTERACTION_LOGGED = "interaction.logged"
    TERRITORY_TRANSFERRED = "territory.transferred"
    WEBHOOK_PING = "webhook.ping"


class EventResource(StrEnum):
    """The kind of resource an event is about (its `resource_type`)."""

    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    ACCOUNT = "account"
    CONTACT = "contact"
    UNIT = "unit"
    FORECAST = "forecast"
    NOTE = "note"
    TASK = "task"
    INTERACTION = "interaction"
    TERRITORY = "territory"
    WEBHOOK = "webhook"


class CustomFieldObject(StrEnum):
    """The resources that carry admin-defined custom fields (API.md section 13)."""

    LEAD = "lead"
    CONTACT = "contact"
    ACCOUNT = "account"
    OPPORTUNITY = "opportunity"


class CustomFieldType(StrEnum):
    """What a custom field holds."""

    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"
    SELECT = "select"
    MULTI_SELECT = "multi_select"


OPTION_TYPES = frozenset({CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT})
