"""Pure lead rules: domain normalisation, free-mail domains, follow-up actions. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from typing import Any

from app.accounts.domains import InvalidDomain
from app.accounts.domains import normalise_domain
from app.core.errors import FieldError

# Mailbox providers: a lead's email domain says nothing about its company, so an account
# created from such a lead gets no domain (it would otherwise swallow every gmail lead).
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.com",
        "qq.com",
        "163.com",
    }
)

OPEN_STATUSES = ("new", "working", "nurture")
CLOSED_STATUSES = ("converted", "disqualified")

# Follow-up actions in the order API.md section 5 applies them: the first that holds wins.
# Clocks of integrations drift: "the future" starts a little after the server's now.
CLOCK_SKEW = timedelta(minutes=5)

NEXT_ACTIONS = ("respond", "send_breakup_email", "touch", "vary_channel", "new_content", "none")


@lru_cache(maxsize=4096)  # a batch's leads share a few domains: each is parsed once
def normalize_domain(value: str) -> str | None:
    """`https://www.Example.com/path` -> `example.com` (the accounts' canonical form, so routing
    compares like with like); None when it is not a host name."""
    try:
        return normalise_domain(value)
    except InvalidDomain:
        return None


def domain_from_email(email: str) -> str | None:
    """The host part of an email address, normalised; None for IP literals and the like."""
    _, at, host = email.rpartition("@")
    return normalize_domain(host) if at else None


def account_domain_for(domain: str | None) -> str | None:
    """The domain an account created from a lead should carry (none for free-mail)."""
    if domain is None or domain in FREE_MAIL_DOMAINS:
        return None
    return domain


def in_future(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment > now + CLOCK_SKEW


def lead_problems(values: Mapping[str, Any], now: datetime) -> list[FieldError]:
    """What is wrong with a lead's final values, beyond their types (API.md section 5)."""
    problems: list[FieldError] = []
    if in_future(values.get("received_at"), now):
        problems.append(
            FieldError("received_at", "in_future", "received_at cannot be in the future.")
        )
    if values.get("status") == "disqualified" and not values.get("disqualify_reason"):
        problems.append(
            FieldError(
                "disqualify_reason", "required", "A disqualified lead needs a disqualify_reason."
            )
        )
    return problems
