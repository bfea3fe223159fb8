"""Request and response shapes for the meeting-preparation reference data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import Field
from pydantic import StringConstraints

from app.core.enums import BpmStage
from app.core.enums import MeddppiccElement
from app.core.enums import PersonaSlug
from app.core.pagination import ListFilters
from app.core.query_lists import AnyOf
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str500

Question = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$"
    ),
]
ItemText = Annotated[Str500, StringConstraints(min_length=1)]
ItemList = Annotated[list[ItemText], Field(min_length=1, max_length=20)]


class Persona(ResponseModel):
    slug: PersonaSlug
    name: str
    objectives: list[str]
    obstacles: list[str]
    metrics: list[str]
    created_at: datetime
    updated_at: datetime
    version: int


class PersonaUpdate(RequestModel):
    """JSON Merge Patch (admin); the lists replace the stored ones."""

    name: Name | None = None
    objectives: ItemList | None = None
    obstacles: ItemList | None = None
    metrics: ItemList | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"slug"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"name", "objectives", "obstacles", "metrics"}
    )


class PersonaPage(PageOf[Persona]):
    pass


class DiscoveryQuestion(ResponseModel):
    id: uuid.UUID
    element: MeddppiccElement
    persona: PersonaSlug | None = Field(description="null: a question for any persona.")
    question: str
    created_at: datetime
    updated_at: datetime
    version: int


class DiscoveryQuestionCreate(RequestModel):
    element: MeddppiccElement
    persona: PersonaSlug | None = None
    question: Question


class DiscoveryQuestionUpdate(RequestModel):
    """JSON Merge Patch (admin); `persona: null` makes the question fit any persona."""

    element: MeddppiccElement | None = None
    persona: PersonaSlug | None = None
    question: Question | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"element", "question"})


class DiscoveryQuestionPage(PageOf[DiscoveryQuestion]):
    pass


class BuyerProcessStage(ResponseModel):
    slug: BpmStage
    number: int
    name: str
    buyer_actions: list[str]
    created_at: datetime
    updated_at: datetime
    version: int


class BuyerProcessStageUpdate(RequestModel):
    """JSON Merge Patch (admin); `buyer_actions` replaces the stored list."""

    name: Name | None = None
    buyer_actions: ItemList | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"slug", "number"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"name", "buyer_actions"})


class BuyerProcessStagePage(PageOf[BuyerProcessStage]):
    pass


@dataclass(frozen=True)
class QuestionFilters(ListFilters):
    element: AnyOf[MeddppiccElement] = None
    persona: AnyOf[PersonaSlug] = None
