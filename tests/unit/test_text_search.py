"""What typed text becomes: its words, the tsquery text, and the word the index is asked for."""

from __future__ import annotations

from app.core.text_search import narrowness, prefix_query, search_words


def test_words_are_letters_and_digits_lower_cased_once() -> None:
    assert search_words("Fjord  BANK fjord") == ["fjord", "bank"]
    assert search_words("O'Brien & (co):* | !x") == ["o", "brien", "co", "x"]
    assert search_words("snake_case Ærø") == ["snake", "case", "ærø"]
    assert search_words("'&:*\\") == []


def test_every_word_is_a_prefix_and_digits_also_a_signed_number() -> None:
    assert prefix_query("fjord ban") == "fjord:* & ban:*"
    assert prefix_query("acme 034") == "acme:* & (034:* | -034:*)"
    assert prefix_query("::") is None


def test_the_narrowest_word_has_three_digits_else_is_the_longest() -> None:
    words = search_words("grace.hopper.4711")
    assert max(words, key=narrowness) == "4711"
    assert max(search_words("ada lovelace"), key=narrowness) == "lovelace"
    assert max(search_words("acme 2 b"), key=narrowness) == "acme"
