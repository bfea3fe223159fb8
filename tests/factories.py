"""Small async factories: they flush into the test's transaction, never commit for real."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import new_token
from app.models import ApiToken
from app.models import User


@dataclass
class Actor:
    user: User
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    session: AsyncSession,
    role: str = "rep",
    manager: User | None = None,
    source: str | None = None,
    name: str | None = None,
) -> Actor:
    tag = uuid.uuid4().hex[:8]
    if role == "integration" and source is None:
        source = f"src-{tag}"
    user = User(
        email=f"{role}-{tag}@example.com",
        name=name or f"{role.title()} {tag}",
        role=role,
        manager_id=manager.id if manager else None,
        source=source,
    )
    session.add(user)
    await session.flush()
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=user.id, name="test", token_hash=digest, prefix=prefix))
    await session.flush()
    await session.refresh(user)
    return Actor(user, token)


@dataclass
class Actors:
    admin: Actor
    vp: Actor
    manager: Actor
    rep: Actor
    rep2: Actor
    other_manager: Actor
    peer_rep: Actor
    integration: Actor


async def make_actors(session: AsyncSession) -> Actors:
    admin = await make_user(session, "admin")
    vp = await make_user(session, "manager", admin.user)
    manager = await make_user(session, "manager", vp.user)
    rep = await make_user(session, "rep", manager.user)
    rep2 = await make_user(session, "rep", manager.user)
    other_manager = await make_user(session, "manager", vp.user)
    peer_rep = await make_user(session, "rep", other_manager.user)
    integration = await make_user(session, "integration")
    return Actors(admin, vp, manager, rep, rep2, other_manager, peer_rep, integration)
