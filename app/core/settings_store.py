"""Admin settings documents (`fiscal`, `hygiene`, `cadence`, ...) stored in the `settings` table.

Each document has defaults in code; a row exists only once an admin changed it. Reads are one
primary-key lookup; writes honour If-Match on the document's version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Generic
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.http import check_if_match
from app.core.repository import Repository
from app.models import Setting

M = TypeVar("M", bound=BaseModel)


class SettingsRepository(Repository[Setting]):
    model = Setting

    @property
    def id_column(self) -> Any:
        return Setting.key

    async def row(self, key: str, *, for_update: bool = False) -> Setting | None:
        stmt = select(Setting).where(Setting.key == key)
        if for_update:
            stmt = stmt.with_for_update()
        row: Setting | None = await self.session.scalar(stmt)
        return row

    async def put(self, key: str, document: Mapping[str, Any], version: int) -> None:
        await self.session.execute(
            insert(Setting)
            .values(key=key, value=document, version=version)
            .on_conflict_do_update(
                index_elements=[Setting.key],
                set_={"value": document, "version": version, "updated_at": datetime.now(UTC)},
            )
        )


async def read(
    session: AsyncSession, key: str, defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], int]:
    """The document merged over its defaults, and its version (1 while never written)."""
    row = await SettingsRepository(session).row(key)
    if row is None:
        return dict(defaults), 1
    return {**defaults, **row.value}, row.version


async def write(
    session: AsyncSession,
    key: str,
    defaults: Mapping[str, Any],
    value: Mapping[str, Any],
    if_match: str | None,
) -> tuple[dict[str, Any], int]:
    """Replace the document (PUT semantics), bumping its version; 412 when If-Match is stale."""
    settings = SettingsRepository(session)
    row = await settings.row(key, for_update=True)
    current = 1 if row is None else row.version
    check_if_match(if_match, current)
    document = {**defaults, **value}
    version = current + 1
    await settings.put(key, document, version)
    return document, version


class Document(Generic[M]):
    """One settings document: its key, its defaults, and the schema it is read as (each default's
    field, and `version`)."""

    def __init__(self, key: str, defaults: Mapping[str, Any], schema: type[M]) -> None:
        self.key, self.defaults, self.schema = key, defaults, schema

    def _model(self, document: Mapping[str, Any], version: int) -> M:
        return self.schema(**{k: document[k] for k in self.defaults}, version=version)

    async def get(self, session: AsyncSession) -> M:
        return self._model(*await read(session, self.key, self.defaults))

    async def put(self, session: AsyncSession, data: BaseModel, if_match: str | None) -> M:
        """Replace the document with `data` (PUT), under If-Match."""
        written = await write(session, self.key, self.defaults, data.model_dump(), if_match)
        return self._model(*written)
