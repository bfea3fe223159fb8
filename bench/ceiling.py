"""The ceiling: bare Starlette + asyncpg answering GET /opportunities/{id} with the same row
(every column, as JSON) from the same database through one pool. No authentication, no
visibility, no ORM, no validation: what is left is the floor cost of HTTP, one query and JSON on
this machine, so the cost of everything Engage adds is visible next to it.

    BENCH_DSN=postgresql://postgres@127.0.0.1:5432/engage_bench \
        python -m uvicorn bench.ceiling:app --port 18081 --workers 1
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

QUERY = "SELECT * FROM opportunities WHERE id = $1"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # At most 20 connections, like Engage's default pool (pool_size 20, no overflow).
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_DSN"],
        min_size=int(os.environ.get("BENCH_POOL_MIN", "10")),
        max_size=int(os.environ.get("BENCH_POOL_MAX", "20")),
        statement_cache_size=int(os.environ.get("BENCH_STATEMENT_CACHE_SIZE", "100")),
        server_settings={"application_name": "engage-ceiling", "timezone": "UTC"},
    )
    try:
        yield
    finally:
        await app.state.pool.close()


async def opportunity(request: Request) -> Response:
    try:
        opportunity_id = uuid.UUID(request.path_params["id"])
    except ValueError:
        return JSONResponse({"detail": "not found"}, status_code=404)
    row = await request.app.state.pool.fetchrow(QUERY, opportunity_id)
    if row is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    body = json.dumps(dict(row), default=_default, separators=(",", ":"))
    return Response(body, media_type="application/json")


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[Route("/opportunities/{id}", opportunity), Route("/healthz", healthz)],
    lifespan=lifespan,
)
