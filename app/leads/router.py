"""/leads (with batch, CSV import, upsert by external id, touches and conversion),
/follow-up and /settings/cadence."""

from __future__ import annotations

import uuid
from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Header
from fastapi import Path
from fastapi import Request
from fastapi import Response

from app.accounts.schemas import Account
from app.contacts.schemas import Contact
from app.core.enums import Expansion
from app.core.errors import PayloadTooLarge
from app.core.expand import expand_param
from app.core.http import IfMatch
from app.core.http import json_document
from app.core.http import set_created
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.query_lists import built
from app.core.routes import Resource
from app.core.routes import settings_routes
from app.core.security import CurrentPrincipal
from app.core.security import HumanPrincipal
from app.core.session import AppSettings
from app.core.session import Session
from app.custom_fields.schemas import CUSTOM_FILTER_HELP
from app.custom_fields.schemas import CustomQuery
from app.leads import batch
from app.leads import convert
from app.leads import csv_import
from app.leads import service
from app.leads.schemas import FOLLOW_UP_SORTS
from app.leads.schemas import LEAD_SORTS
from app.leads.schemas import MAX_BATCH_ITEMS
from app.leads.schemas import TOUCH_SORTS
from app.leads.schemas import BatchResult
from app.leads.schemas import CadenceUpdate
from app.leads.schemas import ConvertRequest
from app.leads.schemas import ConvertResult
from app.leads.schemas import FollowUpFilters
from app.leads.schemas import FollowUpItem
from app.leads.schemas import FollowUpPage
from app.leads.schemas import Lead
from app.leads.schemas import LeadBatch
from app.leads.schemas import LeadCreate
from app.leads.schemas import LeadFilters
from app.leads.schemas import LeadPage
from app.leads.schemas import LeadUpdate
from app.leads.schemas import LeadUpsert
from app.leads.schemas import OnDuplicate
from app.leads.schemas import Touch
from app.leads.schemas import TouchCreate
from app.leads.schemas import TouchPage
from app.opportunities import service as opportunities
from app.opportunities.schemas import Opportunity

router = APIRouter(tags=["leads"])
leads = Resource(router, "/leads", Lead, CurrentPrincipal, name="lead")

LEAD_EXPANSIONS = expand_param(Expansion.OWNER, Expansion.ACCOUNT)
FOLLOW_UP_EXPANSIONS = expand_param(Expansion.OWNER)

ExternalIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f\x7f-\x9f]+$",
        description="The integration's own id for the lead, unique per `source`.",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=100,
        description="`*`: create only; 412 when a lead with this external_id exists.",
    ),
]


def _lead(response: Response, lead: Any) -> Lead:
    set_etag(response, lead.version)
    return Lead.model_validate(lead)


leads.create(
    service.create_lead,
    LeadCreate,
    description="Any role creates leads. `source` is the integration's slug, or `manual`. "
    "Routing: a lead whose domain matches an account's gets that `account_id`, and the "
    "account's territory owner as `owner_id` by default; otherwise the creating person (an "
    "integration's lead stays unassigned). An open lead with the same email "
    "(case-insensitively) answers 409 `duplicate` with `existing_id`.",
)


leads.list(
    service.list_leads,
    LeadPage,
    params={
        "filters": Annotated[LeadFilters, built(LeadFilters)],
        "sort": (str, LEAD_SORTS.param),
        "page": Page,
        "custom": CustomQuery,
        "expand": (Any, LEAD_EXPANSIONS),
    },
    description="Leads you can see (an integration: the ones it created). `q` matches name, "
    "email and company: every word, whole or as a prefix, case-insensitively (as "
    "`GET /search`). Sort: `created_at` (default), "
    "`updated_at`, `received_at`, `-` for descending. `expand=owner,account` adds each "
    "lead's owner and account summaries. `owner_id=none` lists unassigned leads (alone or "
    "beside owner ids: `owner_id=none,<id>`). An owner, account or activity id you cannot "
    "see -> 422 `not_found`." + CUSTOM_FILTER_HELP,
)


