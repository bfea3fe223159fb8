"""/custom-fields: admin-defined fields of leads, contacts, accounts and opportunities. Every
role reads the definitions (clients need them to write values); only admins change them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.core.http import IfMatch, created, page_of, tagged
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.security import AdminPrincipal, CurrentPrincipal
from app.core.session import Session
from app.custom_fields import service
from app.custom_fields.schemas import (
    CUSTOM_FIELD_SORTS,
    CustomField,
    CustomFieldCreate,
    CustomFieldFilters,
    CustomFieldPage,
    CustomFieldUpdate,
)

router = APIRouter(tags=["custom-fields"])


@router.post(
    "/custom-fields",
    operation_id="custom-fields-create",
    status_code=201,
    response_model=CustomField,
    dependencies=[Idempotent],
    description="Define a field (admins). `key` is unique per object (409 `duplicate`) and "
    "immutable; `options` only for `select` and `multi_select`; at most 100 fields per object "
    "(422 `limit`). Records then carry it in `custom`.",
)
async def create_field(
    body: CustomFieldCreate, principal: AdminPrincipal, session: Session, response: Response
) -> CustomField:
    field = await service.create_field(session, body)
    return created(response, CustomField, field, f"/api/v1/custom-fields/{field.id}")


@router.get(
    "/custom-fields",
    operation_id="custom-fields-list",
    response_model=CustomFieldPage,
    description="The definitions (every role). Sort: `created_at` (default), `key`; `-` for "
    "descending.",
)
async def list_fields(
    principal: CurrentPrincipal,
    session: Session,
    filters: Annotated[CustomFieldFilters, Depends()],
    sort: str = CUSTOM_FIELD_SORTS.param,
    *,
    page: Page,
) -> CustomFieldPage:
    rows, cursor = await service.list_fields(session, principal, page, filters, sort)
    return page_of(CustomFieldPage, rows, cursor)


@router.get(
    "/custom-fields/{field_id}", operation_id="custom-fields-get", response_model=CustomField
)
async def get_field(
    field_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> CustomField:
    return tagged(response, CustomField, await service.get_field(session, principal, field_id))


@router.patch(
    "/custom-fields/{field_id}",
    operation_id="custom-fields-update",
    response_model=CustomField,
    description="JSON Merge Patch (admins): `label`, `options` (adding is free; removing an "
    "option some record still holds: 409), `required`, `archived` (an archived field leaves "
    "`custom` and refuses writes; its stored values stay). `key`, `object`, `type`: 422 "
    "`read_only`.",
)
async def update_field(
    field_id: uuid.UUID,
    body: CustomFieldUpdate,
    principal: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> CustomField:
    field = await service.update_field(session, principal, field_id, body, if_match)
    return tagged(response, CustomField, field)


@router.delete(
    "/custom-fields/{field_id}",
    operation_id="custom-fields-delete",
    status_code=204,
    description="Remove the definition and its values from every record (admins).",
)
async def delete_field(
    field_id: uuid.UUID, principal: AdminPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.delete_field(session, principal, field_id, if_match)
    return Response(status_code=204)
