"""Request and response shapes for leads, batches, touches, the cadence policy and follow-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Literal
from typing import get_args

from fastapi import Query
from pydantic import AfterValidator
from pydantic import Field
from pydantic import StringConstraints
from pydantic import WithJsonSchema
from pydantic_core import PydanticCustomError

from app.accounts.schemas import Account
from app.contacts.schemas import Contact
from app.core.enums import BpmStage
from app.core.enums import LeadStatus
from app.core.enums import PersonaSlug
from app.core.enums import TouchChannel
from app.core.enums import TouchDirection
from app.core.expand import EXPANDED_ACCOUNT
from app.core.expand import EXPANDED_OWNER
from app.core.expand import AccountSummary
from app.core.expand import OwnerSummary
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import SINGLE_LINE
from app.core.schemas import CustomIn
from app.core.schemas import CustomOut
from app.core.schemas import Email
from app.core.schemas import Moment
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str100
from app.core.schemas import Str200
from app.core.schemas import Str500
from app.core.schemas import Text
from app.core.text_search import SearchText
from app.leads.opportunity import ConvertOpportunitySpec
from app.leads.rules import NEXT_ACTIONS
from app.leads.rules import normalize_domain
from app.opportunities.schemas import Opportunity

UNASSIGNED = "none"  # `owner_id=none` on GET /leads: leads without an owner

# `converted` is reached only through POST /leads/{id}/convert.
WritableLeadStatus = Literal["new", "working", "nurture", "disqualified"]


def _domain(value: str) -> str:
    normalized = normalize_domain(value)
    if normalized is None:
        raise PydanticCustomError(
            "invalid_domain", "Not a domain name (e.g. `example.com`, scheme and path are dropped)."
        )
    return normalized


Domain = Annotated[
    str,
    StringConstraints(min_length=1, max_length=253),
    AfterValidator(_domain),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 253,
            "example": "example.com",
            "description": "Lower-cased; a scheme, `www.` and any path are dropped.",
        }
    ),
]
# Text in query parameters: no control characters (PostgreSQL refuses NUL).

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")
]
Phone = Annotated[str, StringConstraints(max_length=50, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]

LEAD_SERVER_FIELDS = frozenset(
    {
        "source",
        "first_response_at",
        "last_touch_at",
        "touch_count",
        "converted_at",
        "converted_contact_id",
        "converted_opportunity_id",
    }
)


class LeadFields(RequestModel):
    """Fields a client may write on a lead (all optional here)."""

    activity_id: uuid.UUID | None = Field(
        None, description="The engagement activity that produced the lead (visible to you)."
    )
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    title: Str200 | None = None
    phone: Phone | None = None
    company: Str200 | None = None
    domain: Domain | None = Field(
        None, description="Derived from `email` unless given; routes the lead to an account."
    )
    account_id: uuid.UUID | None = Field(
        None, description="Defaults to the account whose `domain` matches (routing)."
    )
    persona: PersonaSlug | None = None
    bpm_stage: BpmStage | None = None
    inbound: bool | None = Field(None, description="The lead reached out to us (default false).")
    status: WritableLeadStatus | None = Field(
        None,
        description="Default `new`. `converted` only via `POST /leads/{id}/convert`; "
        "`disqualified` needs `disqualify_reason`.",
    )
    owner_id: uuid.UUID | None = Field(
        None,
        description="Defaults to the routed account's territory owner, else the creating user "
        "(unassigned for integrations). Setting it needs a manager of the new owner, or admin.",
    )
    disqualify_reason: Str500 | None = None
    received_at: Moment | None = Field(
        None,
        description="Defaults to now; an earlier time is accepted, a future one (more than five "
        "minutes ahead of the server's clock) is not.",
    )
    custom: CustomIn | None = None

    read_only_fields: ClassVar[frozenset[str]] = LEAD_SERVER_FIELDS


class LeadCreate(LeadFields):
    """A new lead. Also the shape of each `POST /leads/batch` item and of a CSV row."""

    email: Email
    external_id: ExternalId | None = Field(
        None, description="The integration's own id; unique per `source`."
    )


class LeadUpdate(LeadFields):
    """JSON Merge Patch of a lead."""

    email: Email | None = None
    external_id: ExternalId | None = None

    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"email", "status", "inbound", "received_at"}
    )


class LeadUpsert(LeadFields):
    """`PUT /leads/external/{external_id}`: `email` is needed to create; an update writes only
    the fields sent and never `status`, `owner_id` or `account_id`."""

    email: Email | None = None

    read_only_fields: ClassVar[frozenset[str]] = LEAD_SERVER_FIELDS | {"external_id"}
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"email", "status", "inbound", "received_at"}
    )


class Lead(ResponseModel):
    id: uuid.UUID
    source: str = Field(description="The integration's `source` slug, or `manual`.")
    external_id: str | None
    activity_id: uuid.UUID | None
    email: str
    first_name: str | None
    last_name: str | None
    title: str | None
    phone: str | None
    company: str | None
    domain: str | None
    account_id: uuid.UUID | None
    persona: PersonaSlug | None
    bpm_stage: BpmStage | None
    inbound: bool
    status: LeadStatus
    owner_id: uuid.UUID | None
    disqualify_reason: str | None
    received_at: datetime
    first_response_at: datetime | None
    last_touch_at: datetime | None
    touch_count: int
    converted_at: datetime | None
    converted_contact_id: uuid.UUID | None
    converted_opportunity_id: uuid.UUID | None
    custom: CustomOut
    created_at: datetime
    updated_at: datetime
    version: int
    owner: OwnerSummary | None = EXPANDED_OWNER
    account: AccountSummary | None = EXPANDED_ACCOUNT


class LeadPage(PageOf[Lead]):
    pass


@dataclass(frozen=True)
class LeadFilters(ListFilters):
    status: AnyOf[LeadStatus] = None
    # `none` selects unassigned leads (API.md section 10).
    owner_id: AnyOf[uuid.UUID | Literal["none"]] = None
    account_id: AnyOf[uuid.UUID] = None
    activity_id: AnyOf[uuid.UUID] = None
    persona: AnyOf[PersonaSlug] = None
    inbound: bool | None = None
    q: SearchText = None
    created_after: Moment | None = None
    updated_after: Moment | None = None


LEAD_SORTS = SortChoices("created_at", "updated_at", "received_at")


# ---- batch and CSV import -------------------------------------------------------------------

MAX_BATCH_ITEMS = 1000
OnDuplicate = Literal["skip", "merge"]


class LeadBatch(RequestModel):
    items: list[Any] = Field(
        min_length=1,
        description="1-1000 leads (each shaped as `LeadCreate`), validated one by one: an "
        "invalid item is reported in its result and never fails the others. More than 1000 "
        "answers 413.",
        json_schema_extra={
            "maxItems": MAX_BATCH_ITEMS,
            "items": {"$ref": "#/components/schemas/LeadCreate"},
        },
    )
    on_duplicate: OnDuplicate = Field(
        "skip",
        description="For an item whose email matches an open lead: `skip` reports it as "
        "`duplicate`; `merge` fills only that lead's empty fields and reports `merged`.",
    )


class ItemProblem(ResponseModel):
    field: str = Field(description="Dotted path inside the item, e.g. `email`.")
    code: str
    message: str


BatchStatus = Literal["created", "updated", "duplicate", "merged", "invalid"]
BATCH_STATUSES: tuple[BatchStatus, ...] = get_args(BatchStatus)


class BatchItemResult(ResponseModel):
    index: int = Field(description="The item's position (0-based); for CSV the data row (1-based).")
    status: BatchStatus
    id: uuid.UUID | None = Field(description="The new or existing lead; null when invalid.")
    errors: list[ItemProblem] = Field(description="Why the item is invalid; empty otherwise.")


class BatchCounts(ResponseModel):
    created: int
    updated: int
    duplicate: int
    merged: int
    invalid: int


class BatchResult(ResponseModel):
    results: list[BatchItemResult]
    counts: BatchCounts


# ---- touches --------------------------------------------------------------------------------


class TouchCreate(RequestModel):
    channel: TouchChannel
    direction: TouchDirection
    occurred_at: Moment | None = Field(
        None, description="Defaults to now; a future time is refused."
    )
    content_ref: Str500 | None = Field(
        None,
        description="The resource sent (e.g. a Use Case GTM asset URL); follow-up flags a "
        "`content_ref` sent twice.",
    )
    summary: Text | None = None
    breakup: bool = Field(False, description="The sales breakup email (outbound only).")


class Touch(ResponseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    channel: TouchChannel
    direction: TouchDirection
    occurred_at: datetime
    content_ref: str | None
    summary: str | None
    breakup: bool
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class TouchPage(PageOf[Touch]):
    pass


@dataclass(frozen=True)
class TouchFilters(ListFilters):
    lead_id: uuid.UUID | None = None


TOUCH_SORTS = SortChoices("occurred_at")


# ---- cadence policy and follow-up -----------------------------------------------------------

CADENCE_DEFAULTS: dict[str, int] = {
    "inbound_response_hours": 24,
    "touches_per_month": 8,
    "min_channels": 3,
    "breakup_after_days": 30,
}


class CadenceUpdate(RequestModel):
    """The whole policy (PUT replaces it)."""

    inbound_response_hours: int = Field(ge=1, le=720)
    touches_per_month: int = Field(ge=1, le=100)
    min_channels: int = Field(ge=1, le=6)
    breakup_after_days: int = Field(ge=1, le=365)


class CadencePolicy(ResponseModel):
    inbound_response_hours: int
    touches_per_month: int
    min_channels: int
    breakup_after_days: int
    version: int


class FollowUpLead(ResponseModel):
    id: uuid.UUID = Field(description="The lead's id.")
    first_name: str | None = Field(description="The lead's first name.")
    last_name: str | None = Field(description="The lead's last name.")
    email: str = Field(description="The lead's email.")
    company: str | None = Field(description="The lead's company.")
    status: LeadStatus = Field(description="The lead's status (an open one).")


class FollowUpItem(ResponseModel):
    lead_id: uuid.UUID
    owner_id: uuid.UUID | None
    lead: FollowUpLead = Field(description="Who to follow up: the lead's name, email, company.")
    response_overdue: bool = Field(
        description="Inbound, no outbound touch yet, and more than `inbound_response_hours` "
        "since `received_at`."
    )
    touches_last_30_days: int = Field(
        description="Outbound touches (those the lead received) today and the 29 days before, "
        "in ENGAGE_TIMEZONE."
    )
    channels_last_30_days: int = Field(description="Distinct channels of those outbound touches.")
    repeated_content: bool = Field(
        description="Some `content_ref` was sent to this lead more than once."
    )
    stale_days: int = Field(
        description="Whole days since the last touch (since `received_at` without one)."
    )
    next_action: str = Field(
        description="The first that applies: `respond`, `send_breakup_email`, `touch`, "
        "`vary_channel`, `new_content`, `none`. Clients tolerate new values.",
        json_schema_extra={"x-extensible-enum": list(NEXT_ACTIONS)},
    )
    due_at: datetime | None = Field(
        description="When `next_action` falls due: `respond` `inbound_response_hours` after "
        "`received_at`; `touch` and `vary_channel` 30 days / `touches_per_month` after the last "
        "touch (after `received_at` without one); `send_breakup_email` and `new_content` now; "
        "null for `none`. Past means overdue."
    )
    owner: OwnerSummary | None = EXPANDED_OWNER


class FollowUpPage(PageOf[FollowUpItem]):
    pass


@dataclass(frozen=True)
class FollowUpFilters(ListFilters):
    owner_id: AnyOf[uuid.UUID] = None
    next_action: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=SINGLE_LINE,
            json_schema_extra={"x-extensible-enum": list(NEXT_ACTIONS)},
        ),
    ] = None


FOLLOW_UP_SORTS = SortChoices("due_at", "received_at", "stale_days")


# ---- conversion -----------------------------------------------------------------------------


class ConvertRequest(RequestModel):
    account_id: uuid.UUID | None = Field(
        None,
        description="Convert into this account (visible to you) when the lead has none; a lead "
        "routed to another account answers 422.",
    )
    territory_id: uuid.UUID | None = Field(
        None,
        description="Where to create the account when neither the lead nor `account_id` names "
        "one and no account has the lead's domain; default: the lead owner's only territory.",
    )
    create_opportunity: bool = Field(
        description="Open a `pending_acceptance` opportunity; needs the lead's latest "
        "qualification to pass authority, initiative and fit."
    )
    opportunity: ConvertOpportunitySpec | None = Field(
        None, description="Only with `create_opportunity: true`."
    )


class ConvertResult(ResponseModel):
    contact: Contact
    account: Account
    opportunity: Opportunity | None = Field(
        description="The opportunity created (the same representation as "
        "`GET /opportunities/{id}`); null unless one was created."
    )
    lead: Lead = Field(description="The lead, now `converted`.")