@router.post(
    "/leads/batch",
    operation_id="leads-batch",
    response_model=BatchResult,
    dependencies=[Idempotent],
    description="Up to 1000 leads, each validated and judged alone, results in item order. "
    "`created`; `updated` (its `external_id` existed for your source: only the fields sent "
    "are written, never status, owner or account); `duplicate` (an open lead has the email, or "
    "an earlier item of the batch had it); `merged` (with `on_duplicate: merge`: the existing "
    "lead's empty fields were filled); `invalid` (see `errors`). More than 1000 items: 413.",
)
async def batch_leads(body: LeadBatch, principal: CurrentPrincipal, session: Session) -> Response:
    if len(body.items) > MAX_BATCH_ITEMS:
        raise PayloadTooLarge(f"A batch holds at most {MAX_BATCH_ITEMS} items; split it.")
    done = await batch.run(session, principal, body.items, body.on_duplicate, walked=True)
    return json_document(done.document())


@router.post(
    "/leads/import",
    operation_id="leads-import",
    response_model=BatchResult,
    dependencies=[Idempotent],
    description="A `text/csv` file (UTF-8, RFC 4180) whose header row names lead fields (as in "
    "`LeadCreate`; empty cells are absent), at most 10,000 data rows and 5 MiB. Answers as "
    "`POST /leads/batch`, with `index` the data row number from 1. Bad encoding, no header or "
    "an unknown column: 422 before any row is stored. More rows: 413. `custom.<key>` columns "
    "carry custom field values as text (numbers as written, booleans `true`/`false`, a "
    "multi_select's options separated by `;`); a column naming no active lead custom field is "
    "an unknown column (422 `unknown_column`, or `archived`); a bad value makes that row "
    "`invalid` at `custom.<key>`. Cells are stored as sent, never rewritten: a value starting "
    "with `=`, `+`, `-` or `@` is kept as text here but a spreadsheet opening an export of it "
    "may run it as a formula, so whoever exports leads to CSV should escape such cells.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "maxLength": 5 * 1024 * 1024},
                    "example": "email,first_name,last_name,company\n"
                    "ann@example.com,Ann,Lee,Example Inc\n",
                }
            },
        }
    },
)
async def import_leads(
    request: Request,
    principal: CurrentPrincipal,
    session: Session,
    on_duplicate: OnDuplicate = "skip",
) -> Response:
    done = await csv_import.import_rows(session, principal, await request.body(), on_duplicate)
    return json_document(done.document())


@router.get(
    "/leads/external/{external_id}",
    operation_id="leads-get-external",
    response_model=Lead,
    description="The lead with this `external_id` for your source (`manual` for people).",
)
async def get_external(
    external_id: ExternalIdPath, principal: CurrentPrincipal, session: Session, response: Response
) -> Lead:
    return _lead(response, await service.get_external(session, principal, external_id))


