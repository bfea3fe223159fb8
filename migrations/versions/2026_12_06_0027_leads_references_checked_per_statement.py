"""a lead's owner, account and activity checked once per INSERT statement

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 00:27:00.000000+00:00

`leads.owner_id`, `account_id` and `activity_id` were foreign keys. PostgreSQL checks one with a
row-level trigger, queued for every inserted lead whether or not it names anything: a 1000-lead
batch queued 3,000 and ran about 4.7 ms of them in a 30 ms INSERT. Migration 0025 did the same
for `created_by`; its checks are folded into the ones below, so one read of the new rows serves
all four references. The rules and their errors are the foreign keys':

- an INSERT locks the distinct rows its leads name `FOR KEY SHARE`, as a foreign key does (a
  concurrent DELETE of one waits), in one probe by primary key per table, and fails with
  `foreign_key_violation` and the constraint's name if one does not exist;
- an UPDATE that changes one of them is checked row by row;
- deleting a user, account or activity that a lead names, or changing its id, fails the same
  way. That check runs after the row is gone, at the end of the statement as NO ACTION does:
  a DELETE that waited for an inserting batch's lock sees that batch's leads, and a statement
  that removes the leads too is allowed. (0025 checked a user's created leads before the row
  went, and so missed the leads of a batch the DELETE had waited for.)

0025's functions stay, unused, for the downgrade.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column of leads, the table it names, the foreign key it was or is named after)
_REFERENCES = (
    ("created_by", "users", "fk_leads_created_by_users"),
    ("owner_id", "users", "fk_leads_owner_id_users"),
    ("account_id", "accounts", "fk_leads_account_id_accounts"),
    ("activity_id", "activities", "fk_leads_activity_id_activities"),
)
_DROPPED_FOREIGN_KEYS = [constraint for _, _, constraint in _REFERENCES[1:]]
# The leads each referenced table keeps.
_KEPT = {
    "users": (("created_by", "fk_leads_created_by_users"), ("owner_id", "fk_leads_owner_id_users")),
    "accounts": (("account_id", "fk_leads_account_id_accounts"),),
    "activities": (("activity_id", "fk_leads_activity_id_activities"),),
}


def _missing(column: str, table: str, constraint: str, key: str) -> str:
    return f"""
            RAISE EXCEPTION 'insert or update on table "leads" violates foreign key constraint '
                '"{constraint}"'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = '{constraint}',
                      TABLE = 'leads',
                      DETAIL = format('Key ({column})=(%s) is not present in table "{table}".', {key});
"""


def _statement_check(column: str, table: str, constraint: str) -> str:
    return f"""
        wanted := {column}_wanted;
        IF cardinality(wanted) > 0 THEN
            SELECT count(*) INTO present
            FROM (SELECT 1 FROM {table} WHERE id = ANY (wanted) FOR KEY SHARE) AS locked;
            IF present < cardinality(wanted) THEN
                SELECT w INTO missing FROM unnest(wanted) AS w
                WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE t.id = w) LIMIT 1;
                {_missing(column, table, constraint, "missing")}
            END IF;
        END IF;
"""


def _row_check(column: str, table: str, constraint: str) -> str:
    return f"""
        IF NEW.{column} IS NOT NULL AND NEW.{column} IS DISTINCT FROM OLD.{column} THEN
            PERFORM 1 FROM {table} WHERE id = NEW.{column} FOR KEY SHARE;
            IF NOT FOUND THEN {_missing(column, table, constraint, f"NEW.{column}")}
            END IF;
        END IF;
"""


def _kept_check(table: str, column: str, constraint: str) -> str:
    return f"""
        IF EXISTS (SELECT 1 FROM leads WHERE {column} = OLD.id) THEN
            RAISE EXCEPTION 'update or delete on table "{table}" violates foreign key '
                'constraint "{constraint}" on table "leads"'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = '{constraint}',
                      TABLE = 'leads',
                      DETAIL = format(
                          'Key (id)=(%s) is still referenced from table "leads".', OLD.id
                      );
        END IF;
