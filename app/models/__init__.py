"""Every model, imported so that Alembic and the mappers see the whole schema."""

from app.models.base import Base
from app.models.custom_fields import CustomField
from app.models.events import Event
from app.models.events import Webhook
from app.models.events import WebhookDelivery
from app.models.forecasts import ForecastSubmission
from app.models.forecasts import OpportunityMonthSums
from app.models.forecasts import Quota
from app.models.leads import Contact
from app.models.leads import Lead
from app.models.opportunities import BuyerProcessStage
from app.models.opportunities import CommandPlan
from app.models.opportunities import CommandPlanReview
from app.models.opportunities import CommandPlanRevision
from app.models.opportunities import DiscoveryQuestion
from app.models.opportunities import Meeting
from app.models.opportunities import Opportunity
from app.models.opportunities import OpportunityHistory
from app.models.opportunities import PersonaProfile
from app.models.opportunities import Qualification
from app.models.opportunities import Stage
from app.models.records import Interaction
from app.models.records import Note
from app.models.records import Task
from app.models.records import Touch
from app.models.territories import Account
from app.models.territories import Activity
from app.models.territories import AdoptionChange
from app.models.territories import Plan
from app.models.territories import Territory
from app.models.territories import TerritoryMember
from app.models.territories import TerritoryReport
from app.models.territories import TerritoryReportVersion
from app.models.territories import Unit
from app.models.users import ApiToken
from app.models.users import IdempotencyRecord
from app.models.users import RateLimitWindow
from app.models.users import Setting
from app.models.users import User
from app.models.users import UserAncestor

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
    "UserAncestor",
    "Webhook",
    "WebhookDelivery",
]
