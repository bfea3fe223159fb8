"""The territory schemas' OpenAPI enums are the model's closed sets (API.md section 3)."""

from __future__ import annotations

from typing import get_args

import pytest

from app.models import enums
from app.territories import schemas


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (schemas.Segment, enums.SEGMENTS),
        (schemas.Vertical, enums.VERTICALS),
        (schemas.TeamRole, enums.TEAM_ROLES),
        (schemas.AccountType, enums.ACCOUNT_TYPES),
        (schemas.RouteToMarket, enums.ROUTES_TO_MARKET),
        (schemas.PartnerKind, enums.PARTNER_KINDS),
        (schemas.ItSupport, enums.IT_SUPPORT),
        (schemas.UnitKind, enums.UNIT_KINDS),
        (schemas.Adoption, enums.ADOPTIONS),
        (schemas.ActivityType, enums.ACTIVITY_TYPES),
        (schemas.ActivityStatus, enums.ACTIVITY_STATUSES),
    ],
)
def test_literals_match_the_model_enums(literal: object, values: tuple[str, ...]) -> None:
    assert get_args(literal) == values


def test_routes_are_deduplicated_in_a_stable_order() -> None:
    account = schemas.AccountUpdate.model_validate(
        {"routes_to_market": ["programs", "channel", "programs"]}
    )
    assert account.routes_to_market == ["channel", "programs"]