@router.put(
    "/leads/external/{external_id}",
    operation_id="leads-upsert-external",
    response_model=Lead,
    responses={201: {"model": Lead, "description": "Created."}},
    description="Upsert by (your source, `external_id`): 201 created or 200 updated. An update "
    "writes only the fields sent (null clears) and never `status`, `owner_id` or `account_id` "
    "(ignored when sent); a converted or disqualified lead answers 409. `If-None-Match: *` "
    "means create only (412 when it exists); `If-Match` applies to the existing lead.",
)
async def upsert_external(
    external_id: ExternalIdPath,
    body: LeadUpsert,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Lead:
    lead, created = await service.upsert_external(
        session, principal, external_id, body, if_match, if_none_match
    )
    if created:
        response.status_code = 201
        set_created(response, f"/api/v1/leads/{lead.id}", lead.version)
        return Lead.model_validate(lead)
    return _lead(response, lead)


leads.read(
    service.get_lead.expanded,
    params={"expand": (Any, LEAD_EXPANSIONS)},
    description="A lead you can see; `expand=owner,account` adds their summaries.",
)


leads.update(
    service.update_lead,
    LeadUpdate,
    description="JSON Merge Patch. `status` `converted` only via `/convert`; a converted lead no "
    "longer changes (409). `owner_id` changes only by a manager of both the old and the new "
    "owner (an unassigned side needs nothing), or an admin (else 403). Integrations: 403.",
)


# ---- touches --------------------------------------------------------------------------------


@router.post(
    "/leads/{lead_id}/touches",
    operation_id="leads-touches-create",
    status_code=201,
    response_model=Touch,
    dependencies=[Idempotent],
    description="Record a touch. The lead's `touch_count` and `last_touch_at` follow every "
    "touch, and its first outbound touch sets `first_response_at` (all in SQL). People only.",
)
async def create_touch(
    lead_id: uuid.UUID,
    body: TouchCreate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
) -> Touch:
    touch = await service.add_touch(session, principal, lead_id, body)
    set_created(response, f"/api/v1/leads/{lead_id}/touches/{touch.id}", 1)
    return Touch.model_validate(touch)


leads.children(
    "/touches",
    service.list_touches,
    TouchPage,
    name="list_touches",
    operation_id="leads-touches-list",
    params={"sort": (str, TOUCH_SORTS.param), "page": Page},
    principal=HumanPrincipal,
    description="Sort: `occurred_at` (default) or `-occurred_at`.",
)


@router.get(
    "/leads/{lead_id}/touches/{touch_id}", operation_id="leads-touches-get", response_model=Touch
)
async def get_touch(
    lead_id: uuid.UUID, touch_id: uuid.UUID, principal: HumanPrincipal, session: Session
) -> Touch:
    return Touch.model_validate(await service.get_touch(session, principal, lead_id, touch_id))


# ---- conversion -----------------------------------------------------------------------------


@router.post(
    "/leads/{lead_id}/convert",
    operation_id="leads-convert",
    response_model=ConvertResult,
    dependencies=[Idempotent],
    description="Convert the lead into a contact of an account: the lead's account, else "
    "`account_id`, else the account with the lead's domain, else a new account from its "
    "company and domain in `territory_id` (default: the owner's only territory; 422 when "
    "there is none or several). Reuses the account's contact with the same email. With "
    "`create_opportunity: true` also opens a `pending_acceptance` opportunity (422 listing "
    "the failed criteria unless the lead's latest qualification passes authority, initiative "
    "and fit). Atomic: a failure leaves nothing behind. Converting again: 409. People only. "
    "The records a conversion creates carry no custom values, and `required` custom fields "
    "do not hold it up (the request has no way to give them).",
)
async def convert_lead(
    lead_id: uuid.UUID,
    body: ConvertRequest,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> ConvertResult:
    done = await convert.convert_lead(session, principal, lead_id, body, if_match)
    opportunity = None
    if done.opportunity is not None:
        _, document = await opportunities.get_document(
            session, principal, done.opportunity.id, settings.currency
        )
        opportunity = Opportunity.model_validate_json(document)
    return ConvertResult(
        contact=Contact.model_validate(done.contact),
        account=Account.model_validate(done.account),
        opportunity=opportunity,
        lead=Lead.model_validate(done.lead),
    )


# ---- cadence policy and follow-up -----------------------------------------------------------


settings_routes(
    router,
    "/settings/cadence",
    service.CADENCE,
    CadenceUpdate,
    names=("get_cadence", "put_cadence"),
    descriptions=(
        "The follow-up cadence policy (seed step 6). Any person reads it.",
        "Replace the cadence policy (admin; honours `If-Match`).",
    ),
)


@router.get(
    "/follow-up",
    operation_id="follow-up-list",
    response_model=FollowUpPage,
    tags=["leads"],
    description="Your visible open leads with their cadence figures, computed in one SQL query. "
    "`next_action` is the first that applies: `respond` (response overdue), "
    "`send_breakup_email` (at least `touches_per_month` outbound touches over the last "
    "`breakup_after_days` days, no inbound touch in that time, no breakup sent), `touch` (fewer "
    "than `touches_per_month` outbound touches in the last 30 days), `vary_channel` (fewer than "
    '`min_channels` channels in them), `new_content` (repeated content), `none`. "Last N '
    'days" are today and the N-1 days before in ENGAGE_TIMEZONE. A breakup email that no '
    "inbound touch followed closes the cadence: `none`. Each row carries the lead's name, "
    "email, company and status, and `due_at`. Sort: `due_at` (default: most urgent first, no "
    "due date last), `received_at`, `stale_days`, `-` for descending. `expand=owner` adds "
    "the owner's summary.",
)
async def follow_up(
    request: Request,
    principal: HumanPrincipal,
    session: Session,
    filters: Annotated[FollowUpFilters, built(FollowUpFilters)],
    sort: str = FOLLOW_UP_SORTS.param,
    *,
    page: Page,
    expand: Any = FOLLOW_UP_EXPANSIONS,
) -> FollowUpPage:
    tz = request.app.state.settings.timezone
    rows, cursor = await service.follow_up(
        session, principal, tz, page, filters, sort, expand or ()
    )
    return FollowUpPage(
        items=[FollowUpItem.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=cursor,
    )
