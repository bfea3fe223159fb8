"""/pipeline/summary, /pipeline/hygiene, /pipeline/changes and /settings/hygiene."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Depends
from fastapi import Query

from app.core.pagination import Page
from app.core.query_lists import AnyOf
from app.core.routes import computed
from app.core.routes import settings_routes
from app.core.security import HumanPrincipal
from app.core.security import Principal
from app.core.security import require_roles
from app.core.session import Session
from app.forecasts.deps import AppSettings
from app.forecasts.deps import OwnerQuery
from app.forecasts.deps import ReportParams
from app.pipeline import service
from app.pipeline.hygiene import HygieneFlag
from app.pipeline.schemas import HygienePage
from app.pipeline.schemas import HygieneSettingsUpdate
from app.pipeline.schemas import PipelineSummary
from app.pipeline.schemas import Waterfall

router = APIRouter(tags=["pipeline"])

AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]


computed(
    router,
    "/pipeline/summary",
    service.summary,
    PipelineSummary,
    name="get_summary",
    params={"query": ReportParams},
    operation_id="pipeline-summary",
    description="Open opportunities in stages 1-6 whose close_date falls in the period, by "
    "stage (arr = measure: amount, or a renewal's uplift). Coverage is measured against the "
    "effective quota of the requested period (a quarter's quota for a quarter, the fiscal "
    "year's for a year): `coverage` = pipeline_arr / (quota - net_closed), null with "
    "`quota_attained: true` when that is <= 0; `coverage_of_quota` = pipeline_arr / quota. The "
    "seed's target band is 2.5-3.0.",
)


@router.get(
    "/pipeline/hygiene",
    operation_id="pipeline-hygiene",
    response_model=HygienePage,
    description="Pipeline opportunities (stages 1-6) of the owner (a manager: their subtree) "
    "with at least one flag, most flags first, and those in stage 0 (not pipeline) only with "
    "`pending_acceptance_too_long`. `stale`: open (since sales acceptance, else "
    "creation) longer than the average sales cycle; `no_next_step`: neither next_step nor "
    "next_step_at; `next_step_overdue`: next_step_at's date (ENGAGE_TIMEZONE) before today; "
    "`close_date_past`: close_date before today; `stuck_in_stage`: in a stage 1-6 longer than "
    "stuck_in_stage_days; `pending_acceptance_too_long`: in stage 0 longer than "
    "pending_acceptance_days; `command_plan_stale`: stage >= 1 and no command-plan change "
    "within command_plan_stale_days. `flag=` keeps the items with that flag (with any of "
    "several: `flag=stale,no_next_step`).",
)
async def get_hygiene(
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    page: Page,
    owner_id: OwnerQuery = None,
    flag: AnyOf[HygieneFlag] = None,
) -> HygienePage:
    return await service.hygiene(session, principal, owner_id, flag, page, settings.tz)


SINCE = Annotated[
    str,
    Query(
        max_length=40,
        description="A date (the start of that day in ENGAGE_TIMEZONE) or an RFC 3339 timestamp; "
        "not in the future.",
        examples=["2026-10-01"],
    ),
]

settings_routes(
    router,
    "/settings/hygiene",
    service.HYGIENE,
    HygieneSettingsUpdate,
    names=("get_hygiene_settings", "put_hygiene_settings"),
    descriptions=(
        "Hygiene thresholds in days. Readable by every human role.",
        "Admins only. Replaces the thresholds (each 1-3650 days); honours `If-Match`.",
    ),
)


computed(
    router,
    "/pipeline/changes",
    service.changes,
    Waterfall,
    name="get_changes",
    params={"since": SINCE, "query": ReportParams},
    operation_id="pipeline-changes",
    description="Waterfall of the period's open pipeline (stages 1-6, close_date in the period) "
    "between `since` and now, reconstructed from the opportunity history (stage, amount, "
    "close_date). arr is the measure. `starting` + `created` + `pulled_in` - `pushed_out` + "
    "`increased` - `decreased` - `won` - `lost` = `ending` (arr). An opportunity in the period "
    "at `since` shows its change of arr in increased/decreased and, if it left, leaves at its "
    "arr now (won, lost - including unqualified and duplicate - or pushed_out when its close "
    "date moved out or it went back to stage 0); one that entered shows in created (new since, "
    "reopened, or accepted out of stage 0) or pulled_in (close date moved in) at its arr now, "
    "and also in won/lost if it closed in the period. `ending` equals the pipeline summary's "
    "`pipeline_arr` for the same period and owner. Opportunities are scoped by their current "
    "owner.",
)
