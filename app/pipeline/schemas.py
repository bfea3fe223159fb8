"""Response and request shapes for the pipeline summary, hygiene and waterfall."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from app.core.enums import OpenStageSlug
from app.core.schemas import MoneyOut
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.pipeline.hygiene import FLAGS

# --- summary ------------------------------------------------------------------------------


class StageTotal(ResponseModel):
    stage: OpenStageSlug
    count: int
    arr: MoneyOut


class CoverageTarget(ResponseModel):
    low: float = Field(description="2.5: the seed's lower bound of pipeline coverage.")
    high: float = Field(description="3.0: the seed's upper bound of pipeline coverage.")


class PipelineSummary(ResponseModel):
    period: str
    owner_id: uuid.UUID
    currency: str
    stages: list[StageTotal] = Field(description="Stages 1-6 in order, each always present.")
    pipeline_arr: MoneyOut = Field(description="Measure of the open opportunities in stages 1-6.")
    closed_won: MoneyOut
    net_closed: MoneyOut = Field(description="closed_won - realised_renewal_loss.")
    quota: MoneyOut | None = Field(description="Effective quota of the period; null when none.")
    coverage: float | None = Field(
        description="pipeline_arr / (quota - net_closed), 4 places; null without a quota or when "
        "the quota is attained."
    )
    coverage_of_quota: float | None = Field(description="pipeline_arr / quota, 4 places.")
    quota_attained: bool | None = Field(
        description="True when net_closed >= quota; null without a quota."
    )
    coverage_target: CoverageTarget


# --- hygiene ------------------------------------------------------------------------------


class HygieneSettings(ResponseModel):
    stuck_in_stage_days: int
    pending_acceptance_days: int
    command_plan_stale_days: int
    version: int


class HygieneSettingsUpdate(RequestModel):
    stuck_in_stage_days: int = Field(ge=1, le=3650)
    pending_acceptance_days: int = Field(ge=1, le=3650)
    command_plan_stale_days: int = Field(ge=1, le=3650)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"version"})


class HygieneItem(ResponseModel):
    opportunity_id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    stage: str
    flags: list[str] = Field(
        description="Hygiene flags; clients tolerate new values.",
        json_schema_extra={"items": {"type": "string", "x-extensible-enum": list(FLAGS)}},
    )
    reasons: list[str] = Field(description="Each flag in words, in the order of `flags`.")


class HygienePage(ResponseModel):
    average_sales_cycle_days: float = Field(
        description="Mean days from sales acceptance (else creation) to close over the won "
        "opportunities of the last 365 days; 90 when there are fewer than five."
    )
    won_deals_averaged: int = Field(
        description="How many won opportunities the average is taken over (0 when it is the "
        "default)."
    )
    items: list[HygieneItem]
    next_cursor: str | None


# --- waterfall ----------------------------------------------------------------------------


class Flow(ResponseModel):
    count: int
    arr: MoneyOut


class Waterfall(ResponseModel):
    period: str
    since: datetime
    owner_id: uuid.UUID
    currency: str
    starting: Flow = Field(description="Open and in the period at `since`, at its arr then.")
    created: Flow = Field(
        description="Entered the period's pipeline without having been open then: created after "
        "`since` or reopened; at its arr now."
    )
    pulled_in: Flow = Field(
        description="Open at `since` with a close date outside the period, now in it; arr now."
    )
    pushed_out: Flow = Field(
        description="Was in the period's pipeline, still open but its close date now outside it."
    )
    increased: Flow = Field(description="In the period at `since` and its arr grew since.")
    decreased: Flow = Field(description="In the period at `since` and its arr shrank since.")
    won: Flow = Field(description="Was in the period's pipeline, closed won now; arr now.")
    lost: Flow = Field(
        description="Was in the period's pipeline, lost, unqualified or duplicate now; arr now."
    )
    ending: Flow = Field(description="Open and in the period now, at its arr now.")
