"""tell every Engage process when a principal changes (LISTEN/NOTIFY)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 00:19:00.000000+00:00

Each worker caches the principal behind a token for a few seconds. A revoked or expired token,
a deactivated user and a changed role, manager, name, email or source must take effect on the
next request in every process: these triggers send the user's id on channel
`engage_principals` when the transaction commits (PostgreSQL folds repeats within one
transaction), and each worker's listener drops that user's cached principals.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION engage_principal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- TG_ARGV[0] names the column holding the user's id.
            PERFORM pg_notify('engage_principals', to_jsonb(OLD) ->> TG_ARGV[0]);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER api_tokens_principal_changed
        AFTER UPDATE OF revoked_at, expires_at, token_hash, user_id OR DELETE ON api_tokens
        FOR EACH ROW EXECUTE FUNCTION engage_principal_changed('user_id')
        """
    )
    op.execute(
        """
        CREATE TRIGGER users_principal_changed
        AFTER UPDATE OF active, role, manager_id, email, name, source OR DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION engage_principal_changed('id')
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER users_principal_changed ON users")
    op.execute("DROP TRIGGER api_tokens_principal_changed ON api_tokens")
    op.execute("DROP FUNCTION engage_principal_changed()")
