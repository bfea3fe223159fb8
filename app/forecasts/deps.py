"""Request-scoped helpers shared by the forecast and pipeline routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.session import AppSettings
from app.forecasts.fiscal import PERIOD_PATTERN

__all__ = ["AppSettings", "PeriodQuery"]

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=PERIOD_PATTERN,
        description="`FY2027` or `FY2027-Q1` under the fiscal calendar setting; defaults to the "
        "current fiscal quarter in ENGAGE_TIMEZONE. Malformed or impossible -> 422.",
    ),
]
