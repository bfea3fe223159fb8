"""lead creators checked once per statement, not once per row

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 00:25:00.000000+00:00

`leads.created_by` was a foreign key: PostgreSQL checks one with a row-level trigger, a locking
look-up of the user for every inserted lead. A 1000-lead batch has one creator and paid for
1000 look-ups, about 10 ms of its 57 ms INSERT. The same rule now runs once per statement:

- an INSERT locks its distinct creators `FOR KEY SHARE` (as the foreign key did: a concurrent
  DELETE of one waits) and fails with `foreign_key_violation` if one does not exist;
- an UPDATE that changes `created_by` (Engage never does) is checked row by row;
- deleting a user who created leads, or changing their id, fails the same way.

The error keeps the constraint's name, `fk_leads_created_by_users`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MISSING = """
            RAISE EXCEPTION 'insert or update on table "leads" violates foreign key constraint '
                '"fk_leads_created_by_users"'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = 'fk_leads_created_by_users',
                      TABLE = 'leads',
                      DETAIL = format('Key (created_by)=(%s) is not present in table "users".', {});
"""


def upgrade() -> None:
    op.drop_constraint("fk_leads_created_by_users", "leads", type_="foreignkey")
    op.execute(
        f"""
        CREATE FUNCTION engage_leads_creators_exist() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            missing uuid;
        BEGIN
            PERFORM 1 FROM users WHERE id IN (SELECT created_by FROM new_rows) FOR KEY SHARE;
            SELECT n.created_by INTO missing FROM new_rows AS n
            WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = n.created_by)
            LIMIT 1;
            IF FOUND THEN {_MISSING.format("missing")}
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER leads_creators_exist AFTER INSERT ON leads "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION engage_leads_creators_exist()"
    )
    op.execute(
        f"""
        CREATE FUNCTION engage_lead_creator_exists() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM users WHERE id = NEW.created_by FOR KEY SHARE;
            IF NOT FOUND THEN {_MISSING.format("NEW.created_by")}
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER lead_creator_exists BEFORE UPDATE OF created_by ON leads FOR EACH ROW "
        "WHEN (NEW.created_by IS DISTINCT FROM OLD.created_by) "
        "EXECUTE FUNCTION engage_lead_creator_exists()"
    )
    op.execute(
        """
        CREATE FUNCTION engage_users_keep_lead_creators() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM leads WHERE created_by = OLD.id) THEN
                RAISE EXCEPTION 'update or delete on table "users" violates foreign key '
                    'constraint "fk_leads_created_by_users" on table "leads"'
                    USING ERRCODE = 'foreign_key_violation',
                          CONSTRAINT = 'fk_leads_created_by_users',
                          TABLE = 'leads',
                          DETAIL = format(
                              'Key (id)=(%s) is still referenced from table "leads".', OLD.id
                          );
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER users_keep_lead_creators BEFORE DELETE ON users FOR EACH ROW "
        "EXECUTE FUNCTION engage_users_keep_lead_creators()"
    )
    op.execute(
        "CREATE TRIGGER users_keep_lead_creators_id BEFORE UPDATE OF id ON users FOR EACH ROW "
        "WHEN (NEW.id IS DISTINCT FROM OLD.id) "
        "EXECUTE FUNCTION engage_users_keep_lead_creators()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER users_keep_lead_creators_id ON users")
    op.execute("DROP TRIGGER users_keep_lead_creators ON users")
    op.execute("DROP FUNCTION engage_users_keep_lead_creators()")
    op.execute("DROP TRIGGER lead_creator_exists ON leads")
    op.execute("DROP FUNCTION engage_lead_creator_exists()")
    op.execute("DROP TRIGGER leads_creators_exist ON leads")
    op.execute("DROP FUNCTION engage_leads_creators_exist()")
    op.create_foreign_key("fk_leads_created_by_users", "leads", "users", ["created_by"], ["id"])
