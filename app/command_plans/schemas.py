"""Request and response shapes of command plans, their revisions and reviews."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StringConstraints

from app.core.enums import MeddppiccElement
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str200
from app.core.schemas import Text


class PersonRef(ResponseModel):
    contact_id: uuid.UUID | None = Field(description="A contact of the opportunity's account.")
    notes: str | None


class Overview(ResponseModel):
    why_do_anything: str | None
    why_now: str | None
    why_us: str | None
    primary_value_driver: str | None
    required_capabilities: str | None


class Meddppicc(ResponseModel):
    metrics: str | None
    economic_buyer: PersonRef
    decision_criteria: str | None
    decision_process: str | None
    paper_process: str | None
    partners: str | None = Field(description="Say so when there are none: that counts as filled.")
    identify_pain: str | None
    champion: PersonRef
    competition: str | None


class CloseStep(ResponseModel):
    id: uuid.UUID
    description: str
    due_on: date | None
    owner: str | None
    done: bool


class Completeness(ResponseModel):
    score: float = Field(description="Filled MEDDPPICC elements / 9, rounded to 4 places.")
    missing: list[MeddppiccElement]


class CommandPlan(ResponseModel):
    opportunity_id: uuid.UUID
    overview: Overview
    meddppicc: Meddppicc
    close_plan: list[CloseStep]
    risks: str | None
    help_needed: str | None
    completeness: Completeness
    created_at: datetime
    updated_at: datetime
    updated_by: uuid.UUID | None
    version: int


class PersonRefPatch(RequestModel):
    contact_id: uuid.UUID | None = None
    notes: Text | None = None


class OverviewPatch(RequestModel):
    why_do_anything: Text | None = None
    why_now: Text | None = None
    why_us: Text | None = None
    primary_value_driver: Text | None = None
    required_capabilities: Text | None = None


class MeddppiccPatch(RequestModel):
    metrics: Text | None = None
    economic_buyer: PersonRefPatch | None = None
    decision_criteria: Text | None = None
    decision_process: Text | None = None
    paper_process: Text | None = None
    partners: Text | None = None
    identify_pain: Text | None = None
    champion: PersonRefPatch | None = None
    competition: Text | None = None


class CloseStepIn(BaseModel):
    """A close-plan step; unlike other request objects it may carry its own `id`."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(None, description="Kept when given; assigned when missing.")
    description: Name
    due_on: date | None = None
    owner: Str200 | None = None
    done: bool = False


class CommandPlanUpdate(RequestModel):
    """JSON Merge Patch: objects merge, `close_plan` replaces the whole list."""

    overview: OverviewPatch | None = None
    meddppicc: MeddppiccPatch | None = None
    close_plan: Annotated[list[CloseStepIn], Field(max_length=100)] | None = None
    risks: Text | None = None
    help_needed: Text | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"opportunity_id", "completeness", "updated_by"}
    )


class CommandPlanRevision(ResponseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    fields: list[str] = Field(description="Dotted names of what changed, e.g. `meddppicc.metrics`.")


class CommandPlanRevisionPage(PageOf[CommandPlanRevision]):
    pass


class ReviewCreate(RequestModel):
    notes: Annotated[Text, StringConstraints(min_length=1, pattern=r"\S")]


class Review(ResponseModel):
    id: uuid.UUID
    opportunity_id: uuid.UUID
    at: datetime
    reviewer_id: uuid.UUID
    notes: str


class ReviewPage(PageOf[Review]):
    pass
