"""Two integrations posting the same person at the same instant get one lead: the partial
unique index decides between two real, concurrently committed transactions."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import make_user

EMAIL = "race@concurrent.example"


async def test_two_concurrent_creates_of_one_email_give_one_201_and_one_409(
    engine: AsyncEngine,
) -> None:
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    async with factory() as s:
        first = await make_user(s, "integration")
        second = await make_user(s, "integration")
        await s.commit()
    users = [first.id, second.id]
    app = create_app(settings_for_tests(), session_factory=factory)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
            responses = await asyncio.gather(
                client.post("/api/v1/leads", json={"email": EMAIL}, headers=first.headers),
                client.post("/api/v1/leads", json={"email": EMAIL.upper()}, headers=second.headers),
            )
        by_status = {r.status_code: r for r in responses}
        assert sorted(by_status) == [201, 409], [r.text for r in responses]
        assert by_status[409].json()["existing_id"] == by_status[201].json()["id"]
        async with factory() as s:
            count = await s.scalar(
                text("SELECT count(*) FROM leads WHERE lower(email) = :e"), {"e": EMAIL}
            )
        assert count == 1
    finally:
        async with factory() as s:
            await s.execute(
                text(
                    "DELETE FROM webhook_deliveries WHERE event_id IN "
                    "(SELECT id FROM events WHERE actor_id = ANY(:u))"
                ),
                {"u": users},
            )
            await s.execute(text("DELETE FROM events WHERE actor_id = ANY(:u)"), {"u": users})
            await s.execute(text("DELETE FROM leads WHERE created_by = ANY(:u)"), {"u": users})
            await s.execute(
                text("DELETE FROM rate_limit_windows WHERE subject_id = ANY(:u)"),
                {"u": users},
            )
            await s.execute(text("DELETE FROM api_tokens WHERE user_id = ANY(:u)"), {"u": users})
            await s.execute(text("DELETE FROM users WHERE id = ANY(:u)"), {"u": users})
            await s.commit()
