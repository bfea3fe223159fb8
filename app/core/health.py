"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter(tags=["health"])

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def migration_heads() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


class Health(BaseModel):
    status: str
    detail: str | None = None


@router.get("/healthz", operation_id="health-live", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="health-ready",
    response_model=Health,
    responses={503: {"model": Health, "description": "Database unreachable or not migrated."}},
)
async def readyz(request: Request) -> Health | JSONResponse:
    """The database answers and its schema is at the migrations' head."""
    try:
        async with request.app.state.session_factory() as session:
            current = set(
                (await session.scalars(text("SELECT version_num FROM alembic_version"))).all()
            )
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "detail": type(exc).__name__}, status_code=503
        )
    if current != request.app.state.migration_heads:
        return JSONResponse(
            {"status": "migrating", "detail": "schema not at head"}, status_code=503
        )
    return Health(status="ok")
