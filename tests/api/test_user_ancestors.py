"""`engage_subtree` reads `user_ancestors`, which triggers on `users` keep (migration 0030):
after every kind of change to the manager tree it answers what walking the tree answers."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# What `engage_subtree` answered before the table: a walk down the tree.
WALKED = text(
    """
    WITH RECURSIVE tree AS (
        SELECT u.id FROM users u WHERE u.id = :root
        UNION
        SELECT c.id FROM users c JOIN tree t ON c.manager_id = t.id
    )
    SELECT id FROM tree
    """
)
READ = text("SELECT id FROM engage_subtree(:root)")
ADD = text(
    "INSERT INTO users (id, email, name, role, manager_id) "
    "SELECT id, 'tree-' || id || '@example.com', 'Tree', 'manager', manager_id "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:managers AS uuid[])) AS v(id, manager_id)"
)


async def subtree(session: AsyncSession, root: uuid.UUID) -> set[uuid.UUID]:
    read = set((await session.scalars(READ, {"root": root})).all())
    assert read == set((await session.scalars(WALKED, {"root": root})).all())
    return read


async def test_a_subtree_follows_every_change_to_the_tree(session: AsyncSession) -> None:
    vp, east, west, rep, newcomer = (uuid.uuid4() for _ in range(5))
    # One statement adds a manager's reports before the manager: each user's rows are found
    # by walking up once the statement's rows are all there.
    await session.execute(ADD, {"ids": [rep, east, west, vp], "managers": [east, vp, vp, None]})
    assert await subtree(session, vp) == {vp, east, west, rep}
    assert await subtree(session, east) == {east, rep}
    assert await subtree(session, rep) == {rep}

    # Added later, under an existing manager.
    await session.execute(ADD, {"ids": [newcomer], "managers": [rep]})
    assert await subtree(session, east) == {east, rep, newcomer}
    assert await subtree(session, vp) == {vp, east, west, rep, newcomer}

    # A move takes the user's own reports along.
    await session.execute(
        text("UPDATE users SET manager_id = :west WHERE id = :rep"), {"west": west, "rep": rep}
    )
    assert await subtree(session, east) == {east}
    assert await subtree(session, west) == {west, rep, newcomer}
    assert await subtree(session, vp) == {vp, east, west, rep, newcomer}

    # Leaving the tree, and leaving Engage.
    await session.execute(text("UPDATE users SET manager_id = NULL WHERE id = :rep"), {"rep": rep})
    assert await subtree(session, vp) == {vp, east, west}
    assert await subtree(session, rep) == {rep, newcomer}
    await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": newcomer})
    assert await subtree(session, rep) == {rep}
    assert (
        await session.scalar(
            text("SELECT count(*) FROM user_ancestors WHERE :id IN (user_id, ancestor_id)"),
            {"id": newcomer},
        )
        == 0
    )


async def test_a_subtree_is_one_index_range(session: AsyncSession) -> None:
    """No walk of the tree at query time: the plan reads the table's primary key."""
    explain = text("EXPLAIN SELECT * FROM engage_subtree(CAST(:root AS uuid))")
    plan = "\n".join(await session.scalars(explain, {"root": uuid.uuid4()}))
    assert "user_ancestors" in plan and "Recursive" not in plan, plan
