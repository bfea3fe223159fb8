"""Request and response shapes for custom field definitions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from fastapi import Depends
from fastapi import Request
from pydantic import Field
from pydantic import StringConstraints

from app.core.enums import CustomFieldObject
from app.core.enums import CustomFieldType
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str200
from app.models.custom_fields import KEY_PATTERN

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=40)]
Options = Annotated[
    list[Str200],
    Field(
        min_length=1,
        max_length=100,
        description="1 to 100 distinct strings; select and multi_select only.",
    ),
]


class CustomFieldCreate(RequestModel):
    object: CustomFieldObject
    key: Key = Field(description="Unique per object and immutable; the name in `custom`.")
    label: Name
    type: CustomFieldType
    options: Options | None = None
    required: bool = Field(False, description="Must be given on create; never null.")


class CustomFieldUpdate(RequestModel):
    """JSON Merge Patch: `label`, `options` (adding; removing one still in use: 409),
    `required`, `archived`. `object`, `key` and `type` are immutable (422 `read_only`)."""

    label: Name | None = None
    options: Options | None = None
    required: bool | None = None
    archived: bool | None = None

    read_only_fields: ClassVar[frozenset[str]] = frozenset({"object", "key", "type"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"label", "options", "required", "archived"}
    )


class CustomField(ResponseModel):
    id: uuid.UUID
    object: CustomFieldObject
    key: str
    label: str
    type: CustomFieldType
    options: list[str] | None
    required: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    version: int


class CustomFieldPage(PageOf[CustomField]):
    pass


@dataclass(frozen=True)
class CustomFieldFilters(ListFilters):
    object: AnyOf[CustomFieldObject] = None
    archived: bool | None = None


CUSTOM_FIELD_SORTS = SortChoices("created_at", "key")


async def custom_query(request: Request) -> dict[str, str]:
    """The `custom.<key>=<value>` query parameters of a list (not declared one by one: the keys
    are the admins' definitions)."""
    return {k: v for k, v in request.query_params.items() if k.startswith("custom.")}


CustomQuery = Annotated[dict[str, str], Depends(custom_query)]
CUSTOM_FILTER_HELP = (
    " `custom.<key>=<value>` filters on a custom field (exact; a comma list matches any; for "
    "a multi_select, records holding the option); keys as defined at `/api/v1/custom-fields`."
)
