"""The outbox: `emit` writes a domain event in the caller's transaction (a rolled-back change
emits nothing, a committed one always does) and queues one delivery per subscribed webhook.

Every event carries `data` (API.md section 15): `{from, to}` for stage events, `{from, to,
opportunity_id}` for adoption changes, `{changed: [...]}` for `*.updated` (decided by
`app.core.changes`), `{}` otherwise."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed_fields
from app.core.changes import updated_data
from app.core.enums import EventResource
from app.core.enums import EventType

EVENT_TYPES = tuple(t.value for t in EventType)
RESOURCE_TYPES = tuple(r.value for r in EventResource)
# A subscription to every type, those added later included.
ALL_TYPES = "*"
# Pings go to the pinged subscription only, never to the others that take every type.
NOT_FANNED_OUT = frozenset({EventType.WEBHOOK_PING})


def _written(rows: str) -> str:
    """The WITH item `written`: one event per row of the SELECT `rows` (its columns: the event's
    type, actor, resource type, resource id, resource version and data, in that order)."""
    return (
        "written AS (INSERT INTO events "
        "(type, actor_id, resource_type, resource_id, resource_version, data) "
        f"{rows} RETURNING id)"
    )


# One delivery per active subscription to the event's type (`:type`) of every event written.
_FAN_OUT = """
    INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT w.id, written.id
    FROM written CROSS JOIN webhooks w
    WHERE w.active AND (:type = ANY(w.event_types) OR '*' = ANY(w.event_types))
"""

_EMIT = text(
    "WITH "
    + _written(
        "SELECT :type, :actor_id, :resource_type, r.id, r.version, "
        "COALESCE(CAST(r.data AS jsonb), '{}'::jsonb) "
        "FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[]), CAST(:data AS text[])) "
        "AS r(id, version, data)"
    )
    + _FAN_OUT
)


def created_events_sql(rows: str) -> str:
    """WITH items, to follow the WITH item `rows` (an INSERT ... RETURNING `id` and
    `version`), that write `<resource>.created` for every row it inserted and queue their
    deliveries: in the statement that writes the rows, with no ids sent back and forth (a
    1000-lead batch's separate statement cost the worker 1.3 ms). Parameters:
    `created_events_params`."""
    return (
        _written(
            f"SELECT :type, :actor_id, :resource_type, {rows}.id, {rows}.version, '{{}}'::jsonb "
            f"FROM {rows}"
        )
        + f", fanned_out AS ({_FAN_OUT})"
    )


def created_events_params(
    resource_type: EventResource, actor_id: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "type": f"{resource_type}.created",
        "actor_id": actor_id,
        "resource_type": resource_type,
    }


_EMIT_TO = text(
    "WITH "
    + _written(
        "VALUES (:type, :actor_id, :resource_type, :resource_id, :version, CAST(:data AS jsonb))"
    )
    + " INSERT INTO webhook_deliveries (webhook_id, event_id)"
    " SELECT :webhook_id, written.id FROM written RETURNING id"
)

_EMPTY = "{}"

Data = Mapping[str, Any]


class Record(Protocol):
    """A stored row that events are about: its id and its version (the ETag)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def version(self) -> int: ...


def _encode(data: Data | None) -> str:
    return json.dumps(data, separators=(",", ":"), default=str) if data else _EMPTY


async def emit(
    session: AsyncSession,
    type: str,
    resource_type: str,
    resource_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    resource_version: int | None = None,
    data: Data | None = None,
) -> None:
    await emit_many(session, type, resource_type, [(resource_id, resource_version)], actor_id, data)


async def emit_many(
    session: AsyncSession,
    type: str,
    resource_type: str,
    resources: Sequence[tuple[uuid.UUID, int | None]],
    actor_id: uuid.UUID | None,
    data: Data | Sequence[Data] | None = None,
) -> None:
    """One statement for any number of resources (batch paths stay set-based). `data` is one
    object for every resource, or one per resource in `resources`' order."""
    if not resources:
        return
    if type in NOT_FANNED_OUT:
        raise ValueError(f"{type} events go to one subscription: use emit_to.")
    # unnest pads a shorter array with nulls: no data sent is `{}` for every resource.
    if data is None or isinstance(data, Mapping):
        encoded = [_encode(data)] * len(resources) if data else []
    else:
        encoded = [_encode(d) for d in data]
    await session.execute(
        _EMIT,
        {
            "type": type,
            "actor_id": actor_id,
            "resource_type": resource_type,
            "ids": [r[0] for r in resources],
            "versions": [r[1] for r in resources],
            "data": encoded,
        },
    )


async def emit_created(
    session: AsyncSession, resource_type: EventResource, record: Record, actor_id: uuid.UUID | None
) -> None:
    """`<resource>.created` for a record just added, with its version."""
    await emit(
        session, f"{resource_type}.created", resource_type, record.id, actor_id, record.version
    )


async def emit_update(
    session: AsyncSession,
    resource_type: EventResource,
    resource_id: uuid.UUID,
    resource_version: int | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> None:
    """`<resource>.updated` listing the fields of `after` whose value differs from `before`;
    nothing when none does."""
    await emit_updated(
        session,
        resource_type,
        [(resource_id, resource_version, changed_fields(before, after))],
        actor_id,
    )


async def emit_updated(
    session: AsyncSession,
    resource_type: EventResource,
    changes: Sequence[tuple[uuid.UUID, int | None, Sequence[str]]],
    actor_id: uuid.UUID | None,
) -> None:
    """`<resource>.updated` for each (id, version, changed fields) that changed anything, in
    one statement."""
    real = [c for c in changes if c[2]]
    await emit_many(
        session,
        f"{resource_type}.updated",
        resource_type,
        [(c[0], c[1]) for c in real],
        actor_id,
        [updated_data(c[2]) for c in real],
    )


async def emit_to(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    type: str,
    resource_type: str,
    resource_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    data: Data | None = None,
) -> uuid.UUID:
    """An event delivered to one subscription only (a ping); returns the delivery's id."""
    delivery_id: uuid.UUID | None = await session.scalar(
        _EMIT_TO,
        {
            "type": type,
            "actor_id": actor_id,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "version": None,
            "data": _encode(data),
            "webhook_id": webhook_id,
        },
    )
    assert delivery_id is not None
    return delivery_id
