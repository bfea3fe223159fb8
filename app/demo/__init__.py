"""`engage demo`: a small, realistic dataset, loaded through the services (never raw SQL)."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.models import User
from app.users import service as users_service
from app.users.schemas import TokenCreate
from app.users.schemas import UserCreate

DEMO_ADMIN = "admin@engage.example"


@dataclass
class DemoContext:
    """The demo's cast; domain loaders add what they create for the next ones to use."""

    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)

    def principal(self, key: str) -> Principal:
        u = self.users[key]
        return Principal(u.id, u.email, u.name, u.role, u.manager_id, u.source, u.id)


DemoLoader = Callable[[AsyncSession, DemoContext], Awaitable[None]]

CAST = [
    ("admin", "admin@engage.example", "Ada Admin", "admin", None, None),
    ("vp", "vp@engage.example", "Victor Vance", "manager", "admin", None),
    ("manager", "maria@engage.example", "Maria Manager", "manager", "vp", None),
    ("rep", "riley@engage.example", "Riley Rep", "rep", "manager", None),
    ("rep2", "sam@engage.example", "Sam Seller", "rep", "manager", None),
    ("rep3", "noor@engage.example", "Noor Najjar", "rep", "vp", None),
    ("marketo", "marketo@integrations.engage.example", "Marketo", "integration", None, "marketo"),
]


async def load_users(session: AsyncSession, ctx: DemoContext) -> None:
    for key, email, name, role, manager, source in CAST:
        manager_id = ctx.users[manager].id if manager else None
        ctx.users[key] = await users_service.create_user(
            session,
            None,
            UserCreate(email=email, name=name, role=role, manager_id=manager_id, source=source),
        )


def loaders() -> list[DemoLoader]:
    """In the order they build on each other; each domain appends its loader here."""
    from app.demo.custom_fields import load_custom_fields
    from app.demo.forecasts import load_forecasts
    from app.demo.leads import load_leads
    from app.demo.opportunities import load_opportunities
    from app.demo.records import load_records
    from app.demo.territories import load_territory

    # Forecasting backdates its own quarter of deals; the stage walk adds fresh ones after it.
    # Custom fields come last: they fill values on the leads and accounts made before.
    return [
        load_users,
        load_territory,
        load_leads,
        load_forecasts,
        load_opportunities,
        load_records,
        load_custom_fields,
    ]


async def load(session: AsyncSession) -> tuple[bool, str]:
    """Load the demo unless it is there already; returns (loaded, a fresh admin token)."""
    admin = await session.scalar(select(User).where(User.email == DEMO_ADMIN))
    loaded = admin is None
    if admin is None:
        ctx = DemoContext()
        for loader in loaders():
            await loader(session, ctx)
        admin = ctx.users["admin"]
    _, token = await users_service.create_token(session, None, admin.id, TokenCreate(name="demo"))
    return loaded, token
