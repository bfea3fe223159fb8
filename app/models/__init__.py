"""Every model, imported so that Alembic and the mappers see the whole schema."""

from app.models.base import Base
from app.models.custom_fields import CustomField
from app.models.events import Event, Webhook, WebhookDelivery
from app.models.forecasts import ForecastSubmission, OpportunityMonthSums, Quota
from app.models.leads import Contact, Lead
from app.models.opportunities import (
    BuyerProcessStage,
    CommandPlan,
    CommandPlanReview,
    CommandPlanRevision,
    DiscoveryQuestion,
    Meeting,
    Opportunity,
    OpportunityHistory,
    PersonaProfile,
    Qualification,
    Stage,
)
from app.models.records import Interaction, Note, Task, Touch
from app.models.territories import (
    Account,
    Activity,
    AdoptionChange,
    Plan,
    Territory,
    TerritoryMember,
    TerritoryReport,
    TerritoryReportVersion,
    Unit,
)
from app.models.users import ApiToken, IdempotencyRecord, RateLimitWindow, Setting, User

__all__ = [
    "Account",
    "Activity",
    "AdoptionChange",
    "ApiToken",
    "Base",
    "BuyerProcessStage",
    "CommandPlan",
    "CommandPlanReview",
    "CommandPlanRevision",
    "Contact",
    "CustomField",
    "DiscoveryQuestion",
    "Event",
    "ForecastSubmission",
    "IdempotencyRecord",
    "Interaction",
    "Lead",
    "Meeting",
    "Note",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityMonthSums",
    "PersonaProfile",
    "Plan",
    "Qualification",
    "Quota",
    "RateLimitWindow",
    "Setting",
    "Stage",
    "Task",
    "Territory",
    "TerritoryMember",
    "TerritoryReport",
    "TerritoryReportVersion",
    "Touch",
    "Unit",
    "User",
    "Webhook",
    "WebhookDelivery",
]