"""


# 0025's triggers, replaced by the ones below (its functions stay for the downgrade).
_CREATOR_TRIGGERS = (
    ("leads_creators_exist", "leads"),
    ("lead_creator_exists", "leads"),
    ("users_keep_lead_creators", "users"),
    ("users_keep_lead_creators_id", "users"),
)


def upgrade() -> None:
    for constraint in _DROPPED_FOREIGN_KEYS:
        op.drop_constraint(constraint, "leads", type_="foreignkey")
    for trigger, table in _CREATOR_TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    arrays = "".join(f"{column}_wanted uuid[]; " for column, _, _ in _REFERENCES)
    gathered = ", ".join(
        f"coalesce(array_agg(DISTINCT {column}) FILTER (WHERE {column} IS NOT NULL), '{{}}')"
        for column, _, _ in _REFERENCES
    )
    into = ", ".join(f"{column}_wanted" for column, _, _ in _REFERENCES)
    statement_checks = "".join(_statement_check(*reference) for reference in _REFERENCES)
    op.execute(
        f"""
        CREATE FUNCTION engage_leads_references_exist() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            {arrays}
            wanted uuid[];
            present bigint;
            missing uuid;
        BEGIN
            SELECT {gathered} INTO {into} FROM new_rows;
            {statement_checks}
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER leads_references_exist AFTER INSERT ON leads "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION engage_leads_references_exist()"
    )
    row_checks = "".join(_row_check(*reference) for reference in _REFERENCES)
    op.execute(
        f"""
        CREATE FUNCTION engage_lead_references_exist() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {row_checks}
            RETURN NEW;
        END
        $$
        """
    )
    columns = ", ".join(column for column, _, _ in _REFERENCES)
    changed = " OR ".join(
        f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column, _, _ in _REFERENCES
    )
    op.execute(
        f"CREATE TRIGGER lead_references_exist BEFORE UPDATE OF {columns} ON leads FOR EACH ROW "
        f"WHEN ({changed}) EXECUTE FUNCTION engage_lead_references_exist()"
    )
    for table, kept in _KEPT.items():
        checks = "".join(_kept_check(table, column, constraint) for column, constraint in kept)
        op.execute(
            f"""
            CREATE FUNCTION engage_{table}_keep_leads() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {checks}
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_keep_leads AFTER DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION engage_{table}_keep_leads()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_keep_leads_id AFTER UPDATE OF id ON {table} FOR EACH ROW "
            f"WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION engage_{table}_keep_leads()"
        )


def downgrade() -> None:
    for table in _KEPT:
        op.execute(f"DROP TRIGGER {table}_keep_leads_id ON {table}")
        op.execute(f"DROP TRIGGER {table}_keep_leads ON {table}")
        op.execute(f"DROP FUNCTION engage_{table}_keep_leads()")
    op.execute("DROP TRIGGER lead_references_exist ON leads")
    op.execute("DROP FUNCTION engage_lead_references_exist()")
    op.execute("DROP TRIGGER leads_references_exist ON leads")
    op.execute("DROP FUNCTION engage_leads_references_exist()")
    # 0025's triggers, as it made them.
    op.execute(
        "CREATE TRIGGER leads_creators_exist AFTER INSERT ON leads "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION engage_leads_creators_exist()"
    )
    op.execute(
        "CREATE TRIGGER lead_creator_exists BEFORE UPDATE OF created_by ON leads FOR EACH ROW "
        "WHEN (NEW.created_by IS DISTINCT FROM OLD.created_by) "
        "EXECUTE FUNCTION engage_lead_creator_exists()"
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
    for column, table, constraint in _REFERENCES[1:]:
        op.create_foreign_key(constraint, "leads", table, [column], ["id"])
