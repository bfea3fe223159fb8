"""/settings/fiscal, /quotas/{user_id}/{period}, /forecasts/rollup and /forecasts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi import Depends
from fastapi import Path
from fastapi import Query
from fastapi import Response

from app.core.http import IfMatch
from app.core.http import set_created
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.query_lists import AnyOf
from app.core.routes import computed
from app.core.routes import settings_routes
from app.core.security import HumanPrincipal
from app.core.security import Principal
from app.core.security import require_roles
from app.core.session import Session
from app.forecasts import service
from app.forecasts.deps import AppSettings
from app.forecasts.deps import ReportParams
from app.forecasts.fiscal import PERIOD_PATTERN
from app.forecasts.schemas import FiscalSettingsUpdate
from app.forecasts.schemas import Forecast
from app.forecasts.schemas import ForecastAccuracy
from app.forecasts.schemas import ForecastCreate
from app.forecasts.schemas import ForecastPage
from app.forecasts.schemas import Quota
from app.forecasts.schemas import QuotaPut
from app.forecasts.schemas import Rollup

router = APIRouter(tags=["forecasts"])

AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]
QuotaSetter = Annotated[Principal, Depends(require_roles("admin", "manager"))]
PeriodPath = Annotated[
    str,
    Path(
        description="`FY2027` or `FY2027-Q1`; a malformed or impossible period answers 422 "
        "(field `path.period`).",
    ),
]


# --- fiscal calendar ---------------------------------------------------------------------


settings_routes(
    router,
    "/settings/fiscal",
    service.FISCAL,
    FiscalSettingsUpdate,
    names=("get_fiscal", "put_fiscal"),
    descriptions=(
        "The fiscal calendar: the month the fiscal year starts in (default 1). Readable by "
        "every human role.",
        "Admins only. Replaces the document; honours `If-Match`. Periods keep their labels: "
        "changing the start month moves every period's dates.",
    ),
)


# --- quotas ------------------------------------------------------------------------------


@router.get(
    "/quotas/{user_id}/{period}",
    operation_id="quotas-get",
    response_model=Quota,
    description="The user's effective quota for the period, visible to the user, their managers "
    "and admins. A manager without an explicit quota has the sum of their direct reports' "
    "effective quotas (`explicit: false`, `version: 0`); `amount` is null when there is none. "
    "Quotas are per period label: a quarter's quota and its fiscal year's are set separately.",
)
async def get_quota(
    user_id: uuid.UUID,
    period: PeriodPath,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    response: Response,
) -> Quota:
    quota = await service.get_quota(
        session, principal, user_id, period, settings.tz, settings.currency
    )
    set_etag(response, quota.version)
    return quota


@router.put(
    "/quotas/{user_id}/{period}",
    operation_id="quotas-put",
    response_model=Quota,
    responses={201: {"model": Quota, "description": "The explicit quota was created."}},
    description="Sets the user's explicit quota. Admins may set anyone's; a manager only for "
    "users strictly below them (their own -> 403; someone outside their subtree -> 404). Reps "
    "and integrations -> 403. 201 when the user had no explicit quota for the period, else 200. "
    '`If-Match` names the version read (`"0"` while none was set).',
)
async def put_quota(
    user_id: uuid.UUID,
    period: PeriodPath,
    body: QuotaPut,
    principal: QuotaSetter,
    session: Session,
    settings: AppSettings,
    response: Response,
    if_match: IfMatch = None,
) -> Quota:
    quota, created = await service.put_quota(
        session,
        principal,
        user_id,
        period,
        body.amount,
        if_match,
        settings.tz,
        settings.currency,
    )
    if created:
        response.status_code = 201
        set_created(response, f"/api/v1/quotas/{user_id}/{quota.period}", quota.version)
    else:
        set_etag(response, quota.version)
    return quota


@router.delete(
    "/quotas/{user_id}/{period}",
    operation_id="quotas-delete",
    status_code=204,
    description="Removes the explicit quota, so a manager's quota rolls up from their reports "
    "again. Same permissions as PUT; 404 when there is no explicit quota.",
)
async def delete_quota(
    user_id: uuid.UUID,
    period: PeriodPath,
    principal: QuotaSetter,
    session: Session,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_quota(session, principal, user_id, period, if_match, settings.tz)
    return Response(status_code=204)


# --- roll-up -----------------------------------------------------------------------------


computed(
    router,
    "/forecasts/rollup",
    service.rollup,
    Rollup,
    name="get_rollup",
    params={"query": ReportParams},
    operation_id="forecasts-rollup",
    description="Forecast figures (API.md section 8) over the opportunities whose close_date "
    "falls in the period, owned by the owner or anyone below them, each direct report's subtree "
    "broken out. Won = stage closed_won, lost = stage lost (unqualified and duplicate count "
    "nothing), open = the pipeline stages 1-6 with their forecast_category (stage 0, pending "
    "acceptance, is not pipeline and counts nothing). Computed in SQL with exact decimals.",
)


# --- weekly submissions ------------------------------------------------------------------


@router.post(
    "/forecasts",
    operation_id="forecasts-create",
    status_code=201,
    response_model=Forecast,
    dependencies=[Idempotent],
    description="The caller's weekly call (a manager's is their team call) for the fiscal "
    "quarter or year containing today (ENGAGE_TIMEZONE) or the next quarter; any other period "
    "-> 422 `not_open` on `period`. The server derives net_commit, net_best_case and `week` "
    "(ISO week in ENGAGE_TIMEZONE) and keeps `system`, the caller's roll-up figures for the "
    "period at that moment. 422 unless "
    "gross_best_case >= gross_commit >= 0, renewal_loss_best_case >= renewal_loss_commit >= 0 "
    "and net_most_likely lies between the two nets. One submission per owner, period and week: "
    "a second in the same week replaces the first and still answers 201 with the replaced "
    "submission (same id, version + 1); earlier weeks stay.",
)
async def create_forecast(
    body: ForecastCreate,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    response: Response,
) -> Forecast:
    forecast = await service.submit(session, principal, body, settings.tz, settings.currency)
    set_created(response, f"/api/v1/forecasts/{forecast.id}", forecast.version)
    return forecast


@router.get(
    "/forecasts",
    operation_id="forecasts-list",
    response_model=ForecastPage,
    description="Weekly submissions, newest first (week, then submission time). Reps see their "
    "own, managers their subtree's, admins all; `owner_id` narrows to one person (invisible -> "
    "422), `period` to one period. `change` compares with the same owner's previous submission "
    "for the period (the latest from an earlier week); `team_sum` (managers' calls) sums each "
    "direct report's latest call for the period in that week or before.",
)
async def list_forecasts(
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    page: Page,
    period: Annotated[
        str | None,
        Query(
            max_length=10,
            pattern=PERIOD_PATTERN,
            description="Only submissions for this period (`FY2027` or `FY2027-Q1`).",
        ),
    ] = None,
    owner_id: AnyOf[uuid.UUID] = None,
    updated_after: Annotated[
        datetime | None,
        Query(description="Only submissions created or replaced after this time."),
    ] = None,
) -> ForecastPage:
    items, cursor = await service.list_submissions(
        session, principal, period, owner_id, updated_after, page, settings.tz, settings.currency
    )
    return ForecastPage(items=items, next_cursor=cursor)


computed(
    router,
    "/forecasts/accuracy",
    service.accuracy,
    ForecastAccuracy,
    name="get_accuracy",
    params={"query": ReportParams},
    operation_id="forecasts-accuracy",
    description="The owner's track record for a period (API.md section 14): each weekly call "
    "(net commit, net 50/50, net best case, and what the roll-up's net_commit said when it was "
    "made) against `actual_net_closed`, the roll-up's net_closed now (a manager's covers their "
    "subtree), with `error_most_likely` = net_most_likely - actual_net_closed per week and "
    "their mean absolute error. `final` turns true once the period has ended. Visible like "
    "the roll-up: an owner the caller cannot see -> 422 `not_found`.",
)


@router.get(
    "/forecasts/{forecast_id}",
    operation_id="forecasts-get",
    response_model=Forecast,
)
async def get_forecast(
    forecast_id: uuid.UUID,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    response: Response,
) -> Forecast:
    forecast = await service.get_submission(session, principal, forecast_id, settings.currency)
    set_etag(response, forecast.version)
    return forecast
