"""Request and response shapes for users and tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import AfterValidator
from pydantic import Field
from pydantic import StringConstraints
from pydantic_core import PydanticCustomError

from app.core.enums import MANUAL_SOURCE
from app.core.enums import Role
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Email
from app.core.schemas import Moment
from app.core.schemas import Name
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.text_search import SearchText


def _not_manual(value: str) -> str:
    """`manual` is the source of every lead a person enters; no integration may take it."""
    if value == MANUAL_SOURCE:
        raise PydanticCustomError("reserved", "`manual` is reserved for leads people enter.")
    return value


SourceSlug = Annotated[
    str,
    StringConstraints(max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$"),
    AfterValidator(_not_manual),
]


class UserCreate(RequestModel):
    email: Email
    name: Name
    role: Role
    manager_id: uuid.UUID | None = None
    source: SourceSlug | None = Field(
        None, description="Required for `integration` users, refused for others; immutable."
    )
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"active"})


class UserUpdate(RequestModel):
    """JSON Merge Patch. Admins may change every field but `source`; a user their own `name`."""

    email: Email | None = None
    name: Name | None = None
    role: Role | None = None
    manager_id: uuid.UUID | None = None
    active: bool | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"source"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"email", "name", "role", "active"})


class User(ResponseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    manager_id: uuid.UUID | None
    source: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class TokenCreate(RequestModel):
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")
    ] = "api"
    expires_at: Moment | None = Field(None, description="Optional expiry; must be in the future.")


class TokenCreated(ResponseModel):
    id: uuid.UUID
    name: str
    token: str | None = Field(
        description="Shown only in this response; store it now. Null when this is an "
        "idempotent replay (`Idempotent-Replayed: true`): the raw token is never stored."
    )
    prefix: str
    expires_at: datetime | None
    created_at: datetime


class Token(ResponseModel):
    id: uuid.UUID
    name: str
    prefix: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class UserPage(PageOf[User]):
    pass


@dataclass(frozen=True)
class UserFilters(ListFilters):
    role: AnyOf[Role] = None
    q: SearchText = None
    active: bool | None = None
    manager_id: AnyOf[uuid.UUID] = None
    updated_after: Moment | None = None


USER_SORTS = SortChoices("created_at", "email", "name")


@dataclass(frozen=True)
class TokenFilters(ListFilters):
    user_id: uuid.UUID  # the path's user


class TokenPage(PageOf[Token]):
    pass
