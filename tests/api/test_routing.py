"""The route index: every route is still matched, for its methods, behind the indexed routers;
paths no router starts with fall through to FastAPI (404); a known path with another method is
a 405 with `Allow`."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from starlette.routing import Match

from app.core.routing import _IndexedRouter
from tests.factories import Actors

_PARAMETER = re.compile(r"\{[^}]+\}")
SAMPLE_ID = "0193f1c2-1234-7abc-8def-0123456789ab"


def _full_match(app: FastAPI, method: str, path: str) -> bool:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}
    return any(route.matches(dict(scope))[0] == Match.FULL for route in app.router.routes)


def test_every_route_is_matched_through_the_index(app: FastAPI) -> None:
    indexed = [r for r in app.router.routes if isinstance(r, _IndexedRouter)]
    assert len(indexed) >= 15
    checked = 0
    for router in indexed:
        for context in router.effective_route_contexts():
            path = _PARAMETER.sub(SAMPLE_ID, context.path_format)
            for method in context.methods or ():
                assert _full_match(app, method, path), (method, path)
                checked += 1
    assert checked > 60


async def test_misses_and_wrong_methods_answer_as_before(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    r = await client.get("/api/v1/nothing-here", headers=actors.admin.headers)
    assert r.status_code == 404 and r.json()["type"] == "/problems/not-found"
    r = await client.put("/api/v1/me", headers=actors.admin.headers)
    assert r.status_code == 405 and "GET" in r.headers["allow"]
    r = await client.get(f"/api/v1/opportunities/{SAMPLE_ID}", headers=actors.admin.headers)
    assert r.status_code == 404
