"""Request and response shapes of a qualification (API.md section 6)."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime
from pydantic import Field
from pydantic import JsonValue

from app.core.enums import EntryUseCase
from app.core.enums import InitiativeDriver
from app.core.enums import InitiativeKind
from app.core.enums import Involvement
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str100
from app.core.schemas import Text

REASONS: list[JsonValue] = [
    "involved_as_evaluator",
    "involved_as_decision_maker",
    "involved_as_technical_buyer",
    "involved_as_influencer",
    "no_involvement",
    "top_2_priority_with_driver",
    "top_2_priority_without_driver",
    "small_box_commercial",
    "small_box_not_commercial",
    "segment_unknown",
    "no_initiative",
    "entry_use_case_and_seats",
    "no_entry_use_case",
    "no_potential_seats",
    "next_step_within_60_days",
    "next_step_before_meeting",
    "next_step_beyond_60_days",
]


class AuthorityIn(RequestModel):
    involvement: Involvement


class InitiativeIn(RequestModel):
    kind: InitiativeKind
    driver: InitiativeDriver | None = Field(None, description="What makes it a top-2 priority.")
    description: Text | None = None


class FitIn(RequestModel):
    current_tools: Annotated[list[Str100], Field(max_length=50)] = Field(default_factory=list)
    entry_use_case: EntryUseCase | None = None
    potential_seats: Annotated[int, Field(ge=0, le=10_000_000)] | None = None


class TimingIn(RequestModel):
    meeting_on: date = Field(description="The day of the qualifying meeting.")
    next_step_at: AwareDatetime = Field(
        description="The agreed next step; its date (in ENGAGE_TIMEZONE) must be within 60 "
        "days of meeting_on."
    )


class QualificationCreate(RequestModel):
    authority: AuthorityIn
    initiative: InitiativeIn
    fit: FitIn
    timing: TimingIn


class Authority(ResponseModel):
    involvement: Involvement


class Initiative(ResponseModel):
    kind: InitiativeKind
    driver: InitiativeDriver | None
    description: str | None


class Fit(ResponseModel):
    current_tools: list[str]
    entry_use_case: EntryUseCase | None
    potential_seats: int | None


class Timing(ResponseModel):
    meeting_on: date
    next_step_at: datetime


class QualificationInputs(ResponseModel):
    authority: Authority
    initiative: Initiative
    fit: Fit
    timing: Timing


class Criterion(ResponseModel):
    passed: bool
    reason: str = Field(json_schema_extra={"x-extensible-enum": REASONS})


class Criteria(ResponseModel):
    authority: Criterion
    initiative: Criterion
    fit: Criterion
    timing: Criterion


class Qualification(ResponseModel):
    id: uuid.UUID
    lead_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    qualified: bool = Field(description="All four criteria passed.")
    criteria: Criteria
    inputs: QualificationInputs
    evaluated_at: datetime
    evaluated_by: uuid.UUID
