"""full-text search: a stored tsvector and a GIN index on accounts, contacts, leads, opportunities

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 00:16:00.000000+00:00

API.md section 12. Accounts, contacts and leads get generated columns (the expressions of
app/models/search_documents.py as of this revision). An opportunity is found by its name and
its account's name, which a generated column cannot read: `engage_opportunity_document` builds
it, a trigger on opportunities keeps it on insert and on a change of name or account, and one
on accounts rewrites the opportunities of a renamed account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, coalesce({expression}, '')), '{weight}')"


def _address(column: str) -> str:
    return _words(f"{column} || ' ' || translate({column}, '@.', '  ')", "C")


_FULL_NAME = "coalesce(first_name, '') || ' ' || coalesce(last_name, '')"

DOCUMENTS = {
    "accounts": f"{_words('name', 'A')} || {_address('domain')}",
    "contacts": f"{_words(_FULL_NAME, 'A')} || {_address('email')}",
    "leads": f"{_words(_FULL_NAME, 'A')} || {_words('company', 'B')} || {_address('email')}",
}

FUNCTIONS = (
    f"""
CREATE FUNCTION engage_opportunity_document(name text, account_name text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT {_words("name", "A")} || {_words("account_name", "B")} $$""",
    """
CREATE FUNCTION engage_opportunity_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := engage_opportunity_document(
        NEW.name, (SELECT a.name FROM accounts a WHERE a.id = NEW.account_id));
    RETURN NEW;
END $$""",
    """
CREATE FUNCTION engage_account_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE opportunities SET search_vector = engage_opportunity_document(name, NEW.name)
    WHERE account_id = NEW.id;
    RETURN NULL;
END $$""",
    """
CREATE TRIGGER opportunities_search_vector
BEFORE INSERT OR UPDATE OF name, account_id ON opportunities
FOR EACH ROW EXECUTE FUNCTION engage_opportunity_search_vector()""",
    """
CREATE TRIGGER accounts_renamed_search_vector
AFTER UPDATE OF name ON accounts
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION engage_account_renamed()""",
)


def upgrade() -> None:
    for table, document in DOCUMENTS.items():
        op.add_column(
            table,
            sa.Column(
                "search_vector",
                postgresql.TSVECTOR(),
                sa.Computed(document, persisted=True),
                nullable=True,
            ),
        )
    op.add_column("opportunities", sa.Column("search_vector", postgresql.TSVECTOR()))
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute(
        "UPDATE opportunities o SET search_vector = engage_opportunity_document(o.name, a.name) "
        "FROM accounts a WHERE a.id = o.account_id"
    )
    for table in (*DOCUMENTS, "opportunities"):
        op.create_index(
            f"ix_{table}_search_vector", table, ["search_vector"], postgresql_using="gin"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS accounts_renamed_search_vector ON accounts")
    op.execute("DROP TRIGGER IF EXISTS opportunities_search_vector ON opportunities")
    op.execute("DROP FUNCTION IF EXISTS engage_account_renamed()")
    op.execute("DROP FUNCTION IF EXISTS engage_opportunity_search_vector()")
    op.execute("DROP FUNCTION IF EXISTS engage_opportunity_document(text, text)")
    for table in (*DOCUMENTS, "opportunities"):
        op.drop_index(f"ix_{table}_search_vector", table_name=table)
        op.drop_column(table, "search_vector")
