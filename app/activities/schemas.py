"""Request and response shapes for engagement activities and their performance (API.md
section 4), and the activities' list filters and sorts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from app.accounts.schemas import NEXT_CURSOR
from app.accounts.schemas import PartnerOut
from app.core.enums import ActivityStatus
from app.core.enums import ActivityType
from app.core.enums import PartnerKind
from app.core.enums import Vertical
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Moment
from app.core.schemas import MoneyOut
from app.core.schemas import Name
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel


class ActivityPartner(RequestModel):
    kind: PartnerKind
    name: Name


class ActivityPartnerPatch(RequestModel):
    kind: PartnerKind | None = None
    name: Name | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"kind", "name"})


class ActivityCreate(RequestModel):
    territory_id: uuid.UUID
    type: ActivityType
    name: Name
    starts_on: date | None = None
    ends_on: date | None = Field(None, description="On or after `starts_on`.")
    vertical: Vertical | None = None
    account_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="Accounts of the activity's territory."
    )
    partner: ActivityPartner | None = Field(
        None, description="Required for `cloud_partner`, `si_partner`, `reseller` and `oem`."
    )
    status: ActivityStatus = ActivityStatus.PLANNED
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"created_by"})


class ActivityUpdate(RequestModel):
    """JSON Merge Patch: `partner` merges, `account_ids` replaces."""

    territory_id: uuid.UUID | None = None
    type: ActivityType | None = None
    name: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    vertical: Vertical | None = None
    account_ids: list[uuid.UUID] | None = Field(None, max_length=500)
    partner: ActivityPartnerPatch | None = None
    status: ActivityStatus | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"created_by"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"territory_id", "type", "name", "account_ids", "status"}
    )


class Activity(ResponseModel):
    id: uuid.UUID
    territory_id: uuid.UUID
    type: ActivityType
    name: str
    starts_on: date | None
    ends_on: date | None
    vertical: Vertical | None
    account_ids: list[uuid.UUID]
    partner: PartnerOut | None
    status: ActivityStatus
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


class ActivityPage(ResponseModel):
    items: list[Activity]
    next_cursor: str | None = NEXT_CURSOR


@dataclass(frozen=True)
class ActivityFilters(ListFilters):
    territory_id: AnyOf[uuid.UUID] = None
    type: AnyOf[ActivityType] = None
    status: AnyOf[ActivityStatus] = None
    vertical: AnyOf[Vertical] = None
    account_id: AnyOf[uuid.UUID] = None
    starts_from: date | None = None
    starts_to: date | None = None
    updated_after: Moment | None = None


ACTIVITY_SORTS = SortChoices("created_at", "name", "updated_at")


class ActivityPerformance(ResponseModel):
    activity_id: uuid.UUID
    leads: int = Field(description="Leads whose `activity_id` is this activity.")
    contacts: int = Field(description="Contacts converted from those leads.")
    opportunities: int = Field(description="Opportunities whose `activity_id` is this activity.")
    sales_accepted: int = Field(description="Of those, the ones that reached stage 1.")
    open_pipeline_arr: MoneyOut = Field(description="Amount of those in stages 1-6.")
    won_arr: MoneyOut = Field(description="Amount of those closed won.")
    currency: str
