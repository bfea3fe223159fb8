"""/leads/{id}/qualification and /opportunities/{id}/qualification."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi import Response

from app.core.http import set_created
from app.core.idempotency import Idempotent
from app.core.routes import computed
from app.core.routes import endpoint
from app.core.security import HumanPrincipal
from app.core.session import AppSettings
from app.core.session import Session
from app.qualification import service
from app.qualification.schemas import Qualification
from app.qualification.schemas import QualificationCreate

router = APIRouter(tags=["qualification"])

EVALUATE = (
    "Evaluates authority, initiative, fit and timing and stores the evaluation; the latest one "
    "counts. A small box initiative passes only in a mid_market or smb segment (the account's "
    "territory, else the owner's only territory; otherwise it fails with `segment_unknown`)."
)


def evaluations(
    subject: str,
    name: str,
    qualify: Callable[..., Awaitable[Any]],
    latest: Callable[..., Awaitable[Any]],
    description: str,
) -> None:
    """POST (evaluate, 201) and GET (the latest) of `/<subject>/{<name>_id}/qualification`: a
    lead's and an opportunity's evaluations are recorded and read alike."""
    key, path = f"{name}_id", f"/{subject}/{{{name}_id}}/qualification"

    async def evaluate(values: dict[str, Any]) -> Qualification:
        parent, settings = values[key], values["settings"]
        row = await qualify(
            values["session"], values["principal"], parent, values["body"], settings.tz
        )
        set_created(values["response"], f"/api/v1/{subject}/{parent}/qualification")
        return Qualification.model_validate(row)

    params = {key: uuid.UUID, "body": QualificationCreate, "principal": HumanPrincipal}
    params |= {"session": Session, "settings": AppSettings, "response": Response}
    router.add_api_route(
        path,
        endpoint(f"qualify_{name}", params, evaluate, Qualification),
        methods=["POST"],
        operation_id=f"{subject}-qualification-create",
        status_code=201,
        response_model=Qualification,
        dependencies=[Idempotent],
        description=EVALUATE,
    )
    computed(
        router,
        path,
        latest,
        Qualification,
        name=f"get_{name}_qualification",
        params={key: uuid.UUID},
        operation_id=f"{subject}-qualification-get",
        description=description,
    )


evaluations(
    "leads",
    "lead",
    service.qualify_lead,
    service.latest_of_lead,
    "The lead's latest qualification; 404 while it has none.",
)
evaluations(
    "opportunities",
    "opportunity",
    service.qualify_opportunity,
    service.latest_of_opportunity,
    "The opportunity's latest qualification, else its lead's latest (a converted lead's "
    "evaluation is copied to the opportunity); 404 while there is none.",
)
