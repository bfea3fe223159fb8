"""Idempotency-Key for POSTs, stored in PostgreSQL per principal, method and path for 24 hours.

A POST adopts it with one line: `dependencies=[Idempotent]`. The claim is taken under a
transaction-scoped advisory lock (a concurrent twin gets 409 in flight); the response is
stored by the request middleware in the same transaction as the change it describes.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from dataclasses import replace
from datetime import timedelta
from typing import Annotated
from typing import Any

from fastapi import Depends
from fastapi import Header
from fastapi import Request
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError
from app.core.errors import IdempotencyInFlight
from app.core.errors import IdempotencyMismatch
from app.core.errors import field_error
from app.core.security import CurrentPrincipal
from app.models import IdempotencyRecord

TTL = timedelta(hours=24)
KEY_PATTERN = re.compile(r"^[\x20-\x7e]{1,255}$")
REPLAYED_HEADERS = ("location", "etag", "content-type")
NOT_STORED = frozenset({401, 403, 429})


@dataclass(frozen=True)
class IdempotencyClaim:
    principal_id: uuid.UUID
    method: str
    path: str
    key: str
    body_hash: bytes
    # Fields of the response shown once (a token, a secret): stored as null, so a replay of
    # the creation answers them null and the raw value is never kept.
    conceal: tuple[str, ...] = ()


class IdempotentReplay(AppError):
    """Raised to answer with a stored response; rendered by its own handler."""

    status = 200

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        self.record = record


def _lock_key(claim: IdempotencyClaim) -> int:
    digest = hashlib.sha256(
        f"{claim.principal_id}\x00{claim.method}\x00{claim.path}\x00{claim.key}".encode()
    ).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def claim(session: AsyncSession, claim: IdempotencyClaim) -> IdempotencyRecord | None:
    """Take the key for this transaction; the stored record when it was used before."""
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(claim))))
    if not locked:
        raise IdempotencyInFlight()
    scope = (
        (IdempotencyRecord.principal_id == claim.principal_id)
        & (IdempotencyRecord.method == claim.method)
        & (IdempotencyRecord.path == claim.path)
        & (IdempotencyRecord.key == claim.key)
    )
    await session.execute(
        delete(IdempotencyRecord).where(scope, IdempotencyRecord.expires_at <= func.now())
    )
    return await session.scalar(select(IdempotencyRecord).where(scope))


async def store(
    session: AsyncSession,
    claim: IdempotencyClaim,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    kept = {k: v for k, v in headers.items() if k in REPLAYED_HEADERS}
    if claim.conceal and status < 400:
        document = json.loads(body)
        document.update(dict.fromkeys(claim.conceal))
        body = json.dumps(document, separators=(",", ":")).encode()
    await session.execute(
        insert(IdempotencyRecord)
        .values(
            principal_id=claim.principal_id,
            method=claim.method,
            path=claim.path,
            key=claim.key,
            body_hash=claim.body_hash,
            status_code=status,
            response_headers=kept,
            response_body=body,
            expires_at=func.now() + TTL,
        )
        .on_conflict_do_nothing()
    )


def replay_headers(record: IdempotencyRecord) -> dict[str, str]:
    headers: dict[str, Any] = dict(record.response_headers)
    headers["idempotent-replayed"] = "true"
    return {str(k): str(v) for k, v in headers.items()}


async def idempotency_key(
    request: Request,
    principal: CurrentPrincipal,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=(
                "1-255 printable ASCII characters. Repeating a POST with the same key and body "
                "within 24 h replays the first response (`Idempotent-Replayed: true`)."
            ),
        ),
    ] = None,
) -> None:
    if key is None:
        return
    if not KEY_PATTERN.fullmatch(key):
        raise field_error(
            "header.idempotency-key", "invalid", "Idempotency-Key must be 1-255 printable ASCII."
        )
    body = await request.body()
    taken = IdempotencyClaim(
        principal_id=principal.id,
        method=request.method,
        path=request.url.path,
        key=key,
        body_hash=hashlib.sha256(body).digest(),
    )
    session: AsyncSession = request.state.session
    record = await claim(session, taken)
    if record is not None:
        if record.body_hash != taken.body_hash:
            raise IdempotencyMismatch(
                "This Idempotency-Key was used with a different request body.",
            )
        raise IdempotentReplay(record)
    request.state.idempotency = taken


Idempotent = Depends(idempotency_key)


def shown_once(*fields: str) -> Any:
    """A dependency after `Idempotent`: these response fields are secrets shown once, so the
    stored response holds them as null (a replay answers null)."""

    async def conceal(request: Request) -> None:
        taken = getattr(request.state, "idempotency", None)
        if taken is not None:
            request.state.idempotency = replace(taken, conceal=fields)

    return Depends(conceal)


def problem_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
