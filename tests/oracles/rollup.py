"""Oracle of the forecast roll-up (API.md section 8): the figures over the deals of one period,
added up in Python from the rules of `app.forecasts.rules`. The application computes them in
SQL (`app.forecasts.repository`); the tests compare the two."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal

from app.core.enums import StageSlug
from app.forecasts.rules import expected_loss
from app.forecasts.rules import is_pipeline
from app.forecasts.rules import measure
from app.forecasts.rules import realised_loss

ZERO = Decimal(0)
_RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class DealFacts:
    """What the roll-up needs of one opportunity whose close date is in the period."""

    type: str
    stage: str
    forecast_category: str
    amount: Decimal | None
    renewal_arr: Decimal | None
    renewal_loss_amount: Decimal | None
    renewal_forecast_category: str | None

    @property
    def measure(self) -> Decimal:
        return measure(self.type, self.amount, self.renewal_arr)

    @property
    def realised_loss(self) -> Decimal:
        return realised_loss(self.type, self.stage, self.amount, self.renewal_arr)

    @property
    def expected_loss(self) -> Decimal:
        return expected_loss(self.type, self.amount, self.renewal_arr, self.renewal_loss_amount)


@dataclass(frozen=True)
class RollupFigures:
    """The `figures` object of a forecast roll-up."""

    closed_won: Decimal
    realised_renewal_loss: Decimal
    net_closed: Decimal
    gross_commit: Decimal
    gross_best_case: Decimal
    renewal_loss_commit: Decimal
    renewal_loss_best_case: Decimal
    net_commit: Decimal
    net_best_case: Decimal
    quota: Decimal | None
    gap_to_quota_commit: Decimal | None
    gap_to_quota_best_case: Decimal | None
    attainment: float | None


def rollup(deals: Iterable[DealFacts], quota: Decimal | None) -> RollupFigures:
    closed_won = realised = open_commit = open_best_case = ZERO
    loss_commit = loss_best_case = ZERO
    for deal in deals:
        if deal.stage == StageSlug.CLOSED_WON:
            closed_won += deal.measure
        realised += deal.realised_loss
        if is_pipeline(deal.stage):
            if deal.forecast_category == "commit":
                open_commit += deal.measure
            elif deal.forecast_category == "best_case":
                open_best_case += deal.measure
            if deal.renewal_forecast_category == "commit":
                loss_commit += deal.expected_loss
            elif deal.renewal_forecast_category == "best_case":
                loss_best_case += deal.expected_loss
    gross_commit = closed_won + open_commit
    gross_best_case = gross_commit + open_best_case
    renewal_loss_commit = realised + loss_commit
    renewal_loss_best_case = renewal_loss_commit + loss_best_case
    net_commit = gross_commit - renewal_loss_commit
    net_best_case = gross_best_case - renewal_loss_best_case
    net_closed = closed_won - realised
    attainment = None
    if quota is not None and quota != ZERO:
        # ROUND_HALF_UP rounds half away from zero, as PostgreSQL's round(numeric, 4) does.
        attainment = float((net_closed / quota).quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP))
    return RollupFigures(
        closed_won=closed_won,
        realised_renewal_loss=realised,
        net_closed=net_closed,
        gross_commit=gross_commit,
        gross_best_case=gross_best_case,
        renewal_loss_commit=renewal_loss_commit,
        renewal_loss_best_case=renewal_loss_best_case,
        net_commit=net_commit,
        net_best_case=net_best_case,
        quota=quota,
        gap_to_quota_commit=None if quota is None else quota - net_commit,
        gap_to_quota_best_case=None if quota is None else quota - net_best_case,
        attainment=attainment,
    )
