"""Account domains as one canonical key: lower-case host name, no scheme, `www.`, port or path.

`https://WWW.Acme.com/about?x=1` and `acme.com` are the same account; the unique index on
`accounts.domain` then makes duplicates impossible whatever the spelling.
"""

from __future__ import annotations

import re

__all__ = ["InvalidDomain", "normalise_domain"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_DOMAIN = 253


class InvalidDomain(ValueError):
    """The text is not a host name once scheme, `www.`, port and path are removed."""


def normalise_domain(raw: str) -> str:
    """The canonical domain of `raw` (a domain, host or URL); InvalidDomain when it is none."""
    host = raw.strip().lower()
    host = _SCHEME.sub("", host)
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]  # user:password@ of a pasted URL
    host = host.split(":", 1)[0]  # port
    host = host.rstrip(".")
    while host.startswith("www."):
        host = host[4:]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidDomain("not a valid internationalised domain name") from exc
    labels = host.split(".")
    if len(host) > MAX_DOMAIN or len(labels) < 2:
        raise InvalidDomain("a domain has at least two labels, e.g. acme.com")
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidDomain("a domain is letters, digits and hyphens between dots")
    return host
