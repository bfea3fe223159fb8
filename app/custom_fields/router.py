"""/custom-fields: admin-defined fields of leads, contacts, accounts and opportunities. Every
role reads the definitions (clients need them to write values); only admins change them."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.routes import Resource
from app.core.security import AdminPrincipal
from app.core.security import CurrentPrincipal
from app.custom_fields import service
from app.custom_fields.schemas import CUSTOM_FIELD_SORTS
from app.custom_fields.schemas import CustomField
from app.custom_fields.schemas import CustomFieldCreate
from app.custom_fields.schemas import CustomFieldFilters
from app.custom_fields.schemas import CustomFieldPage
from app.custom_fields.schemas import CustomFieldUpdate

router = APIRouter(tags=["custom-fields"])
fields = Resource(router, "/custom-fields", CustomField, AdminPrincipal, name="field")

fields.create(
    service.create_field,
    CustomFieldCreate,
    description="Define a field (admins). `key` is unique per object (409 `duplicate`) and "
    "immutable; `options` only for `select` and `multi_select`; at most 100 fields per object "
    "(422 `limit`). Records then carry it in `custom`.",
)
fields.list(
    service.list_fields,
    CustomFieldPage,
    filters=CustomFieldFilters,
    sorts=CUSTOM_FIELD_SORTS,
    principal=CurrentPrincipal,
    description="The definitions (every role). Sort: `created_at` (default), `key`; `-` for "
    "descending.",
)
fields.read(service.get_field, principal=CurrentPrincipal)
fields.update(
    service.update_field,
    CustomFieldUpdate,
    description="JSON Merge Patch (admins): `label`, `options` (adding is free; removing an "
    "option some record still holds: 409), `required`, `archived` (an archived field leaves "
    "`custom` and refuses writes; its stored values stay). `key`, `object`, `type`: 422 "
    "`read_only`.",
)
fields.delete(
    service.delete_field,
    description="Remove the definition and its values from every record (admins).",
)
