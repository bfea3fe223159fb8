"""Authentication: the `Authorization` header to the caller (a `Principal`) or the reason there
is none. The look-up is every API request's first statement when it runs, so a pooled
connection that died (a PostgreSQL restart, a proxy's idle timeout) fails here, before anything
was written, and the query is retried once on a fresh connection."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal, bearer_token, hash_token

log = logging.getLogger("engage")

LoadPrincipal = Callable[[AsyncSession, bytes], Awaitable[Principal | None]]


@dataclass(frozen=True)
class Identity:
    principal: Principal | None
    error: str | None = None


ANONYMOUS = Identity(None)


class Authenticator:
    def __init__(self, load: LoadPrincipal) -> None:
        self._load = load

    async def identify(self, session: AsyncSession, authorization: str | None) -> Identity:
        token = bearer_token(authorization)
        if token is None:
            if authorization:
                return Identity(None, "Use the Bearer scheme: `Authorization: Bearer <token>`.")
            return ANONYMOUS
        principal = await self._principal(session, hash_token(token))
        if principal is None:
            return Identity(None, "The token is invalid, expired or revoked.")
        return Identity(principal)

    async def _principal(self, session: AsyncSession, token_hash: bytes) -> Principal | None:
        try:
            return await self._load(session, token_hash)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying on a new one: %s", exc.orig)
            await session.rollback()
            return await self._load(session, token_hash)
