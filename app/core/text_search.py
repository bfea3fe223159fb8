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
from typing import Annotated
from typing import Any

from fastapi import Query
from sqlalchemy import Boolean
from sqlalchemy import ColumnElement
from sqlalchemy import Float
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal_column

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
    """What was typed, as `to_tsquery` text (`text`), and the `to_tsquery` text of the words the
    GIN index is asked for (`index`, see `index_words`): the statement's two parameters."""

    text: str
    index: str

    def params(self) -> dict[str, str]:
        return {QUERY_PARAM: self.text, INDEX_PARAM: self.index}


QUERY_PARAM = "q_text"
INDEX_PARAM = "q_index"


def text_query(text: str) -> TextQuery | None:
    """The query of `text`; None when it has no word."""
    words = search_words(text)
    if not words:
        return None
    return TextQuery(" & ".join(map(_term, words)), " & ".join(map(_term, index_words(words))))


def index_words(words: list[str]) -> list[str]:
    """The words whose rows the GIN index collects; `ts_match_vq`, which no index serves, checks
    the whole query on those rows alone. GIN answers a prefix by collecting every row under it
    before intersecting: "ada:* & lovelace:* & company12345:*" gathered 225,000 rows to keep 5
    (80 ms), and "turing:*" alone 124,000 (370 ms) where "78:*" took 11 ms. So: the words with
    numbers in them (at most two, the most digits first; two intersect in the index), else the
    longest word alone."""
    numbered = sorted((w for w in words if _digits(w) >= 2), key=narrowness, reverse=True)
    return numbered[:2] or [max(words, key=len)]


def _digits(word: str) -> int:
    return sum(c.isdigit() for c in word)


def narrowness(word: str) -> tuple[int, int]:
    """How rare a word is likely to be: more digits first (a number in a name or an email),
    then the longer."""
    return _digits(word), len(word)


def query_matches(vector: Any, text: Any, index: Any) -> ColumnElement[bool]:
    """SQL: `vector` has every word of `text` (tsquery text), the rows found through the GIN
    index by `index` (the tsquery text of `index_words`); values or bound parameters."""
    return and_(
        vector.op("@@")(func.to_tsquery(_SIMPLE, index)),
        func.ts_match_vq(vector, func.to_tsquery(_SIMPLE, text), type_=Boolean),
    )


def bound_matches(vector: Any) -> ColumnElement[bool]:
    """`query_matches` on the parameters of `TextQuery.params`, for statements built once."""
    return query_matches(vector, bindparam(QUERY_PARAM), bindparam(INDEX_PARAM))


def bound_rank(vector: Any) -> ColumnElement[float]:
    """`ts_rank` of `vector` against the bound query text."""
    return rank(vector, func.to_tsquery(_SIMPLE, bindparam(QUERY_PARAM)))


def text_vector(document: Any) -> ColumnElement[Any]:
    """`to_tsvector('simple', document)`: for small tables, matched without a stored column."""
    vector: ColumnElement[Any] = func.to_tsvector(_SIMPLE, document)
    return vector


def matches(vector: Any, text: str) -> ColumnElement[bool]:
    """Whether `vector` has every word of `text`, found through the column's GIN index."""
    query = text_query(text)
    if query is None:
        return false()
    if query.index == query.text:
        condition: ColumnElement[bool] = vector.op("@@")(func.to_tsquery(_SIMPLE, query.text))
        return condition
    return query_matches(vector, query.text, query.index)


def matches_param(vector: Any, name: str) -> ColumnElement[bool]:
    """`vector @@ to_tsquery(:name)` for statements built once: bind `prefix_query(text)`."""
    condition: ColumnElement[bool] = vector.op("@@")(func.to_tsquery(_SIMPLE, bindparam(name)))
    return condition


def rank(vector: Any, query: ColumnElement[Any]) -> ColumnElement[float]:
    score: ColumnElement[float] = func.ts_rank(vector, query, type_=Float)
    return score
