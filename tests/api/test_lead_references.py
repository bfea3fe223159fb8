"""What a lead names (its creator, owner, account and activity) exists, as foreign keys would
make sure, though they are checked once per INSERT statement (migrations 0025 and 0027): an
INSERT naming an unknown row stores nothing, a change to an unknown row is refused, and a
named row cannot be deleted or renumbered; each with the error and the constraint name a
foreign key gives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Account
from app.models import Activity
from app.models import Territory
from tests.factories import make_user


@dataclass(frozen=True)
class Reference:
    column: str
    table: str

    @property
    def constraint(self) -> str:
        return f"fk_leads_{self.column}_{self.table}"


REFERENCES = [
    Reference("created_by", "users"),
    Reference("owner_id", "users"),
    Reference("account_id", "accounts"),
    Reference("activity_id", "activities"),
]
_IDS = [r.column for r in REFERENCES]


@pytest.fixture(params=REFERENCES, ids=_IDS)
def reference(request: pytest.FixtureRequest) -> Reference:
    """Each test below runs once per reference."""
    value: Reference = request.param
    return value


@pytest.fixture
async def named(session: AsyncSession) -> dict[str, uuid.UUID]:
    return await _rows(session)


async def _rows(session: AsyncSession) -> dict[str, uuid.UUID]:
    """A fresh row of each referenced table, named by the column that names it."""
    owner = await make_user(session, "rep")
    creator = await make_user(session, "integration")
    # The territory's owner, who also creates the activity: only leads name `owner`.
    holder = await make_user(session, "rep")
    territory = Territory(name="References", owner_id=holder.id, segment="enterprise")
    session.add(territory)
    await session.flush()
    tag = uuid.uuid4().hex[:8]
    account = Account(
        territory_id=territory.id,
        name="Referenced",
        domain=f"referenced-{tag}.example",
        vertical="financial_services",
        account_type="customer",
    )
    activity = Activity(
        territory_id=territory.id, type="trade_show", name="Referenced", created_by=holder.id
    )
    session.add_all([account, activity])
    await session.flush()
    return {
        "created_by": creator.id,
        "owner_id": owner.id,
        "account_id": account.id,
        "activity_id": activity.id,
    }


async def _insert(session: AsyncSession, rows: list[dict[str, uuid.UUID]]) -> None:
    """One INSERT statement of len(rows) leads, each naming what its row gives."""
    await session.execute(
        text(
            "INSERT INTO leads (source, email, created_by, owner_id, account_id, activity_id) "
            "SELECT 'api', 'lead-' || n || '@references.example', c, o, a, t "
            "FROM unnest(CAST(:c AS uuid[]), CAST(:o AS uuid[]), CAST(:a AS uuid[]), "
            "CAST(:t AS uuid[])) WITH ORDINALITY AS v(c, o, a, t, n)"
        ),
        {key: [row.get(column) for row in rows] for key, column in zip("coat", _IDS, strict=True)},
    )


async def _stored(session: AsyncSession) -> int:
    count = await session.scalar(
        text("SELECT count(*) FROM leads WHERE email LIKE '%@references.example'")
    )
    return int(count or 0)


def _violation(exc: IntegrityError, reference: Reference) -> asyncpg.PostgresError:
    cause = exc.orig.__cause__  # type: ignore[union-attr]
    assert isinstance(cause, asyncpg.ForeignKeyViolationError)
    assert cause.constraint_name == reference.constraint
    return cause


async def test_one_statement_of_many_leads_naming_existing_rows_is_stored(
    session: AsyncSession, named: dict[str, uuid.UUID]
) -> None:
    other = await _rows(session)
    creator_only = {"created_by": named["created_by"]}
    await _insert(session, [named, named, other, creator_only])
    assert await _stored(session) == 4


async def test_a_statement_naming_an_unknown_row_stores_nothing(
    session: AsyncSession, reference: Reference, named: dict[str, uuid.UUID]
) -> None:
    unknown = uuid.uuid4()
    with pytest.raises(IntegrityError) as raised:
        async with session.begin_nested():
            await _insert(session, [named, {**named, reference.column: unknown}, named])
    cause = _violation(raised.value, reference)
    assert cause.detail == (
        f'Key ({reference.column})=({unknown}) is not present in table "{reference.table}".'
    )
    assert await _stored(session) == 0


async def test_changing_a_reference_to_an_unknown_row_is_refused(
    session: AsyncSession, reference: Reference, named: dict[str, uuid.UUID]
) -> None:
    await _insert(session, [named])
    change = text(
        f"UPDATE leads SET {reference.column} = :v WHERE email LIKE '%@references.example'"
    )
    with pytest.raises(IntegrityError) as raised:
        async with session.begin_nested():
            await session.execute(change, {"v": uuid.uuid4()})
    _violation(raised.value, reference)
    other = await _rows(session)
    await session.execute(change, {"v": other[reference.column]})


async def test_a_named_row_cannot_be_deleted_or_renumbered(
    session: AsyncSession, reference: Reference, named: dict[str, uuid.UUID]
) -> None:
    await _insert(session, [named])
    bystander = (await _rows(session))[reference.column]
    tokens = text("DELETE FROM api_tokens WHERE user_id = :u")
    for statement in (
        f"DELETE FROM {reference.table} WHERE id = :u",
        f"UPDATE {reference.table} SET id = :new WHERE id = :u",
    ):
        with pytest.raises(IntegrityError) as raised:
            async with session.begin_nested():
                await session.execute(tokens, {"u": named[reference.column]})
                await session.execute(
                    text(statement), {"u": named[reference.column], "new": uuid.uuid4()}
                )
        cause = _violation(raised.value, reference)
        assert "is still referenced from table" in (cause.detail or "")
    await session.execute(tokens, {"u": bystander})
    await session.execute(text(f"DELETE FROM {reference.table} WHERE id = :u"), {"u": bystander})


async def test_one_statement_may_delete_the_leads_and_the_row_they_named(
    session: AsyncSession, reference: Reference, named: dict[str, uuid.UUID]
) -> None:
    """Checked at the end of the statement, as a foreign key's NO ACTION is."""
    await _insert(session, [named])
    await session.execute(
        text("DELETE FROM api_tokens WHERE user_id = :u"), {"u": named[reference.column]}
    )
    await session.execute(
        text(
            "WITH gone AS (DELETE FROM leads WHERE email LIKE '%@references.example') "
            f"DELETE FROM {reference.table} WHERE id = :u"
        ),
        {"u": named[reference.column]},
    )
    assert await _stored(session) == 0


async def test_inserting_leads_queues_no_trigger_per_row(session: AsyncSession) -> None:
    """A foreign key is a row-level trigger queued for every inserted lead (3,000 for a
    1000-lead batch with three of them); leads have none, and one statement trigger checks
    what they name."""
    row_triggers = await session.scalars(
        text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'leads'::regclass "
            "AND tgtype & 1 = 1 AND tgtype & 4 = 4"  # FOR EACH ROW, on INSERT
        )
    )
    assert list(row_triggers) == []
    foreign_keys = await session.scalars(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'leads'::regclass AND contype = 'f'"
        )
    )
    assert list(foreign_keys) == []
