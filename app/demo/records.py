"""Demo notes, tasks and logged interactions (API.md section 11), through their services:
Riley's account gets a pinned note, a logged call with its contact and an email thread; the
deals get notes and next steps; Riley's task list has something overdue, something due
tomorrow, a personal errand and a finished task; Marketo's email sync logs a reply by address
(with its message id, so a re-sync counts nothing twice)."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.interactions import service as interactions
from app.interactions.schemas import InteractionCreate
from app.notes import service as notes
from app.notes.schemas import NoteCreate
from app.tasks import service as tasks
from app.tasks.schemas import TaskCreate
from app.tasks.schemas import TaskUpdate

if TYPE_CHECKING:
    from app.demo import DemoContext


def _at(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def _first(ctx: DemoContext, key: str) -> uuid.UUID | None:
    value: Any = ctx.ids.get(key)
    if isinstance(value, dict):
        value = list(value.values())
    ids = [v for v in value if isinstance(v, uuid.UUID)] if isinstance(value, list) else []
    return ids[0] if ids else None


async def load_records(session: AsyncSession, ctx: DemoContext) -> None:
    rep, marketo = ctx.principal("rep"), ctx.principal("marketo")
    account, contact = _first(ctx, "accounts"), _first(ctx, "contacts")
    opportunity = _first(ctx, "opportunities")

    async def note(
        subject_type: str, subject_id: uuid.UUID, body: str, pinned: bool = False
    ) -> None:
        data = NoteCreate.model_validate(
            {"subject_type": subject_type, "subject_id": subject_id, "body": body, "pinned": pinned}
        )
        await notes.create(session, rep, data)

    async def task(**fields: Any) -> uuid.UUID:
        created = await tasks.create(session, rep, TaskCreate.model_validate(fields))
        return created.id

    async def log(principal: Any, **fields: Any) -> None:
        await interactions.log(session, principal, InteractionCreate.model_validate(fields))

    if account is not None:
        await note(
            "account",
            account,
            "## Account plan\n\n- **Pain:** releases take three weeks; CI is the bottleneck.\n"
            "- **Champion:** the platform lead, met at the CI meetup.\n"
            "- Next: a CI pilot for the payments team.",
            pinned=True,
        )
        await log(
            rep,
            subject_type="account",
            subject_id=account,
            channel="email",
            direction="inbound",
            occurred_at=_at(days=-2),
            title="Re: CI pilot scope",
            summary="They want the pilot plan before the architecture board on Friday.",
        )
        await task(
            subject_type="account",
            subject_id=account,
            title="Send the pilot plan before the architecture board",
            due_at=_at(days=-1),
            priority="high",
        )
    if contact is not None:
        await log(
            rep,
            subject_type="contact",
            subject_id=contact,
            channel="phone",
            direction="outbound",
            occurred_at=_at(days=-1, hours=-3),
            title="Discovery call",
            summary="Walked through their Jenkins setup; 250 developers; wants SSO.",
        )
        await note("contact", contact, "Prefers calls before 10:00; reports to the CTO.")
        await task(
            subject_type="contact",
            subject_id=contact,
            title="Send the CI case study",
            due_at=_at(days=1),
        )
    if opportunity is not None:
        await note(
            "opportunity",
            opportunity,
            "Economic buyer confirmed budget for this fiscal year; legal review takes 2 weeks.",
        )
        await task(
            subject_type="opportunity",
            subject_id=opportunity,
            title="Draft the mutual close plan",
            due_at=_at(days=3),
            priority="high",
        )
    await task(title="Submit the weekly forecast call", due_at=_at(days=2), priority="low")
    done = await task(title="Update the territory plan", due_at=_at(days=-3))
    await tasks.update(session, rep, done, TaskUpdate(status="done"), None)
    # Marketo's email sync: the web-form lead replied; sent twice, counted once.
    reply = {
        "email": "jordan.blake@northwind.example",
        "channel": "email",
        "direction": "inbound",
        "occurred_at": _at(hours=-4),
        "title": "Re: Your demo request",
        "external_id": "marketo-msg-0001",
    }
    for _ in range(2):
        await log(marketo, **reply)
