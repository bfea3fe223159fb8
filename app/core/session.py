"""Request-scoped dependencies: the request's one database session (opened and committed by the
request middleware) and the app's settings. Async, so FastAPI runs them inline rather than in
its thread pool."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings


async def request_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Session = Annotated[AsyncSession, Depends(request_session)]
AppSettings = Annotated[Settings, Depends(app_settings)]
