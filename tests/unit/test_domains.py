"""Account domains: one canonical spelling per company."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.domains import InvalidDomain
from app.accounts.domains import normalise_domain


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("ACME.Com", "acme.com"),
        ("  www.acme.com  ", "acme.com"),
        ("https://www.acme.com", "acme.com"),
        ("HTTP://WWW.ACME.COM/about/us?x=1#top", "acme.com"),
        ("https://user:secret@shop.acme.co.uk:8443/cart", "shop.acme.co.uk"),
        ("acme.com.", "acme.com"),
        ("www.www.acme.com", "acme.com"),
        ("wwwacme.com", "wwwacme.com"),
        ("eu.www.acme.com", "eu.www.acme.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("ftp://files.acme.io", "files.acme.io"),
        ("acme.com/path", "acme.com"),
    ],
)
def test_normalises(raw: str, domain: str) -> None:
    assert normalise_domain(raw) == domain


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "localhost",
        "https://",
        "not a domain",
        "-acme.com",
        "acme-.com",
        "a..com",
        "10.0.0.1",
        "acme_corp.com",
        "x" * 64 + ".com",
        ("a" * 60 + ".") * 5 + "com",
    ],
)
def test_refuses(raw: str) -> None:
    with pytest.raises(InvalidDomain):
        normalise_domain(raw)


labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(
    st.lists(labels, min_size=1, max_size=3).filter(lambda ls: ls[0] != "www"),
    st.sampled_from(["com", "io", "co.uk", "de"]),
    st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    st.sampled_from(["", "www.", "WWW."]),
    st.sampled_from(["", "/", "/a/b?c=d", ":8080/x"]),
)
def test_every_spelling_of_a_domain_is_the_same_key(
    parts: list[str], tld: str, scheme: str, www: str, tail: str
) -> None:
    domain = ".".join([*parts, tld])
    spelled = f"{scheme}{www}{domain.upper()}{tail}"
    assert normalise_domain(spelled) == domain
    assert normalise_domain(normalise_domain(spelled)) == domain
