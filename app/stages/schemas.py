"""Request and response shapes of the stage table (`/stages`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import Field
from pydantic import StringConstraints
from pydantic import WithJsonSchema

from app.core.enums import ForecastCategory
from app.core.enums import StageSlug
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.stages.rules import REQUIREMENT_CODES

RequirementCode = Annotated[
    str,
    StringConstraints(max_length=40),
    WithJsonSchema(
        {"type": "string", "maxLength": 40, "x-extensible-enum": list(REQUIREMENT_CODES)}
    ),
]
RequirementList = Annotated[list[RequirementCode], Field(max_length=30)]


class StageRequirements(ResponseModel):
    new_business: list[RequirementCode]
    expansion: list[RequirementCode]
    renewal: list[RequirementCode]


class Stage(ResponseModel):
    slug: StageSlug
    number: int
    name: str
    probability: int
    forecast_category: ForecastCategory
    terminal: bool
    requirements: StageRequirements
    created_at: datetime
    updated_at: datetime
    version: int


class StagePage(PageOf[Stage]):
    pass


class StageRequirementsUpdate(RequestModel):
    new_business: RequirementList | None = None
    expansion: RequirementList | None = None
    renewal: RequirementList | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"new_business", "expansion", "renewal"}
    )


class StageUpdate(RequestModel):
    """JSON Merge Patch (admin): probability, default forecast category, requirement codes.

    Opportunities already in the stage keep their probability and category until they move.
    """

    probability: Annotated[int, Field(ge=0, le=100)] | None = None
    forecast_category: ForecastCategory | None = Field(
        None, description="`closed` belongs to closed_won and only to it."
    )
    requirements: StageRequirementsUpdate | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"slug", "number", "name", "terminal"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"probability", "forecast_category", "requirements"}
    )
