"""Tokens (random, stored hashed) and the authenticated principal with its role checks."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import Any

from fastapi import Depends
from fastapi import Request

from app.core.errors import Forbidden
from app.core.errors import Unauthenticated

TOKEN_PREFIX = "eng_"


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    email: str
    name: str
    role: str
    manager_id: uuid.UUID | None
    source: str | None
    token_id: uuid.UUID
    # When the token stops working by itself (a cached principal is not kept beyond it).
    token_expires_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def new_token() -> tuple[str, bytes, str]:
    """A fresh token (32 random bytes), its stored hash and a displayable prefix."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token), token[: len(TOKEN_PREFIX) + 6]


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def current_principal(request: Request) -> Principal:
    """The caller, authenticated by the request middleware; 401 without a valid token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated(
            getattr(request.state, "auth_error", None) or "A bearer token is required."
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """403 decided from role and operation alone, before any lookup."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)  # called, not a nested dependency
        if principal.role not in allowed:
            raise Forbidden(f"The {principal.role} role may not do this.")
        return principal

    return dependency


HUMANS = ("admin", "manager", "rep")
AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]
HumanPrincipal = Annotated[Principal, Depends(require_roles(*HUMANS))]
ManagerPrincipal = Annotated[Principal, Depends(require_roles("admin", "manager"))]
