"""Count the SQL statements a block sends (one statement per page, whatever its size)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection


@contextmanager
def statements(connection: AsyncConnection) -> Iterator[list[str]]:
    """Every SQL statement sent on the test's connection while the block runs: those SQLAlchemy
    executes (its events) and those run on the driver connection directly (`app.core.driver`;
    asyncpg's query logger, which SQLAlchemy's prepared statements do not reach)."""
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    def logged(record: Any) -> None:
        seen.append(record.query)

    sync = connection.sync_connection
    assert sync is not None
    driver = sync.connection.driver_connection
    event.listen(sync, "before_cursor_execute", listener)
    driver.add_query_logger(logged)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", listener)
        driver.remove_query_logger(logged)


def work(seen: list[str]) -> list[str]:
    """The statements a request ran, without the savepoints the test harness wraps it in."""
    return [s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
