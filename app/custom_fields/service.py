"""Custom field definitions (API.md section 13) and the values of the four resources that
carry them: definitions are read once per request (cached on the session) and every write of
`custom` is checked against them by the pure rules."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import CUSTOM
from app.core.changes import STORED_CUSTOM
from app.core.enums import CustomFieldType
from app.core.errors import FieldError
from app.core.errors import InUse
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.custom_fields.repository import MODELS
from app.custom_fields.repository import CustomFieldRepository
from app.custom_fields.rules import MAX_FIELDS_PER_OBJECT
from app.custom_fields.rules import BadValue
from app.custom_fields.rules import Definitions
from app.custom_fields.rules import FieldSpec
from app.custom_fields.rules import check_values
from app.custom_fields.rules import filter_values
from app.custom_fields.rules import merged
from app.custom_fields.rules import options_problems
from app.custom_fields.schemas import CustomFieldCreate
from app.custom_fields.schemas import CustomFieldFilters
from app.custom_fields.schemas import CustomFieldUpdate
from app.models import CustomField
from app.models.base import custom_holds

_CACHE = "custom_field_definitions"
FILTER_PREFIX = "custom."


def _cache(session: AsyncSession) -> dict[str, Definitions]:
    cache: dict[str, Definitions] = session.info.setdefault(_CACHE, {})
    return cache


async def definitions(session: AsyncSession, object_name: str) -> Definitions:
    """The object's definitions, read once per request (a batch of 1,000 items reads once)."""
    cache = _cache(session)
    if object_name not in cache:
        rows = await CustomFieldRepository(session).of_object(object_name)
        cache[object_name] = Definitions(
            {
                f.key: FieldSpec(
                    f.key, CustomFieldType(f.type), tuple(f.options or ()), f.required, f.archived
                )
                for f in rows
            }
        )
    return cache[object_name]


# ---- values ---------------------------------------------------------------------------------


async def values_for_create(
    session: AsyncSession,
    object_name: str,
    sent: Mapping[str, Any] | None,
    *,
    required: bool = True,
) -> dict[str, Any]:
    """The values a new record stores (422 at `custom.<key>` on any problem; with
    `required`, a required field left out is one)."""
    clean, problems = check_values(
        await definitions(session, object_name), sent or {}, creating=required
    )
    _raise(problems)
    return merged({}, clean)


async def values_for_update(
    session: AsyncSession, object_name: str, stored: Mapping[str, Any], sent: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored values after merging `sent` key by key (null clears)."""
    clean, problems = check_values(await definitions(session, object_name), sent, creating=False)
    _raise(problems)
    return merged(stored, clean)


async def take_for_create(
    session: AsyncSession, object_name: str, values: dict[str, Any], *, required: bool = True
) -> None:
    """Replace the API's `custom` in a new record's `values` by the values it stores
    (`custom_values`), or 422 at `custom.<key>`. `required=False` for records the server
    derives (lead conversion), whose request has no way to give custom values."""
    values[STORED_CUSTOM] = await values_for_create(
        session, object_name, values.pop(CUSTOM, None), required=required
    )


async def take_for_update(
    session: AsyncSession, object_name: str, stored: Mapping[str, Any], changes: dict[str, Any]
) -> None:
    """When a patch's `changes` carry `custom`, replace it by the merged stored values
    (`custom_values`; a null key clears it), or 422 at `custom.<key>`."""
    if CUSTOM in changes:
        sent = changes.pop(CUSTOM) or {}
        changes[STORED_CUSTOM] = await values_for_update(session, object_name, stored, sent)


def _raise(problems: list[FieldError]) -> None:
    if problems:
        raise ValidationFailed(
            "Some custom field values are not valid; see `errors`.", errors=problems
        )


async def filter_conditions(
    session: AsyncSession, object_name: str, query: Mapping[str, str]
) -> list[ColumnElement[bool]]:
    """`custom.<key>=a,b` query parameters as `custom @> {"key": a} OR custom @> {"key": b}`
    (served by the GIN index); an unknown key or a bad value is 422 at `query.custom.<key>`."""
    wanted = {k[len(FILTER_PREFIX) :]: v for k, v in query.items() if k.startswith(FILTER_PREFIX)}
    if not wanted:
        return []
    found = await definitions(session, object_name)
    column = MODELS[object_name].custom_values
    conditions = []
    problems = []
    for key, raw in wanted.items():
        path = f"query.custom.{key}"
        spec = found.fields.get(key)
        if spec is None or spec.archived:
            problems.append(FieldError(path, "unknown_field", f"No active custom field {key!r}."))
            continue
        try:
            values = filter_values(spec, raw)
        except BadValue as exc:
            problems.append(FieldError(path, exc.code, str(exc)))
            continue
        conditions.append(custom_holds(column, [{key: v} for v in values]))
    _raise(problems)
    return conditions


# ---- definitions ----------------------------------------------------------------------------


async def create_field(
    session: AsyncSession, principal: Principal, data: CustomFieldCreate
) -> CustomField:
    """Admins only (the route checks the role)."""
    if problems := options_problems(data.type, data.options):
        raise ValidationFailed("The field's options are not valid.", errors=problems)
    fields = CustomFieldRepository(session)
    if await fields.count(data.object) >= MAX_FIELDS_PER_OBJECT:
        raise field_error(
            "object", "limit", f"An object has at most {MAX_FIELDS_PER_OBJECT} custom fields."
        )
    field = CustomField(**data.model_dump())

    async def existing() -> uuid.UUID | None:
        found: uuid.UUID | None = await fields.with_key(data.object, data.key)
        return found

    async with fields.unique(f"{data.object} already has a field {data.key!r}.", existing):
        fields.session.add(field)
    await session.refresh(field)
    _cache(session).pop(data.object, None)
    return field


async def list_fields(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: CustomFieldFilters,
    sort: str,
) -> tuple[list[CustomField], str | None]:
    return await CustomFieldRepository(session).list_page(principal, page, filters, sort)


get_field = Finder(CustomFieldRepository, "No such custom field.")


async def update_field(
    session: AsyncSession,
    principal: Principal,
    field_id: uuid.UUID,
    patch: CustomFieldUpdate,
    if_match: str | None,
) -> CustomField:
    changes = patch.model_dump(exclude_unset=True)
    fields = CustomFieldRepository(session)
    field = await get_field.for_change(session, principal, field_id, if_match)
    if "options" in changes:
        kind = CustomFieldType(field.type)
        if problems := options_problems(kind, changes["options"]):
            raise ValidationFailed("The field's options are not valid.", errors=problems)
        removed = [o for o in field.options or () if o not in changes["options"]]
        if in_use := await fields.options_in_use(field, removed):
            raise InUse(
                f"Options still held by some {field.object}: {', '.join(in_use)}; clear them first."
            )
    await fields.apply_patch(field, changes)
    _cache(session).pop(field.object, None)
    return field


async def delete_field(
    session: AsyncSession, principal: Principal, field_id: uuid.UUID, if_match: str | None
) -> None:
    """The definition goes, and so do its values on every record (one UPDATE)."""
    fields = CustomFieldRepository(session)
    field = await get_field.for_change(session, principal, field_id, if_match)
    await fields.remove_values(field.object, field.key)
    object_name = field.object
    await fields.delete(field)
    _cache(session).pop(object_name, None)
