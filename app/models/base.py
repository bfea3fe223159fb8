"""Declarative base, constraint naming convention and the columns every resource shares."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import Numeric
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import column_property
from sqlalchemy.orm import mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Amounts: 15 digits, 2 after the point (the API's decimal strings).
MONEY = Numeric(15, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("engage_uuid7()")
    )


def timestamp_now() -> Mapped[datetime]:
    """A timestamp that PostgreSQL sets to now() unless the insert gives one."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def reference(
    target: str,
    *,
    ondelete: str | None = None,
    onupdate: str | None = None,
    primary_key: bool = False,
) -> Any:
    """A UUID column referencing `target` (`"users.id"`); nullable as its annotation says."""
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey(target, ondelete=ondelete, onupdate=onupdate),
        primary_key=primary_key,
    )


class Timestamps:
    created_at: Mapped[datetime] = timestamp_now()
    updated_at: Mapped[datetime] = timestamp_now()


class Versioned(Timestamps):
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), nullable=False)


def enum_check(column: str, values: Iterable[str]) -> str:
    """A CHECK expression keeping a text column within a closed set."""
    quoted = ", ".join(f"'{v}'" for v in sorted(values))
    return f"{column} IN ({quoted})"


def stored_custom() -> Mapped[dict[str, Any]]:
    """The stored custom field values (API.md section 13): only the keys that are set."""
    return mapped_column("custom", JSONB, nullable=False, server_default=text("'{}'::jsonb"))


def custom_view(object_name: str, values: Any) -> Mapped[dict[str, Any]]:
    """What reads show as `custom`: every active (non-archived) key of the object, null when
    unset, built by `engage_custom` (migration 0020) from the definitions. A record with no
    values (most records) shows the object's empty view, computed once per statement (an
    uncorrelated subquery) rather than once per row."""
    name: ColumnElement[str] = literal_column(f"'{object_name}'")
    none_set: ColumnElement[Any] = literal_column("'{}'::jsonb")
    return column_property(
        case(
            (values == none_set, select(func.engage_custom(name, none_set)).scalar_subquery()),
            else_=func.engage_custom(name, values),
        ),
        deferred=False,
        expire_on_flush=False,
    )


# What the GIN index on `custom` leaves out: the records without a value (most of them).
_EMPTY_CUSTOM = "'{}'::jsonb"
_NO_VALUES = f"custom <> {_EMPTY_CUSTOM}"


def custom_index(table: str) -> Index:
    """GIN (`jsonb_path_ops`) on `custom`: serves the `custom @> {...}` list filters
    (`custom_holds`). Records without values are not indexed: no filter finds them, and their
    entry cost a 1000-lead batch's INSERT 1-3 ms (migration 0028)."""
    return Index(
        f"ix_{table}_custom",
        "custom",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
        postgresql_where=text(_NO_VALUES),
    )


def custom_holds(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column @> value` for any of `values` (stored custom values), stated with the index's
    condition, as SQL text rather than a parameter, so that even a prepared statement's
    generic plan may use the partial index."""
    no_values: ColumnElement[Any] = literal_column(_EMPTY_CUSTOM, JSONB)
    return and_(column != no_values, or_(*(column.contains(value) for value in values)))
