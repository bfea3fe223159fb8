"""Request-scoped helpers shared by the forecast and pipeline routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from fastapi import Query

from app.core.session import AppSettings
from app.forecasts.fiscal import PERIOD_PATTERN
from app.forecasts.schemas import ReportQuery

__all__ = ["AppSettings", "OwnerQuery", "PeriodQuery", "ReportParams"]

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=PERIOD_PATTERN,
        description="`FY2027` or `FY2027-Q1` under the fiscal calendar setting; defaults to the "
        "current fiscal quarter in ENGAGE_TIMEZONE. Malformed or impossible -> 422.",
    ),
]
OwnerQuery = Annotated[
    uuid.UUID | None,
    Query(
        description="Whose figures: defaults to the caller; a manager's cover their whole "
        "subtree; someone the caller cannot see -> 422 `not_found`."
    ),
]


async def report_query(
    settings: AppSettings, period: PeriodQuery = None, owner_id: OwnerQuery = None
) -> ReportQuery:
    return ReportQuery(period, owner_id, settings.tz, settings.currency)


ReportParams = Annotated[ReportQuery, Depends(report_query)]
