"""create_app(): routers, error handlers, middleware and the database engine's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter
from fastapi import Depends
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import _IncludedRouter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.accounts.router import router as accounts_router
from app.activities.router import router as activities_router
from app.command_plans.router import router as command_plans_router
from app.contacts.router import router as contacts_router
from app.core import docs
from app.core import handlers
from app.core import openapi
from app.core.config import Settings
from app.core.config import get_settings
from app.core.db import create_engine
from app.core.db import create_read_session_factory
from app.core.db import create_session_factory
from app.core.db import create_side_pool
from app.core.db import driver_dsn
from app.core.db import resolve_database_url
from app.core.driver import ReadPool
from app.core.health import migration_heads
from app.core.health import router as health_router
from app.core.http import ERROR_RESPONSES
from app.core.middleware import RequestContextMiddleware
from app.core.principals import Authenticator
from app.core.principals import PrincipalCache
from app.core.principals import PrincipalListener
from app.core.rate_limit import RateLimiter
from app.core.rate_limit import pool_counter
from app.core.rate_limit import session_counter
from app.core.routing import index_routes
from app.core.runtime import tune_gc
from app.core.strict_http import MethodRouting
from app.core.strict_http import RouteTable
from app.core.strict_http import strict_query
from app.core.unit_of_work import UnitOfWork
from app.custom_fields.router import router as custom_fields_router
from app.events.router import router as events_router
from app.forecasts.router import router as forecasts_router
from app.interactions.router import router as interactions_router
from app.leads.router import router as leads_router
from app.meetings.router import router as meetings_router
from app.notes.router import router as notes_router
from app.opportunities.router import router as opportunities_router
from app.pipeline.router import router as pipeline_router
from app.qualification.router import router as qualification_router
from app.reference.router import router as reference_router
from app.search.router import router as search_router
from app.stages.router import router as stages_router
from app.tasks.router import router as tasks_router
from app.territories.router import router as territories_router
from app.timeline.router import router as timeline_router
from app.users import repository as users_repository
from app.users.router import router as users_router
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """
Engage turns GitLab's *Engage & Educate the Customer* sales procedure into an API: analyse a
territory, run engagement activities, capture leads, prepare meetings, qualify, move deals
through validated stages and forecast the quarter.

Conventions (API.md section 1): `Authorization: Bearer <token>` everywhere under `/api/v1`;
RFC 9457 problem documents for every error; money as decimal strings; keyset pagination with
opaque cursors (`{items, next_cursor}`); `ETag`/`If-Match` (412 when stale); `Idempotency-Key` on
every POST (24 h); PATCH is JSON Merge Patch (RFC 7396). Where the contract is silent Engage does
what a Salesforce or HubSpot API user expects, and says so in the operation's description.
"""

API_ROUTERS: list[APIRouter] = [
    users_router,
    territories_router,
    accounts_router,
    activities_router,
    forecasts_router,
    pipeline_router,
    events_router,
    webhooks_router,
    reference_router,
    stages_router,
    opportunities_router,
    command_plans_router,
    qualification_router,
    meetings_router,
    leads_router,
    contacts_router,
    search_router,
    custom_fields_router,
    notes_router,
    tasks_router,
    interactions_router,
    timeline_router,
]


_ROUTE_TABLES: dict[tuple[object, ...], RouteTable] = {}


def _route_table(app: FastAPI) -> RouteTable:
    """The paths and methods of the app's OpenAPI document, built once per set of routers: every
    app of a process includes the same module-level routers (tests create one app per test, and
    the document takes seconds to build)."""
    key = tuple(
        id(route.original_router)
        if isinstance(route, _IncludedRouter)
        else getattr(route, "path", "")
        for route in app.router.routes
    )
    table = _ROUTE_TABLES.get(key)
    if table is None:
        table = _ROUTE_TABLES[key] = RouteTable.from_openapi(app.openapi())
    return table


def create_app(
    settings: Settings | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    # The cache stays off until its listener connects (never, for an app given sessions).
    cache = PrincipalCache(settings.principal_cache_seconds)
    principals = Authenticator(
        users_repository.load_principal, cache if settings.principal_cache_seconds > 0 else None
    )

    def use_sessions(factory: async_sessionmaker[AsyncSession]) -> None:
        """Given a session factory (tests), budgets are counted in sessions of it."""
        app.state.session_factory = app.state.read_session_factory = factory
        app.state.rate_counter = session_counter(lambda: app.state.session_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if session_factory is not None:
            use_sessions(session_factory)
            yield
            return
        url = resolve_database_url(settings)
        engine = create_engine(url, settings)
        app.state.session_factory = create_session_factory(engine)
        app.state.read_session_factory = create_read_session_factory(engine)
        counting = await create_side_pool(url, settings, settings.rate_limit_pool_size)
        app.state.rate_counter = pool_counter(counting)
        reading = await create_side_pool(url, settings, settings.read_pool_size)
        app.state.read_pool = ReadPool(reading, engine.dialect, settings.pool_timeout_seconds)
        listener = None
        if principals.cache is not None:
            listener = PrincipalListener(
                driver_dsn(url), principals.cache, settings.connect_timeout_seconds
            )
            listener.start()
        tune_gc(settings.gc_young_threshold)
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            if limiter is not None:
                await limiter.flush()
            app.state.read_pool = None
            await counting.close()
            await reading.close()
            await engine.dispose()

    app = FastAPI(
        title="Engage",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.read_pool = None  # a served app's, from its lifespan; none with given sessions
    app.state.migration_heads = migration_heads()
    if session_factory is not None:
        use_sessions(session_factory)
    handlers.install(app)
    openapi.install(app)
    docs.install(app, "/openapi.json")
    app.include_router(health_router)
    for router in API_ROUTERS:
        app.include_router(
            router,
            prefix="/api/v1",
            responses=ERROR_RESPONSES,
            dependencies=[Depends(strict_query)],
        )
    index_routes(app)
    limiter = None
    if settings.rate_limit_per_minute > 0:
        limiter = RateLimiter(
            settings.rate_limit_per_minute,
            lambda subject, start, cost: app.state.rate_counter(subject, start, cost),
        )
    app.add_middleware(
        RequestContextMiddleware,
        unit_of_work=UnitOfWork(
            lambda: app.state.session_factory,
            lambda: app.state.read_session_factory,
            lambda: app.state.read_pool,
        ),
        authenticator=principals,
        limiter=limiter,
        max_body_bytes=settings.max_body_bytes,
    )
    app.add_middleware(MethodRouting, table=lambda: _route_table(app))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
            ],
            expose_headers=["ETag", "Location", "Idempotent-Replayed", "Retry-After"],
        )
    return app
