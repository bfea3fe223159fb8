"""/me, /users, /users/{id}/tokens and /tokens/{id}."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.core.enums import Role
from app.core.errors import Forbidden
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.schemas import Moment
from app.core.security import AdminPrincipal, CurrentPrincipal
from app.core.session import Session
from app.users import repository, service
from app.users.schemas import (
    Token,
    TokenCreate,
    TokenCreated,
    TokenPage,
    User,
    UserCreate,
    UserPage,
    UserUpdate,
)

router = APIRouter(tags=["users"])


@router.get("/me", operation_id="me-get", response_model=User)
async def me(principal: CurrentPrincipal, session: Session, response: Response) -> User:
    user = await service.get_user(session, principal, principal.id)
    set_etag(response, user.version)
    return User.model_validate(user)


@router.post(
    "/users",
    operation_id="users-create",
    status_code=201,
    response_model=User,
    dependencies=[Idempotent],
)
async def create_user(
    body: UserCreate, principal: AdminPrincipal, session: Session, response: Response
) -> User:
    user = await service.create_user(session, principal, body)
    set_created(response, f"/api/v1/users/{user.id}", user.version)
    return User.model_validate(user)


@router.get(
    "/users",
    operation_id="users-list",
    response_model=UserPage,
    description="Admins list every user, managers their subtree. Sort: `created_at` (default), "
    "`email`, `name`, `-` for descending.",
)
async def list_users(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    role: Role | None = None,
    active: bool | None = None,
    manager_id: uuid.UUID | None = None,
    updated_after: Moment | None = None,
    sort: Annotated[
        Literal["created_at", "-created_at", "email", "-email", "name", "-name"], Query()
    ] = "created_at",
) -> UserPage:
    if principal.role not in ("admin", "manager"):
        raise Forbidden("Only admins and managers list users.")
    filters = {
        "role": role,
        "active": active,
        "manager_id": manager_id,
        "updated_after": updated_after,
    }
    rows, cursor = await repository.list_page(session, principal, page, filters, sort)
    return UserPage(items=[User.model_validate(u) for u in rows], next_cursor=cursor)


@router.get("/users/{user_id}", operation_id="users-get", response_model=User)
async def get_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> User:
    user = await service.get_user(session, principal, user_id)
    set_etag(response, user.version)
    return User.model_validate(user)


@router.patch("/users/{user_id}", operation_id="users-update", response_model=User)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> User:
    user = await service.update_user(session, principal, user_id, body, if_match)
    set_etag(response, user.version)
    return User.model_validate(user)


@router.post(
    "/users/{user_id}/tokens",
    operation_id="users-tokens-create",
    status_code=201,
    response_model=TokenCreated,
    dependencies=[Idempotent],
)
async def create_token(
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    body: TokenCreate | None = None,
) -> TokenCreated:
    record, token = await service.create_token(session, principal, user_id, body or TokenCreate())
    response.headers["Location"] = f"/api/v1/users/{user_id}/tokens"
    return TokenCreated(
        id=record.id,
        name=record.name,
        token=token,
        prefix=record.prefix,
        expires_at=record.expires_at,
        created_at=record.created_at,
    )


@router.get("/users/{user_id}/tokens", operation_id="users-tokens-list", response_model=TokenPage)
async def list_tokens(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: Session, page: Page
) -> TokenPage:
    rows, cursor = await service.list_tokens(session, principal, user_id, page)
    return TokenPage(items=[Token.model_validate(t) for t in rows], next_cursor=cursor)


@router.delete("/tokens/{token_id}", operation_id="tokens-revoke", status_code=204)
async def revoke_token(
    token_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> Response:
    await service.revoke_token(session, principal, token_id)
    return Response(status_code=204)
