"""/me, /users, /users/{id}/tokens and /tokens/{id}."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi import Response

from app.core.http import etag
from app.core.http import json_document
from app.core.idempotency import Idempotent
from app.core.idempotency import shown_once
from app.core.routes import Resource
from app.core.security import AdminPrincipal
from app.core.security import CurrentPrincipal
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.users import service
from app.users.schemas import USER_SORTS
from app.users.schemas import TokenCreate
from app.users.schemas import TokenCreated
from app.users.schemas import TokenPage
from app.users.schemas import User
from app.users.schemas import UserCreate
from app.users.schemas import UserFilters
from app.users.schemas import UserPage
from app.users.schemas import UserUpdate

router = APIRouter(tags=["users"])
users = Resource(router, "/users", User, HumanPrincipal, name="user")


@router.get("/me", operation_id="me-get", response_model=User)
async def me(principal: CurrentPrincipal, session: Session) -> Response:
    version, document = await service.own_document(session, principal)
    return json_document(document, headers={"ETag": etag(version)})


users.create(service.create_user, UserCreate, principal=AdminPrincipal)


users.list(
    service.list_users,
    UserPage,
    filters=UserFilters,
    sorts=USER_SORTS,
    description="The directory: admins list every user; managers and reps every active human "
    "user (admin, manager, rep), the list a team-staffing screen or an owner picker needs. "
    "Integrations: 403. Filters: `role`, `manager_id`, `q` (words of the name or email, whole "
    "or as prefixes), `active` (admins only; 422 for others). Sort: `created_at` (default), "
    "`email`, `name`, `-` for descending.",
)


users.read(
    service.get_user,
    description="Admins read every user; managers and reps every active human user (and "
    "themselves); integrations 403 (they read themselves at `/me`).",
)


users.update(service.update_user, UserUpdate, principal=CurrentPrincipal)


@router.post(
    "/users/{user_id}/tokens",
    operation_id="users-tokens-create",
    status_code=201,
    response_model=TokenCreated,
    dependencies=[Idempotent, shown_once("token")],
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


users.children(
    "/tokens",
    service.list_tokens,
    TokenPage,
    name="list_tokens",
    operation_id="users-tokens-list",
    principal=CurrentPrincipal,
)


@router.delete("/tokens/{token_id}", operation_id="tokens-revoke", status_code=204)
async def revoke_token(
    token_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> Response:
    await service.revoke_token(session, principal, token_id)
    return Response(status_code=204)
