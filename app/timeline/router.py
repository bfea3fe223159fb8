"""GET /{leads|contacts|accounts|opportunities}/{id}/timeline."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from collections.abc import Callable

from fastapi import APIRouter

from app.core.enums import SubjectType
from app.core.pagination import Page
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.timeline import service
from app.timeline.schemas import KINDS
from app.timeline.schemas import TimelineItem
from app.timeline.schemas import TimelinePage

router = APIRouter(tags=["timeline"])

COVERS = {
    SubjectType.LEAD: "the lead's notes, tasks, interactions (its touches), meetings, "
    "qualifications and conversion",
    SubjectType.CONTACT: "the contact's notes, tasks and interactions, and its lead's items",
    SubjectType.ACCOUNT: "the account's notes, tasks and interactions, the items of its "
    "contacts, its opportunities and the leads converted into it, and its units' adoption "
    "changes",
    SubjectType.OPPORTUNITY: "the opportunity's notes, tasks, interactions, meetings, "
    "qualifications, history (stage and field changes) and the adoption changes it caused",
}


def _route(subject_type: SubjectType) -> Callable[..., Awaitable[TimelinePage]]:
    async def timeline(
        subject_id: uuid.UUID, principal: HumanPrincipal, session: Session, page: Page
    ) -> TimelinePage:
        result = await service.page(session, principal, subject_type, subject_id, page)
        items = [
            TimelineItem(
                at=r.at,
                kind=r.kind,
                id=r.id,
                actor_id=r.actor_id,
                summary=r.item["summary"],
                data=r.item["data"],
            )
            for r in result.rows
        ]
        return TimelinePage(items=items, next_cursor=result.next_cursor)

    return timeline


PATHS = {
    SubjectType.LEAD: "leads",
    SubjectType.CONTACT: "contacts",
    SubjectType.ACCOUNT: "accounts",
    SubjectType.OPPORTUNITY: "opportunities",
}

for _type, _plural in PATHS.items():
    router.add_api_route(
        f"/{_plural}/{{subject_id}}/timeline",
        _route(_type),
        methods=["GET"],
        operation_id=f"{_plural}-timeline",
        response_model=TimelinePage,
        tags=[_plural],
        summary=f"The {_type.value}'s timeline",
        description=f"Newest first, keyset paginated, one SQL statement per page: "
        f"{COVERS[_type]}. Kinds: {KINDS}. `summary` is one readable line, `data` the item's "
        f"own fields. A {_type.value} you cannot see: 404. Integrations: 403.",
    )
