"""`?expand=` (API.md section 12): the summary of a referenced record beside its id, built by
PostgreSQL in the list's or read's own statement (one correlated subquery per expansion, each
with the referenced table's visibility: an invisible or missing record is null).

A read schema declares each expansion it offers as a field defaulting to `MISSING`: absent
from the response unless asked for, an optional property in OpenAPI. A repository declares
which column each expansion follows (`Repository.references`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Generic
from typing import TypeVar

from pydantic import MISSING
from pydantic import Field
from sqlalchemy import JSON
from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select

from app.core.enums import Expansion
from app.core.query_lists import comma_list
from app.core.schemas import ResponseModel
from app.core.visibility import Viewer
from app.core.visibility import account_visible
from app.core.visibility import territory_visible
from app.core.visibility import user_visible
from app.models import Account
from app.models import Contact
from app.models import Territory
from app.models import User

R = TypeVar("R")


class OwnerSummary(ResponseModel):
    id: uuid.UUID = Field(description="The user's id.")
    name: str = Field(description="The user's name.")
    email: str = Field(description="The user's email.")


class AccountSummary(ResponseModel):
    id: uuid.UUID = Field(description="The account's id.")
    name: str = Field(description="The account's name.")
    domain: str | None = Field(description="The account's domain.")


class ContactSummary(ResponseModel):
    id: uuid.UUID = Field(description="The contact's id.")
    first_name: str | None = Field(description="The contact's first name.")
    last_name: str | None = Field(description="The contact's last name.")
    email: str | None = Field(description="The contact's email.")


class TerritorySummary(ResponseModel):
    id: uuid.UUID = Field(description="The territory's id.")
    name: str = Field(description="The territory's name.")


def _expanded(what: str, reference: str) -> Any:
    return Field(
        MISSING,
        description=f"Only with `expand={what}`: the {reference}'s summary beside `{what}_id`; "
        "null when there is none or you cannot see it.",
    )


EXPANDED_OWNER: Any = _expanded("owner", "owner")
EXPANDED_ACCOUNT: Any = _expanded("account", "account")
EXPANDED_CONTACT: Any = _expanded("contact", "contact")
EXPANDED_TERRITORY: Any = _expanded("territory", "territory")


def expand_param(*allowed: Expansion) -> Any:
    """The `expand` query parameter of a resource offering `allowed` (anything else: 422)."""
    return comma_list(
        "expand", allowed, "Add the summary of these referenced records beside their ids."
    )


def json_record(*pairs: tuple[str, Any]) -> ColumnElement[Any]:
    """`json_build_object('name', column, ...)`, read back as a dict."""
    arguments: list[Any] = []
    for name, column in pairs:
        # Field names are Python identifiers: safe as SQL string literals.
        arguments += [literal_column(f"'{name}'"), column]
    document: ColumnElement[Any] = func.json_build_object(*arguments, type_=JSON)
    return document


def _summary(expansion: Expansion, viewer: Viewer) -> tuple[Select[Any], Any]:
    """The summary query of `expansion` (not yet narrowed to one id) and its id column."""
    match expansion:
        case Expansion.OWNER:
            owner = json_record(("id", User.id), ("name", User.name), ("email", User.email))
            return select(owner).where(user_visible(viewer)), User.id
        case Expansion.ACCOUNT:
            account = json_record(
                ("id", Account.id), ("name", Account.name), ("domain", Account.domain)
            )
            return select(account).where(
                territory_visible(viewer, Account.territory_id)
            ), Account.id
        case Expansion.CONTACT:
            contact = json_record(
                ("id", Contact.id),
                ("first_name", Contact.first_name),
                ("last_name", Contact.last_name),
                ("email", Contact.email),
            )
            return select(contact).where(account_visible(viewer, Contact.account_id)), Contact.id
        case Expansion.TERRITORY:
            territory = json_record(("id", Territory.id), ("name", Territory.name))
            return select(territory).where(territory_visible(viewer, Territory.id)), Territory.id


def summary(expansion: Expansion, viewer: Viewer, reference: Any, outer: Any) -> ColumnElement[Any]:
    """`(SELECT json_build_object(...) FROM <referenced> WHERE id = <reference> AND visible)`,
    correlated to `outer` (the listed table) only."""
    query, id_column = _summary(expansion, viewer)
    subquery: ColumnElement[Any] = (
        query.where(id_column == reference).correlate(outer).scalar_subquery()
    )
    return subquery


def summary_columns(
    expansions: Iterable[Expansion], viewer: Viewer, references: Mapping[Expansion, Any], outer: Any
) -> list[ColumnElement[Any]]:
    """One column per expansion, labelled with its name."""
    return [summary(e, viewer, references[e], outer).label(e.value) for e in expansions]


class Expanded(Generic[R]):
    """A record with the summaries asked for: reads as the record, plus one attribute per
    expansion (what a read schema's `model_validate` picks up)."""

    __slots__ = ("record", "summaries")

    def __init__(self, record: R, summaries: Mapping[str, Any]) -> None:
        self.record = record
        self.summaries = summaries

    def __getattr__(self, name: str) -> Any:
        # Only names that are no slot arrive here; the slots themselves read as usual.
        summaries = self.summaries
        if name in summaries:
            return summaries[name]
        return getattr(self.record, name)


def expanded_rows(rows: Sequence[Any], expansions: Sequence[Expansion]) -> list[Expanded[Any]]:
    """Rows of (record, summary, ...) as `Expanded` records."""
    names = [e.value for e in expansions]
    return [Expanded(row[0], dict(zip(names, row[1:], strict=True))) for row in rows]
