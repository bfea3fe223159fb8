"""Full-text matching of what a user typed (API.md section 12): every word must match a word of
the record, whole or as its beginning, case-insensitively (`fjord ban` finds "Fjord Bank").

The tsquery is built from the words alone (letters and digits): whatever else was typed,
quotes, `&`, `|`, `!`, `:*`, parentheses, is a separator, never tsquery syntax, so no input
can make `to_tsquery` fail. Text without a single word matches nothing. The same matcher
serves `GET /search` and every list's `q`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Boolean, ColumnElement, Float, and_, bindparam, false, func, literal_column

from app.core.schemas import SINGLE_LINE

_WORD = re.compile(r"[^\W_]+")
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")

SearchText = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=100,
        pattern=SINGLE_LINE,
        description="Words to find (2-100 characters): each must match a word of the record, "
        "whole or as its beginning, case-insensitively.",
    ),
]


def search_words(text: str) -> list[str]:
    """The words of `text`: runs of letters and digits, lower-cased, first occurrence kept."""
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))


def prefix_query(text: str) -> str | None:
    """`to_tsquery` text for `text` ('fjord:* & ban:*'); None when `text` has no word."""
    words = search_words(text)
    return " & ".join(_term(w) for w in words) if words else None


def _term(word: str) -> str:
    # PostgreSQL's parser reads the "-034" of "Acme 012-034" as one signed number.
    return f"({word}:* | -{word}:*)" if word.isdigit() else f"{word}:*"


@dataclass(frozen=True)
class TextQuery:
    """What was typed as a tsquery, and, when it has several words, the tsquery of its
    narrowest word (see `narrowness`)."""

    query: ColumnElement[Any]
    narrowest: ColumnElement[Any] | None

    def matches(self, vector: Any) -> ColumnElement[bool]:
        if self.narrowest is None:
            condition: ColumnElement[bool] = vector.op("@@")(self.query)
            return condition
        # GIN answers a prefix by collecting every row under it before intersecting: "ada:* &
        # lovelace:* & company12345:*" gathered 225,000 rows to keep 5 (80 ms). The index
        # finds the narrowest word's rows; ts_match_vq, which no index serves, checks the
        # others on those rows alone (0.4 ms).
        return and_(
            vector.op("@@")(self.narrowest),
            func.ts_match_vq(vector, self.query, type_=Boolean),
        )


def text_query(text: str) -> TextQuery | None:
    """The query of `text`; None when it has no word."""
    words = search_words(text)
    if not words:
        return None
    query = func.to_tsquery(_SIMPLE, " & ".join(_term(w) for w in words))
    if len(words) == 1:
        return TextQuery(query, None)
    return TextQuery(query, func.to_tsquery(_SIMPLE, _term(max(words, key=narrowness))))


def narrowness(word: str) -> tuple[bool, int]:
    """How rare a word is likely to be: one with three or more digits (a number in a name or
    an email) before any other, then the longer."""
    return sum(c.isdigit() for c in word) >= 3, len(word)


def text_vector(document: Any) -> ColumnElement[Any]:
    """`to_tsvector('simple', document)`: for small tables, matched without a stored column."""
    vector: ColumnElement[Any] = func.to_tsvector(_SIMPLE, document)
    return vector


def matches(vector: Any, text: str) -> ColumnElement[bool]:
    """Whether `vector` has every word of `text`, found through the column's GIN index."""
    query = text_query(text)
    return false() if query is None else query.matches(vector)


def matches_param(vector: Any, name: str) -> ColumnElement[bool]:
    """`vector @@ to_tsquery(:name)` for statements built once: bind `prefix_query(text)`."""
    condition: ColumnElement[bool] = vector.op("@@")(func.to_tsquery(_SIMPLE, bindparam(name)))
    return condition


def rank(vector: Any, query: ColumnElement[Any]) -> ColumnElement[float]:
    score: ColumnElement[float] = func.ts_rank(vector, query, type_=Float)
    return score
