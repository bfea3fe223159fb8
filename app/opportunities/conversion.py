"""The opportunity half of a lead conversion (`POST /leads/{id}/convert`, API.md section 5).

The lead conversion service calls `open_from_lead` inside its transaction when the request
asks for an opportunity; a failure here rolls the whole conversion back.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import field_error
from app.core.schemas import MoneyIn, MoneyOut, Name, RequestModel, ResponseModel
from app.core.security import Principal
from app.models import Account, Contact, Lead, Opportunity
from app.models.enums import STAGE_SLUGS

OpportunityType = Literal["new_business", "expansion", "renewal"]
StageSlug = Literal[
    "pending_acceptance",
    "discovery",
    "scoping",
    "technical_evaluation",
    "proposal",
    "negotiating",
    "awaiting_signature",
    "closed_won",
    "lost",
    "unqualified",
    "duplicate",
]
assert set(StageSlug.__args__) == set(STAGE_SLUGS)  # type: ignore[attr-defined]


class ConvertOpportunitySpec(RequestModel):
    """What the opportunity created by a conversion starts with; every field optional."""

    name: Name | None = Field(None, description="Defaults to the account's name and the lead's.")
    type: OpportunityType | None = Field(None, description="Defaults to `new_business`.")
    amount: MoneyIn | None = None
    close_date: date | None = None


class ConvertedOpportunity(ResponseModel):
    """The opportunity a conversion opened (stage `pending_acceptance`)."""

    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    contact_id: uuid.UUID | None
    owner_id: uuid.UUID
    type: OpportunityType
    stage: StageSlug
    amount: MoneyOut | None
    close_date: date | None
    version: int


async def open_from_lead(
    session: AsyncSession,
    principal: Principal,
    *,
    lead: Lead,
    contact: Contact,
    account: Account,
    spec: ConvertOpportunitySpec | None,
) -> Opportunity:
    """Open a `pending_acceptance` opportunity for a converted lead.

    Raises ValidationFailed listing the failed qualification criteria when the lead's latest
    qualification does not pass authority, initiative and fit.
    """
    raise field_error(
        "create_opportunity",
        "unavailable",
        "Opening an opportunity from a lead is not available yet; convert without one.",
    )
