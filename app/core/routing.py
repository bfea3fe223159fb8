"""Route matching that does not grow with the routes ahead of the one a request wants.

FastAPI matches a request against every included router in turn, and each router against each
of its routes, through several layers of scope bookkeeping: `GET /api/v1/opportunities/{id}`
cost about 0.3-0.9 ms of matching behind a dozen routers while `GET /api/v1/me` (the first)
cost 0.02-0.06 ms. Here each included router first compares the request path's first segments
with the literal segments its routes start with, a set look-up, and declines at once when none
fits; only the routers that can match run FastAPI's own matching, so every other behaviour (405
with `Allow`, path parameters, OpenAPI) is FastAPI's.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute
from starlette.routing import Match
from starlette.types import Scope

_DEPTH = 3  # "/api/v1/<resource>": the segment that tells the API's routers apart
_SCOPE_KEY = "engage.route_key"


def _key(path: str) -> str | None:
    """The path's first `_DEPTH` segments; None when a segment among them is a parameter."""
    parts = path.split("/", _DEPTH + 1)[1 : _DEPTH + 1]
    if any("{" in part for part in parts):
        return None
    return "/".join(parts)


class _IndexedRouter(_IncludedRouter):
    """An included router that declines paths none of its routes can start with."""

    keys: frozenset[str] | None = None  # None: some route starts with a parameter

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        keys = self.keys
        if keys is not None:
            key = scope.get(_SCOPE_KEY)
            if key is None:  # once per request, not once per router
                key = scope[_SCOPE_KEY] = _key(scope["path"])
            if key not in keys:
                return Match.NONE, {}
        return super().matches(scope)


def _paths(routes: Iterable[BaseRoute], prefix: str) -> Iterator[str | None]:
    """Every route's full path (None for a route without one), read from the declarations: no
    route's dependencies are built here, so creating an app stays cheap."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            nested = prefix + route.include_context.prefix
            yield from _paths(route.original_router.routes, nested)
        else:
            path = getattr(route, "path", None)
            yield None if path is None else prefix + path


def index_routes(app: FastAPI) -> None:
    """Replace the app's included routers by indexed ones (after every `include_router`)."""
    routes = app.router.routes
    for position, route in enumerate(routes):
        if type(route) is not _IncludedRouter:
            continue
        indexed = _IndexedRouter(
            original_router=route.original_router, include_context=route.include_context
        )
        paths = _paths(route.original_router.routes, route.include_context.prefix)
        keys = {None if path is None else _key(path) for path in paths}
        indexed.keys = None if None in keys else frozenset(k for k in keys if k is not None)
        routes[position] = indexed
