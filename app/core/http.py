"""HTTP helpers every router shares: ETag/If-Match, Location, and the declared error responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Annotated
from typing import Any
from typing import TypeVar

from fastapi import Header
from fastapi import Response
from pydantic import BaseModel

from app.core.errors import PROBLEM_JSON
from app.core.errors import PreconditionFailed
from app.core.schemas import Problem

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description='The `ETag` you read (`"<version>"`); a stale one gets 412, nothing changes.',
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def json_document(text: str, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON body PostgreSQL already wrote (`app.core.json_sql`), sent without re-parsing; the
    route's `response_model` still documents it."""
    return Response(content=text.encode(), media_type="application/json", headers=headers)


def json_page(documents: Sequence[str], next_cursor: str | None) -> Response:
    """`{"items": [...], "next_cursor": ...}` around items PostgreSQL already wrote."""
    cursor = "null" if next_cursor is None else json.dumps(next_cursor)
    return json_document('{"items":[' + ",".join(documents) + '],"next_cursor":' + cursor + "}")


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def set_created(response: Response, location: str, version: int | None = None) -> None:
    response.headers["Location"] = location
    if version is not None:
        set_etag(response, version)


def check_if_match(if_match: str | None, version: int) -> None:
    """412 unless If-Match is absent, `*`, or names the current version."""
    if if_match is None:
        return
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return
    current = etag(version)
    if not any(c.removeprefix("W/") == current for c in candidates):
        raise PreconditionFailed(
            f"The resource has changed (current ETag {current}); read it again and retry."
        )


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem, "content": {PROBLEM_JSON: {}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request: invalid JSON or a bad cursor."),
    401: _problem("Missing, invalid, expired or revoked token (`WWW-Authenticate: Bearer`)."),
    403: _problem("The caller's role may not do this operation."),
    404: _problem("Not found, or not visible to the caller."),
    405: _problem("Method not allowed on this path."),
    409: _problem("Conflict: duplicate, invalid transition, or idempotent request in flight."),
    412: _problem("`If-Match` names a stale version; nothing changed."),
    413: _problem("Request body larger than 5 MiB, or too many items."),
    415: _problem("Unsupported content type."),
    422: _problem("Validation failed; `errors` lists each field with a code."),
    429: _problem("Rate limited; see `Retry-After`."),
    503: _problem("The database is unreachable for now; retry after `Retry-After` seconds."),
}


ModelT = TypeVar("ModelT", bound=BaseModel)


def tagged(response: Response, schema: type[ModelT], entity: Any) -> ModelT:
    """A single resource's representation, with its `ETag`."""
    set_etag(response, entity.version)
    return schema.model_validate(entity)


def created(response: Response, schema: type[ModelT], entity: Any, location: str) -> ModelT:
    """A created resource's representation, with its `Location` and `ETag`."""
    set_created(response, location, entity.version)
    return schema.model_validate(entity)


def page_of(schema: type[ModelT], rows: Sequence[Any], next_cursor: str | None) -> ModelT:
    """`{items, next_cursor}` of `schema` (a page model) from a repository's rows."""
    return schema.model_validate({"items": rows, "next_cursor": next_cursor})


def _quality(media: str, accept: str) -> float:
    """The `q` that `accept` gives `media`: that of its most specific matching range."""
    kind = media.split("/")[0]
    specificity = {media: 3, f"{kind}/*": 2, "*/*": 1}
    best, quality = 0, 0.0
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        rank = specificity.get(fields[0].lower(), 0)
        if rank <= best:
            continue
        quality = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        best = rank
    return quality


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """The media type of `offered` that `accept` prefers (highest `q`, ties to the earlier
    offered); the first offered when the header is absent or accepts none of them, since an
    image in another format is more use than a 406."""
    if not accept:
        return offered[0]
    qualities = [_quality(media, accept) for media in offered]
    best = max(range(len(offered)), key=lambda i: (qualities[i], -i))
    return offered[best] if qualities[best] > 0 else offered[0]
