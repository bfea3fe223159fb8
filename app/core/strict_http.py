"""Method routing the way an HTTP client expects it, in front of the router: a literal path
segment (`/leads/batch`) is never read as an id, a method the path does not have is a 405 whose
`Allow` lists every method the path has, and `HEAD` is served wherever `GET` is. The route
templates come from the OpenAPI document, so a new endpoint is covered without a list here."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from app.core.errors import PROBLEM_JSON
from app.core.errors import MethodNotAllowed
from app.core.errors import field_error
from app.core.handlers import CODES
from app.core.idempotency import problem_bytes
from app.core.schemas import strict_day
from app.core.schemas import strict_moment
from app.core.schemas import temporal_kind

_PARAM = re.compile(r"\{[^}]+\}")
# Query parameters filtering on custom field values (`custom.<key>=...`), checked by the list.
CUSTOM_PREFIX = "custom."
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class PathTemplate:
    template: str
    pattern: re.Pattern[str]
    literals: int
    methods: frozenset[str]

    @property
    def allow(self) -> str:
        methods = set(self.methods)
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods))


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    parts = _PARAM.split(template)
    regex = "[^/]+".join(re.escape(p) for p in parts)
    literals = sum(1 for seg in template.split("/") if seg and not _PARAM.fullmatch(seg))
    return re.compile(f"^{regex}$"), literals


def _shape(path: str) -> tuple[int, str]:
    """A path's number of segments and its first three (`api/v1/<resource>`): the templates a
    path can match share both, unless a parameter stands among those three."""
    parts = path.split("/")
    return len(parts), "/".join(parts[1:4])


class RouteTable:
    """Every path template with its methods; `resolve` picks the most literal match among the
    few templates of the path's shape (not a scan of every template: the API has a hundred)."""

    def __init__(self, paths: Mapping[str, Iterable[str]]) -> None:
        self.templates: list[PathTemplate] = []
        for template, methods in paths.items():
            pattern, literals = _compile(template)
            upper = frozenset(m.upper() for m in methods)
            self.templates.append(PathTemplate(template, pattern, literals, upper))
        self.templates.sort(key=lambda t: -t.literals)
        self._by_shape: dict[tuple[int, str], list[PathTemplate]] = {}
        self._open: list[PathTemplate] = []  # a parameter among the first three segments
        for t in self.templates:
            shape = _shape(t.template)
            if "{" in shape[1]:
                self._open.append(t)
            else:
                self._by_shape.setdefault(shape, []).append(t)

    @classmethod
    def from_openapi(cls, document: Mapping[str, Any]) -> RouteTable:
        verbs = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
        return cls(
            {path: [m for m in item if m in verbs] for path, item in document["paths"].items()}
        )

    def resolve(self, path: str) -> PathTemplate | None:
        candidates = self._by_shape.get(_shape(path), ())
        found = next((t for t in candidates if t.pattern.match(path)), None)
        for template in self._open:  # rare: kept in order of literal segments
            if (found is None or template.literals > found.literals) and template.pattern.match(
                path
            ):
                return template
        return found


class MethodRouting:
    """ASGI layer: 405 with the full `Allow` for the most specific template, HEAD as GET
    without a body. Paths no template matches pass through (the router answers 404)."""

    def __init__(self, app: ASGIApp, table: Callable[[], RouteTable]) -> None:
        self.app = app
        self.table = table
        self._table: RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._table is None:
            self._table = self.table()
        method: str = scope["method"]
        template = self._table.resolve(scope["path"])
        # OPTIONS too: a CORS preflight is answered by the CORS middleware outside this one.
        if template is not None:
            allowed = template.methods | ({"HEAD"} if "GET" in template.methods else set())
            if method not in allowed:
                await self._not_allowed(scope, send, template)
                return
        if method == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _not_allowed(scope: Scope, send: Send, template: PathTemplate) -> None:
        error = MethodNotAllowed(
            f"{scope['method']} is not allowed on {template.template}; use {template.allow}.",
            headers={"Allow": template.allow},
        )
        body = problem_bytes(error.body(scope["path"]))
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"allow", template.allow.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 405, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _without_body(send: Send) -> Send:
    """HEAD: the GET response's status and headers (its `Content-Length` too), no body."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


@dataclass(frozen=True)
class QuerySpec:
    """The query parameters an operation declares (through its dependencies and parameter
    models such as `Annotated[Filters, Depends()]`), and which of them are dates or times."""

    names: frozenset[str]
    temporal: Mapping[str, Any]

    @classmethod
    def of(cls, dependant: Dependant) -> QuerySpec:
        fields: dict[str, Any] = {}
        stack = [dependant]
        while stack:
            current = stack.pop()
            stack.extend(current.dependencies)
            for param in current.query_params:
                model = param.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):
                    fields.update(
                        (f.alias or n, f.annotation) for n, f in model.model_fields.items()
                    )
                else:
                    fields[param.alias] = param.field_info.annotation
        temporal = {n: k for n, a in fields.items() if (k := temporal_kind(a)) is not None}
        return cls(frozenset(fields), temporal)

    def check(self, name: str, value: str) -> None:
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise field_error(
                f"query.{name}", "control_characters", "Control characters are not allowed."
            )
        if name not in self.names and not name.startswith(CUSTOM_PREFIX):
            raise field_error(
                f"query.{name}", "unknown_field", f"This operation has no query parameter {name!r}."
            )
        kind = self.temporal.get(name)
        if kind is None:
            return
        try:
            (strict_moment if kind is datetime else strict_day)(value)
        except PydanticCustomError as exc:
            raise field_error(
                f"query.{name}", CODES.get(exc.type, exc.type), exc.message()
            ) from None


_SPECS: dict[int, QuerySpec] = {}


async def strict_query(request: Request) -> None:
    """Router dependency: query strings are as strict as bodies. A parameter the operation does
    not declare -> 422 `unknown_field` on `query.<name>` (a typo must not silently widen a
    list); control characters -> 422; a date or time must be `YYYY-MM-DD` or RFC 3339 with an
    offset (a bare number -> 422). `custom.<key>` filters pass to the operation, which checks
    them against the custom field definitions. Without a principal the operation answers 401
    first."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.scope.get("query_string"):
        return
    if getattr(request.state, "principal", None) is None:
        return
    spec = _SPECS.get(id(route))
    if spec is None:
        spec = _SPECS[id(route)] = QuerySpec.of(route.dependant)
    for name, value in request.query_params.multi_items():
        spec.check(name, value)
