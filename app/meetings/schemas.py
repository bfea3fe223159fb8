"""Request and response shapes of meetings (call plans)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import Field
from pydantic import StringConstraints

from app.core.enums import PersonaSlug
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Moment
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str500
from app.core.schemas import Text

Line = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
Lines = Annotated[list[Line], Field(max_length=50)]


class AgendaItem(ResponseModel):
    topic: str
    questions: list[str]
    statements: list[str]
    case_study: str | None


class Research(ResponseModel):
    crm: str | None
    linkedin: str | None
    website: str | None


class Meeting(ResponseModel):
    id: uuid.UUID
    lead_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    scheduled_at: datetime
    persona: PersonaSlug | None
    attendee_contact_ids: list[uuid.UUID]
    objectives: list[str]
    pre_call_questions: list[str]
    agenda: list[AgendaItem]
    research: Research
    agenda_sent_at: datetime | None
    outcome: str | None
    next_step_at: datetime | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


class MeetingPage(PageOf[Meeting]):
    pass


class AgendaItemIn(RequestModel):
    topic: Name
    questions: Lines = Field(default_factory=list)
    statements: Lines = Field(default_factory=list)
    case_study: Str500 | None = None


class ResearchIn(RequestModel):
    crm: Text | None = None
    linkedin: Text | None = None
    website: Text | None = None


AttendeeIds = Annotated[list[uuid.UUID], Field(max_length=50)]
Agenda = Annotated[list[AgendaItemIn], Field(max_length=50)]
Objectives = Annotated[list[Str500], Field(max_length=50)]
Questions = Annotated[list[Line], Field(max_length=100)]


class MeetingCreate(RequestModel):
    """A call plan for a lead or for an opportunity: exactly one of the two (422 otherwise)."""

    lead_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    scheduled_at: Moment
    persona: PersonaSlug | None = None
    attendee_contact_ids: AttendeeIds = Field(
        default_factory=list,
        description="Contacts of the same account (the opportunity's, or the lead's).",
    )
    objectives: Objectives = Field(default_factory=list)
    pre_call_questions: Questions = Field(default_factory=list)
    agenda: Agenda = Field(default_factory=list)
    research: ResearchIn | None = None
    agenda_sent_at: Moment | None = None
    outcome: Text | None = None
    next_step_at: Moment | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"created_by"})


class MeetingUpdate(RequestModel):
    """JSON Merge Patch: `research` merges, lists replace; the lead or opportunity is fixed."""

    scheduled_at: Moment | None = None
    persona: PersonaSlug | None = None
    attendee_contact_ids: AttendeeIds | None = None
    objectives: Objectives | None = None
    pre_call_questions: Questions | None = None
    agenda: Agenda | None = None
    research: ResearchIn | None = None
    agenda_sent_at: Moment | None = None
    outcome: Text | None = None
    next_step_at: Moment | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"created_by", "lead_id", "opportunity_id"}
    )
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"scheduled_at", "attendee_contact_ids", "objectives", "pre_call_questions", "agenda"}
    )


MEETING_SORTS = SortChoices("scheduled_at", "updated_at")


@dataclass(frozen=True)
class MeetingFilters(ListFilters):
    lead_id: AnyOf[uuid.UUID] = None
    opportunity_id: AnyOf[uuid.UUID] = None
    scheduled_from: Moment | None = None
    scheduled_to: Moment | None = None
    updated_after: Moment | None = None
