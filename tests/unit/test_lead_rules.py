"""Pure lead rules: domains and the per-lead checks."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from app.leads.rules import NEXT_ACTIONS
from app.leads.rules import account_domain_for
from app.leads.rules import domain_from_email
from app.leads.rules import lead_problems
from app.leads.rules import normalize_domain

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.com", "example.com"),
        ("https://www.Example.com/path?q=1", "example.com"),
        ("http://sub.example.co.uk:8080", "sub.example.co.uk"),
        ("example.com.", "example.com"),
        ("localhost", None),
        ("not a domain", None),
        ("-bad.com", None),
        ("", None),
        ("Bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_normalize_domain(raw: str, expected: str | None) -> None:
    assert normalize_domain(raw) == expected


def test_domain_from_email_and_free_mail() -> None:
    assert domain_from_email("Ann@Mail.Acme.COM") == "mail.acme.com"
    assert domain_from_email("odd@[10.0.0.1]") is None
    assert account_domain_for("gmail.com") is None
    assert account_domain_for("acme.com") == "acme.com"
    assert account_domain_for(None) is None


def test_lead_problems() -> None:
    assert lead_problems({"status": "new", "received_at": NOW - timedelta(days=3)}, NOW) == []
    # A few minutes of clock skew is tolerated, a day is not.
    assert lead_problems({"received_at": NOW + timedelta(minutes=2)}, NOW) == []
    [future] = lead_problems({"received_at": NOW + timedelta(days=1)}, NOW)
    assert (future.field, future.code) == ("received_at", "in_future")
    [reason] = lead_problems({"status": "disqualified", "disqualify_reason": ""}, NOW)
    assert (reason.field, reason.code) == ("disqualify_reason", "required")
    assert lead_problems({"status": "disqualified", "disqualify_reason": "no budget"}, NOW) == []


def test_next_actions_in_the_documented_order() -> None:
    assert NEXT_ACTIONS == (
        "respond",
        "send_breakup_email",
        "touch",
        "vary_channel",
        "new_content",
        "none",
    )
