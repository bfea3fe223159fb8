"""What full-text search reads of each record (API.md section 12): the SQL of the stored
`search_vector` columns. 'simple' configuration: words are lower-cased, never stemmed, so a
name is found by what was typed. Weights rank a match in the name (A) above one in the
company or account name (B) and one in an email or domain (C). Emails and domains are indexed
in parts (`anna.berg@fjordbank.no` -> anna, berg, fjordbank, no) so that any of their words
finds them.

Migrations 0016 and 0023 hold copies of these expressions, as a migration is a snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Computed
from sqlalchemy import Index
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import mapped_column


def _words(expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, coalesce({expression}, '')), '{weight}')"


def _address(column: str) -> str:
    """An email or domain, split at its dots and at-sign. Never indexed whole: a million
    distinct addresses under one prefix ("ada" of every ada.*@...) would make each prefix
    search walk them all (300 ms where the words alone take a few)."""
    return _words(f"translate({column}, '@.', '  ')", "C")


def _full_name(first: str, last: str) -> str:
    return f"coalesce({first}, '') || ' ' || coalesce({last}, '')"


ACCOUNT_DOCUMENT = f"{_words('name', 'A')} || {_address('domain')}"
CONTACT_DOCUMENT = f"{_words(_full_name('first_name', 'last_name'), 'A')} || {_address('email')}"
LEAD_DOCUMENT = (
    f"{_words(_full_name('first_name', 'last_name'), 'A')} || {_words('company', 'B')} || "
    f"{_address('email')}"
)
# An opportunity is found by its own name and its account's: a column kept by triggers
# (migration 0016), since a generated column cannot read another table.
OPPORTUNITY_NAME = _words("name", "A")
ACCOUNT_NAME = _words("name", "B")


def search_vector(document: str | None) -> Any:
    """The `search_vector` column: generated from `document`, or kept by triggers when None.
    Deferred: reading a record never loads it."""
    if document is None:
        return mapped_column(TSVECTOR, deferred=True)
    return mapped_column(TSVECTOR, Computed(document, persisted=True), deferred=True)


def search_index(table: str) -> Index:
    return Index(f"ix_{table}_search_vector", "search_vector", postgresql_using="gin")
