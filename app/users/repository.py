"""SQL for users (who sees whom: API.md sections 2 and 10) and their API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import fetch_first
from app.core.json_sql import json_object
from app.core.repository import Repository
from app.core.repository import columns
from app.core.schemas import own_fields
from app.core.security import Principal
from app.core.sql import in_array
from app.core.text_search import matches
from app.core.text_search import text_vector
from app.core.visibility import Viewer
from app.core.visibility import is_manager_of
from app.core.visibility import subtree_ids
from app.core.visibility import user_in_scope
from app.core.visibility import user_visible
from app.models import ApiToken
from app.models import User
from app.users.schemas import User as UserOut
from app.users.schemas import UserFilters

# A name and an email, the email also in parts (`ada.berg@x.io` -> ada, berg, x, io).
_USER_DOCUMENT = User.name + " " + User.email + " " + func.translate(User.email, "@.", "  ")

# Built once: every API request runs it, and building a select costs more than running it.
_PRINCIPAL = (
    select(
        User.id,
        User.email,
        User.name,
        User.role,
        User.manager_id,
        User.source,
        ApiToken.id,
        ApiToken.expires_at,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > func.now()),
        User.active.is_(True),
    )
)


# `GET /me`, the read every client starts with: PostgreSQL writes the document, and it runs on
# the driver connection (`app.core.driver`).
_OWN_DOCUMENT = select(
    User.version, json_object(UserOut, columns(User, *own_fields(UserOut)))
).where(User.id == bindparam("user_id"))


async def own_document(session: AsyncSession, user_id: uuid.UUID) -> tuple[int, str] | None:
    """(version, the user as response JSON)."""
    row = await fetch_first(session, _OWN_DOCUMENT, {"user_id": user_id})
    return None if row is None else (row[0], row[1])


async def load_principal(session: AsyncSession, token_hash: bytes) -> Principal | None:
    """The active user behind a live token, in one query (on the session's connection: the
    ORM session's execution layer would cost more than the query here)."""
    connection = await session.connection()
    row = (await connection.execute(_PRINCIPAL, {"token_hash": token_hash})).first()
    if row is None:
        return None
    return Principal(*row)


class UserRepository(Repository[User]):
    model = User
    endpoint = "users"
    sort_columns = {"created_at": User.created_at, "email": User.email, "name": User.name}
    filter_columns = {"role": User.role, "manager_id": User.manager_id, "active": User.active}

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        """The directory: admins every user, managers and reps every active human user."""
        return user_visible(viewer)

    def conditions(self, filters: UserFilters) -> Iterable[ColumnElement[bool]]:
        if filters.q:
            # Few rows: the document is built on the fly, with the matcher search uses.
            yield matches(text_vector(_USER_DOCUMENT), filters.q)

    async def check_owner_filter(
        self, viewer: Viewer, owner_ids: Iterable[object] | None, field: str = "query.owner_id"
    ) -> None:
        """Owners named in a list filter must be in the caller's scope (the reports' rule, not
        the directory's: a manager's subtree, a rep themselves)."""
        if owner_ids:  # the rule is built only for a filter given
            await self.check_filter(viewer, owner_ids, field, user_in_scope(viewer))

    async def get_in_scope(self, viewer: Viewer, user_id: uuid.UUID) -> User | None:
        """The user if their work is the caller's to see: admins anyone, managers their
        subtree, others themselves (reports and quotas are scoped so, not by the directory)."""
        user: User | None = await self.session.scalar(
            select(User).where(User.id == user_id, user_in_scope(viewer))
        )
        return user

    async def lock_active_admins(self) -> list[uuid.UUID]:
        """Lock every active admin (in id order, so concurrent changes queue instead of
        deadlocking) and return their ids: the last one must stay."""
        rows = await self.session.scalars(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
        return list(rows)

    async def get_managed(self, viewer: Viewer, user_id: uuid.UUID) -> User | None:
        """The user if the caller manages them: admins anyone, managers their subtree."""
        user: User | None = await self.session.scalar(
            select(User).where(User.id == user_id, is_manager_of(viewer, User.id))
        )
        return user

    async def with_email(self, email: str, except_id: uuid.UUID | None = None) -> uuid.UUID | None:
        stmt = select(User.id).where(func.lower(User.email) == email.lower())
        if except_id is not None:
            stmt = stmt.where(User.id != except_id)
        return await self.session.scalar(stmt)

    async def with_source(self, source: str) -> uuid.UUID | None:
        return await self.session.scalar(select(User.id).where(User.source == source))

    async def in_subtree(self, root_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Whether `user_id` is `root_id` or below it (used to refuse manager cycles)."""
        found = await self.session.scalar(
            select(func.count()).where(subtree_ids(root_id).subquery().c.id == user_id)
        )
        return bool(found)

    async def by_ids(
        self, ids: Iterable[uuid.UUID], viewer: Viewer | None = None
    ) -> dict[uuid.UUID, User]:
        """The users of `ids` (those in `viewer`'s scope, when given), by id."""
        return await self._by_ids(ids, true() if viewer is None else user_in_scope(viewer))

    async def listed(self, ids: Iterable[uuid.UUID], viewer: Viewer) -> dict[uuid.UUID, User]:
        """The users of `ids` that `viewer` finds in the directory, by id."""
        return await self._by_ids(ids, self.visible(viewer))

    async def _by_ids(
        self, ids: Iterable[uuid.UUID], visible: ColumnElement[bool]
    ) -> dict[uuid.UUID, User]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        users = await self.session.scalars(select(User).where(in_array(User.id, wanted), visible))
        return {u.id: u for u in users}


class TokenRepository(Repository[ApiToken]):
    """API tokens: stored as a hash, listed oldest first."""

    model = ApiToken
    endpoint = "tokens"
    sort_columns = {"created_at": ApiToken.created_at}
    filter_columns = {"user_id": ApiToken.user_id}

    async def revoke_all_of(self, user_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            update(ApiToken)
            .where(in_array(ApiToken.user_id, user_ids), ApiToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )

    async def revoke(self, token: ApiToken) -> None:
        if token.revoked_at is None:
            await self.session.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=func.now())
            )
