"""`leads.created_by` names an existing user (migration 0025): checked once per INSERT
statement, for a change of creator, and when a creator would be deleted, with the error a
foreign key gives."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_user

_INSERT = text(
    "INSERT INTO leads (source, email, created_by) "
    "SELECT 'api', 'lead-' || n || '@creators.example', creator "
    "FROM unnest(CAST(:creators AS uuid[])) WITH ORDINALITY AS c(creator, n)"
)


def _violation(exc: IntegrityError) -> asyncpg.PostgresError:
    cause = exc.orig.__cause__  # type: ignore[union-attr]
    assert isinstance(cause, asyncpg.ForeignKeyViolationError)
    assert cause.constraint_name == "fk_leads_created_by_users"
    return cause


async def test_one_statement_of_many_leads_by_existing_creators_is_stored(
    session: AsyncSession,
) -> None:
    one, two = await make_user(session, "rep"), await make_user(session, "integration")
    await session.execute(_INSERT, {"creators": [one.id] * 3 + [two.id]})
    count = await session.scalar(
        text("SELECT count(*) FROM leads WHERE email LIKE '%@creators.example'")
    )
    assert count == 4


async def test_a_statement_naming_an_unknown_creator_stores_nothing(
    session: AsyncSession,
) -> None:
    one = await make_user(session, "rep")
    unknown = uuid.uuid4()
    with pytest.raises(IntegrityError) as raised:
        async with session.begin_nested():
            await session.execute(_INSERT, {"creators": [one.id, unknown, one.id]})
    assert str(unknown) in (_violation(raised.value).detail or "")
    count = await session.scalar(
        text("SELECT count(*) FROM leads WHERE email LIKE '%@creators.example'")
    )
    assert count == 0


async def test_changing_a_creator_to_an_unknown_user_is_refused(session: AsyncSession) -> None:
    one = await make_user(session, "rep")
    await session.execute(_INSERT, {"creators": [one.id]})
    with pytest.raises(IntegrityError) as raised:
        async with session.begin_nested():
            await session.execute(
                text("UPDATE leads SET created_by = :u WHERE email LIKE '%@creators.example'"),
                {"u": uuid.uuid4()},
            )
    _violation(raised.value)
    other = await make_user(session, "rep")
    await session.execute(
        text("UPDATE leads SET created_by = :u WHERE email LIKE '%@creators.example'"),
        {"u": other.id},
    )


async def test_a_user_who_created_leads_cannot_be_deleted_or_renumbered(
    session: AsyncSession,
) -> None:
    creator, bystander = await make_user(session, "integration"), await make_user(session, "rep")
    await session.execute(_INSERT, {"creators": [creator.id]})
    for statement in (
        "DELETE FROM users WHERE id = :u",
        "UPDATE users SET id = :new WHERE id = :u",
    ):
        with pytest.raises(IntegrityError) as raised:
            async with session.begin_nested():
                await session.execute(
                    text("DELETE FROM api_tokens WHERE user_id = :u"), {"u": creator.id}
                )
                await session.execute(text(statement), {"u": creator.id, "new": uuid.uuid4()})
        _violation(raised.value)
    await session.execute(text("DELETE FROM api_tokens WHERE user_id = :u"), {"u": bystander.id})
    await session.execute(text("DELETE FROM users WHERE id = :u"), {"u": bystander.id})
