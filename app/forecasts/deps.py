"""Request-scoped helpers shared by the forecast and pipeline routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.core.config import Settings
from app.forecasts.fiscal import PERIOD_PATTERN


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=PERIOD_PATTERN,
        description="`FY2027` or `FY2027-Q1` under the fiscal calendar setting; defaults to the "
        "current fiscal quarter in ENGAGE_TIMEZONE. Malformed or impossible -> 422.",
    ),
]
