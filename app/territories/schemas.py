"""Request and response shapes for territories, their extended team, strategic plans and
transfers (API.md sections 3 and 14), and the territories' list filters and sorts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import Field
from pydantic import StringConstraints
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from app.core.enums import ActivityType
from app.core.enums import Segment
from app.core.enums import TeamRole
from app.core.enums import Vertical
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Description
from app.core.schemas import FreeSentence
from app.core.schemas import Moment
from app.core.schemas import Name
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str200
from app.core.schemas import Str500

NEXT_CURSOR = Field(description="Pass as `cursor` for the next page; null at the end.")


# --- territories -------------------------------------------------------------------------


class TerritoryCreate(RequestModel):
    name: Name
    owner_id: uuid.UUID = Field(
        description="A rep or manager; a manager may name only users of their subtree."
    )
    segment: Segment
    region: Str200 | None = None
    description: Description | None = None


class TerritoryUpdate(RequestModel):
    """JSON Merge Patch. The owner may not change `owner_id` or `segment` (403)."""

    name: Name | None = None
    owner_id: uuid.UUID | None = None
    segment: Segment | None = None
    region: Str200 | None = None
    description: Description | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"name", "owner_id", "segment"})


class Territory(ResponseModel):
    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    segment: Segment
    region: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class TerritoryPage(ResponseModel):
    items: list[Territory]
    next_cursor: str | None = NEXT_CURSOR


class TerritoryTransfer(RequestModel):
    owner_id: uuid.UUID = Field(
        description="The new owner: an active rep, manager or admin; a manager may name only "
        "users of their subtree (else 422 `not_found`, as for `owner_id` on create)."
    )
    reason: Annotated[Str500, StringConstraints(min_length=1)] = Field(
        description="Why: recorded with each moved opportunity's `owner_id` in its history."
    )
    open_opportunities: bool = Field(
        True,
        description="Move the open opportunities of the territory's accounts held by the old "
        "owner.",
    )
    open_leads: bool = Field(
        True, description="Move the open leads of the territory's accounts held by the old owner."
    )


class TransferMoved(ResponseModel):
    opportunities: int = Field(description="Open opportunities that changed owner.")
    leads: int = Field(description="Open leads that changed owner.")


class TransferResult(ResponseModel):
    territory: Territory = Field(description="The territory with its new owner.")
    moved: TransferMoved


@dataclass(frozen=True)
class TerritoryFilters(ListFilters):
    owner_id: AnyOf[uuid.UUID] = None
    segment: AnyOf[Segment] = None
    updated_after: Moment | None = None


TERRITORY_SORTS = SortChoices("created_at", "name", "updated_at")


class TeamMemberIn(RequestModel):
    user_id: uuid.UUID | None = Field(
        None,
        description="An Engage user; a new one must be visible to you (users already on the "
        "team may stay). Team members see the territory.",
    )
    name: Name | None = Field(None, description="Someone without an Engage account.")
    role: TeamRole

    @model_validator(mode="after")
    def _someone(self) -> TeamMemberIn:
        if self.user_id is None and self.name is None:
            raise PydanticCustomError("required", "Give the member's `user_id` or `name`.")
        return self


class TeamReplace(RequestModel):
    members: list[TeamMemberIn] = Field(max_length=100)


class TeamMember(ResponseModel):
    user_id: uuid.UUID | None
    name: str = Field(description="The user's current name for members with a `user_id`.")
    role: TeamRole


class Team(ResponseModel):
    territory_id: uuid.UUID
    members: list[TeamMember]
    version: int


# --- plans -------------------------------------------------------------------------------


class Tactic(RequestModel):
    activity_type: ActivityType
    description: FreeSentence


class TacticOut(ResponseModel):
    activity_type: ActivityType
    description: str


class PlanCreate(RequestModel):
    vertical: Vertical = Field(description="One plan per vertical and territory (409 otherwise).")
    objectives: list[FreeSentence] = Field(default_factory=list, max_length=50)
    tactics: list[Tactic] = Field(default_factory=list, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"territory_id"})


class PlanUpdate(RequestModel):
    """JSON Merge Patch; `objectives` and `tactics` replace."""

    vertical: Vertical | None = None
    objectives: list[FreeSentence] | None = Field(None, max_length=50)
    tactics: list[Tactic] | None = Field(None, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"territory_id"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"vertical", "objectives", "tactics"})


class Plan(ResponseModel):
    id: uuid.UUID
    territory_id: uuid.UUID
    vertical: Vertical
    objectives: list[str]
    tactics: list[TacticOut]
    created_at: datetime
    updated_at: datetime
    version: int


class PlanPage(ResponseModel):
    items: list[Plan]
    next_cursor: str | None = NEXT_CURSOR


@dataclass(frozen=True)
class PlanFilters(ListFilters):
    territory_id: uuid.UUID  # the path's territory
    vertical: AnyOf[Vertical] = None
    updated_after: datetime | None = None
