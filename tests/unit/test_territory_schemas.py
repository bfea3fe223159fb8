"""Territory request shapes (API.md section 3)."""

from __future__ import annotations

from app.accounts import schemas


def test_routes_are_deduplicated_in_a_stable_order() -> None:
    account = schemas.AccountUpdate.model_validate(
        {"routes_to_market": ["programs", "channel", "programs"]}
    )
    assert account.routes_to_market == ["channel", "programs"]
