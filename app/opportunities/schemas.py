"""Request and response shapes for opportunities, their stage moves and history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from typing import ClassVar
from typing import Literal

from pydantic import BeforeValidator
from pydantic import Field
from pydantic import StringConstraints
from pydantic import WithJsonSchema

from app.core.enums import BpmStage
from app.core.enums import ClientForecastCategory
from app.core.enums import EntryUseCase
from app.core.enums import ForecastCategory
from app.core.enums import LossReason
from app.core.enums import OpportunityType
from app.core.enums import RenewalForecastCategory
from app.core.enums import StageSlug
from app.core.expand import EXPANDED_ACCOUNT
from app.core.expand import EXPANDED_CONTACT
from app.core.expand import EXPANDED_OWNER
from app.core.expand import AccountSummary
from app.core.expand import ContactSummary
from app.core.expand import OwnerSummary
from app.core.pagination import ListFilters
from app.core.schemas import CustomIn
from app.core.schemas import CustomOut
from app.core.schemas import Moment
from app.core.schemas import MoneyOut
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str500
from app.core.schemas import Text
from app.core.schemas import parse_money

# `closed` belongs to won opportunities and is never set by a client.
HistoryField = Literal[
    "stage",
    "amount",
    "close_date",
    "forecast_category",
    "owner_id",
    "type",
    "renewal_arr",
    "renewal_loss_amount",
    "renewal_forecast_category",
]

UNSIGNED_MONEY_PATTERN = r"^\d{1,13}(\.\d{1,2})?$"
NonNegativeMoney = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    Field(ge=0),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UNSIGNED_MONEY_PATTERN,
            "maxLength": 16,
            "example": "125000.00",
            "description": "A decimal string, at least 0.",
        }
    ),
]
PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    Field(gt=0),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UNSIGNED_MONEY_PATTERN,
            "maxLength": 16,
            "example": "90000.00",
            "description": "A decimal string, greater than 0.",
        }
    ),
]
Str1000 = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
Seats = Annotated[int, Field(ge=0, le=10_000_000)]
UnitIds = Annotated[list[uuid.UUID], Field(max_length=200)]
ReasonText = Annotated[Text, StringConstraints(max_length=2000)]

SERVER_SET = frozenset(
    {
        "stage",
        "stage_number",
        "probability",
        "net_arr",
        "sales_accepted_at",
        "stage_entered_at",
        "closed_at",
        "currency",
        "account_id",
        "lead_id",
        "loss_reason",
        "loss_details",
        "duplicate_of_id",
        "created_by",
    }
)


class OpportunityCreate(RequestModel):
    """A new opportunity at `pending_acceptance` for a contact's account.

    `stage` and every other server-set field are read-only (422). `account_id` is the
    contact's account; `owner_id` defaults to the caller.
    """

    name: Name
    contact_id: uuid.UUID
    type: OpportunityType = OpportunityType.NEW_BUSINESS
    owner_id: uuid.UUID | None = None
    amount: NonNegativeMoney | None = None
    renewal_arr: PositiveMoney | None = Field(None, description="Renewals only.")
    renewal_loss_amount: NonNegativeMoney | None = Field(
        None,
        description="Renewals only; 0..renewal_arr, defaults to max(0, renewal_arr - amount).",
    )
    renewal_forecast_category: RenewalForecastCategory | None = Field(
        None, description="Renewals only."
    )
    forecast_category: ClientForecastCategory | None = Field(
        None, description="Overrides the stage's default (`omitted` at pending_acceptance)."
    )
    close_date: date | None = None
    next_step: Str1000 | None = None
    next_step_at: Moment | None = None
    entry_use_case: EntryUseCase | None = None
    potential_seats: Seats | None = None
    proposal_sent_on: date | None = None
    signature_requested_on: date | None = None
    unit_ids: UnitIds = Field(default_factory=list)
    bpm_stage: BpmStage | None = None
    activity_id: uuid.UUID | None = Field(
        None, description="Defaults to the activity of the contact's lead."
    )
    custom: CustomIn | None = None
    read_only_fields: ClassVar[frozenset[str]] = SERVER_SET


class OpportunityUpdate(RequestModel):
    """JSON Merge Patch. `stage` moves only through `POST /opportunities/{id}/stage`.

    While the opportunity is closed (closed_won, lost, unqualified, duplicate) its amount,
    close date, type, renewal figures, forecast categories, owner and units are final: 409
    `opportunity-closed`, except for an admin who gives `change_reason`.
    """

    name: Name | None = None
    contact_id: uuid.UUID | None = None
    type: OpportunityType | None = None
    owner_id: uuid.UUID | None = None
    amount: NonNegativeMoney | None = None
    renewal_arr: PositiveMoney | None = None
    renewal_loss_amount: NonNegativeMoney | None = None
    renewal_forecast_category: RenewalForecastCategory | None = None
    forecast_category: ClientForecastCategory | None = Field(
        None, description="Owner only, on open stages (0-6)."
    )
    close_date: date | None = None
    next_step: Str1000 | None = None
    next_step_at: Moment | None = None
    entry_use_case: EntryUseCase | None = None
    potential_seats: Seats | None = None
    proposal_sent_on: date | None = None
    signature_requested_on: date | None = None
    unit_ids: UnitIds | None = None
    bpm_stage: BpmStage | None = None
    activity_id: uuid.UUID | None = None
    custom: CustomIn | None = None
    change_reason: Str500 | None = Field(
        None,
        description="Why this change is made; required (admins only) to correct the final "
        "fields of a closed opportunity. Kept as the `reason` of the history rows it writes.",
    )
    read_only_fields: ClassVar[frozenset[str]] = SERVER_SET
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"name", "type", "owner_id", "forecast_category", "unit_ids"}
    )


class Opportunity(ResponseModel):
    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    contact_id: uuid.UUID | None
    owner_id: uuid.UUID
    type: OpportunityType
    stage: StageSlug
    stage_number: int
    probability: int = Field(ge=0, le=100)
    forecast_category: ForecastCategory
    currency: str
    amount: MoneyOut | None
    net_arr: MoneyOut | None = Field(
        description="amount for new business and expansion; amount - renewal_arr for renewals."
    )
    renewal_arr: MoneyOut | None
    renewal_loss_amount: MoneyOut | None
    renewal_forecast_category: RenewalForecastCategory | None
    close_date: date | None
    next_step: str | None
    next_step_at: datetime | None
    entry_use_case: EntryUseCase | None
    potential_seats: int | None
    proposal_sent_on: date | None
    signature_requested_on: date | None
    loss_reason: LossReason | None
    loss_details: str | None
    duplicate_of_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    bpm_stage: BpmStage | None
    lead_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    sales_accepted_at: datetime | None
    stage_entered_at: datetime
    closed_at: datetime | None
    custom: CustomOut
    created_at: datetime
    updated_at: datetime
    version: int
    owner: OwnerSummary | None = EXPANDED_OWNER
    account: AccountSummary | None = EXPANDED_ACCOUNT
    contact: ContactSummary | None = EXPANDED_CONTACT


class OpportunityPage(PageOf[Opportunity]):
    pass


class StageChange(RequestModel):
    """`to` is required; the rest as the move needs (section 7 of the contract)."""

    to: StageSlug
    reason: ReasonText | None = Field(
        None, description="Required to go backward, to unqualified and to reopen."
    )
    loss_reason: LossReason | None = Field(None, description="Required to go to lost.")
    loss_details: ReasonText | None = Field(None, description="Required with loss_reason `other`.")
    duplicate_of_id: uuid.UUID | None = Field(
        None, description="Required to go to duplicate: another opportunity you can see."
    )
    forecast_category: ClientForecastCategory | None = Field(
        None,
        description="Owner only, to an open stage: keeps this category instead of the new "
        "stage's default.",
    )
    close_date: date | None = Field(
        None,
        description="Only when closing (closed_won, lost, unqualified, duplicate): the day the "
        "deal closed, not after today. Without it, closing sets the close date to today "
        "(ENGAGE_TIMEZONE).",
    )


class HistoryEntry(ResponseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    field: HistoryField
    old: str | None = Field(description="The value before, as text (stage slug, amount, date).")
    new: str | None
    reason: str | None


class HistoryPage(PageOf[HistoryEntry]):
    pass


@dataclass(frozen=True)
class OpportunityFilters(ListFilters):
    """`GET /opportunities`'s filters; `q` holds the search's prefix query once parsed."""

    owner_id: tuple[uuid.UUID, ...] | None = None
    account_id: tuple[uuid.UUID, ...] | None = None
    stage: tuple[str, ...] | None = None
    type: tuple[str, ...] | None = None
    forecast_category: tuple[str, ...] | None = None
    close_date_from: date | None = None
    close_date_to: date | None = None
    updated_after: datetime | None = None
    q: str | None = None
