"""The shape of the territory analysis (API.md section 3)."""

from __future__ import annotations

import uuid

from pydantic import Field

from app.core.enums import AccountType
from app.core.enums import AnalysisStatus
from app.core.enums import Vertical
from app.core.schemas import ResponseModel

RATIO = "green / (green + yellow + red) over leaf units, 4 places; null when that is 0."


class UnitCounts(ResponseModel):
    green: int
    yellow: int
    red: int
    none: int


class AnalysisAccount(ResponseModel):
    id: uuid.UUID
    name: str
    vertical: Vertical
    account_type: AccountType
    units: UnitCounts = Field(description="Leaf units by adoption.")
    green_ratio: float | None = Field(description=RATIO)
    status: AnalysisStatus


class AnalysisTotals(ResponseModel):
    green: int
    yellow: int
    red: int
    none: int
    green_ratio: float | None = Field(description=RATIO)


class TopVertical(ResponseModel):
    vertical: Vertical
    accounts: int
    devops_headcount: int = Field(description="Sum over the accounts' leaf units.")


class VerticalRoutes(ResponseModel):
    vertical: Vertical
    direct: int
    channel: int
    programs: int


class Mix(ResponseModel):
    net_new: int
    customer: int


class Conversions(ResponseModel):
    last_30_days: int
    last_90_days: int
    last_365_days: int


class Analysis(ResponseModel):
    territory_id: uuid.UUID
    accounts: list[AnalysisAccount]
    totals: AnalysisTotals
    top_verticals: list[TopVertical]
    routes_to_market: list[VerticalRoutes]
    mix: Mix
    conversions: Conversions
