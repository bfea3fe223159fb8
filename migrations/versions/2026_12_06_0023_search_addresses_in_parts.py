"""search vectors index emails and domains only in parts

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 00:23:00.000000+00:00

Migration 0016 indexed each email and domain whole as well as split at its dots and at-sign.
The whole addresses are a million distinct lexemes, and a prefix search ("ada" finds Ada)
walked every one starting with its prefix: 300 ms over the bench's million leads. The parts
find every address as well. A generated column's expression cannot be altered in place
(PostgreSQL 15): the columns and their GIN indexes are made again.
"""

from collections.abc import Callable
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, coalesce({expression}, '')), '{weight}')"


def _parts(column: str) -> str:
    return _words(f"translate({column}, '@.', '  ')", "C")


def _whole_and_parts(column: str) -> str:
    return _words(f"{column} || ' ' || translate({column}, '@.', '  ')", "C")


_FULL_NAME = "coalesce(first_name, '') || ' ' || coalesce(last_name, '')"


def _documents(address: Callable[[str], str]) -> dict[str, str]:
    """Each table's document, with its email or domain indexed by `address`."""
    return {
        "accounts": f"{_words('name', 'A')} || {address('domain')}",
        "contacts": f"{_words(_FULL_NAME, 'A')} || {address('email')}",
        "leads": f"{_words(_FULL_NAME, 'A')} || {_words('company', 'B')} || {address('email')}",
    }


def _rebuild(documents: dict[str, str]) -> None:
    for table, document in documents.items():
        op.drop_index(f"ix_{table}_search_vector", table_name=table)
        op.drop_column(table, "search_vector")
        op.add_column(
            table,
            sa.Column(
                "search_vector",
                postgresql.TSVECTOR(),
                sa.Computed(document, persisted=True),
                nullable=True,
            ),
        )
        op.create_index(
            f"ix_{table}_search_vector", table, ["search_vector"], postgresql_using="gin"
        )


def upgrade() -> None:
    _rebuild(_documents(_parts))


def downgrade() -> None:
    _rebuild(_documents(_whole_and_parts))
