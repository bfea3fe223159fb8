"""Shapes of `GET /search`."""

from __future__ import annotations

import uuid

from pydantic import Field

from app.core.enums import SearchType
from app.core.schemas import ResponseModel


class SearchHit(ResponseModel):
    type: SearchType = Field(description="What kind of record this is.")
    id: uuid.UUID = Field(description="The record's id (read it at `/api/v1/{type}s/{id}`).")
    title: str = Field(
        description="The record's name: an account's or opportunity's name, a person's full "
        "name (their email when they have no name)."
    )
    subtitle: str | None = Field(
        description="What tells two hits of one name apart: an account's domain, a contact's "
        "email and account, a lead's company and email, an opportunity's account."
    )
    score: float = Field(
        description="PostgreSQL's `ts_rank` of the match (higher first), rounded to 4 places: "
        "a word in the name weighs more than one in a company, account, email or domain."
    )


class SearchPage(ResponseModel):
    items: list[SearchHit]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
