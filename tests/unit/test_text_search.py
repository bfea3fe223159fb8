"""What typed text becomes: its words, the tsquery text, and the word the index is asked for."""

from __future__ import annotations

from app.core.text_search import index_words
from app.core.text_search import prefix_query
from app.core.text_search import search_words
from app.core.text_search import text_query


def test_words_are_letters_and_digits_lower_cased_once() -> None:
    assert search_words("Fjord  BANK fjord") == ["fjord", "bank"]
    assert search_words("O'Brien & (co):* | !x") == ["o", "brien", "co", "x"]
    assert search_words("snake_case Ærø") == ["snake", "case", "ærø"]
    assert search_words("'&:*\\") == []


def test_every_word_is_a_prefix_and_digits_also_a_signed_number() -> None:
    assert prefix_query("fjord ban") == "fjord:* & ban:*"
    assert prefix_query("acme 034") == "acme:* & (034:* | -034:*)"
    assert prefix_query("::") is None


def test_the_index_is_asked_for_numbered_words_else_the_longest() -> None:
    # Up to two words with two or more digits, the most digits first: they intersect in the
    # index, and a number is rarer than a name.
    assert index_words(search_words("grace.hopper.4711")) == ["4711"]
    assert index_words(search_words("radia turing 78")) == ["78"]
    assert index_words(search_words("Dennis Torvalds acct-060-037")) == ["060", "037"]
    assert index_words(search_words("a1 b22 c333 d4444")) == ["d4444", "c333"]
    # Without such a word, the longest alone (a single digit is no narrower than a name).
    assert index_words(search_words("ada lovelace")) == ["lovelace"]
    assert index_words(search_words("acme 2 b")) == ["acme"]


def test_a_query_carries_its_text_and_its_index_words() -> None:
    query = text_query("Grace Hopper 4711")
    assert query is not None
    assert query.params() == {
        "q_text": "grace:* & hopper:* & (4711:* | -4711:*)",
        "q_index": "(4711:* | -4711:*)",
    }
    assert text_query("!!") is None
