"""The territory analysis (seed steps 1-2) and the territory diagram, for callers who can see
the territory. The figures come from `analysis_repository`, aggregated in PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import field_error
from app.core.security import Principal
from app.territories import analysis_repository as repository
from app.territories.analysis_repository import ConversionWindows
from app.territories.diagram import DiagramAccount, DiagramUnit, render_territory_svg
from app.territories.schemas import Analysis
from app.territories.service import get_territory

DIAGRAM_MAX_ACCOUNTS = 500


def conversion_windows(today: date, tz: tzinfo) -> ConversionWindows:
    """ "Last N days" starts at local midnight N days before today (today included)."""

    def since(days: int) -> datetime:
        return datetime.combine(today - timedelta(days=days), time(0), tzinfo=tz)

    return ConversionWindows(since(30), since(90), since(365))


async def territory_analysis(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, tz: tzinfo
) -> Analysis:
    await get_territory(session, principal, territory_id)
    windows = conversion_windows(datetime.now(tz).date(), tz)
    figures = await repository.analysis(session, territory_id, windows)
    return Analysis.model_validate_json(f'{{"territory_id": "{territory_id}", {figures[1:]}')


async def territory_diagram(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, vertical: str | None
) -> str:
    territory = await get_territory(session, principal, territory_id)
    rows = await repository.diagram_accounts(
        session, territory_id, vertical, DIAGRAM_MAX_ACCOUNTS + 1
    )
    if len(rows) > DIAGRAM_MAX_ACCOUNTS:
        raise field_error(
            "query.vertical",
            "too_many_accounts",
            f"More than {DIAGRAM_MAX_ACCOUNTS} accounts to draw"
            + (" in this vertical" if vertical else "")
            + "; pass ?vertical= to draw one vertical at a time.",
        )
    accounts = [
        DiagramAccount(
            name=row["name"],
            vertical=row["vertical"],
            account_type=row["account_type"],
            status=row["status"],
            units=tuple(DiagramUnit(name, adoption) for name, adoption in row["units"]),
        )
        for row in rows
    ]
    title = territory.name
    if vertical is not None:
        title += " \u00b7 " + vertical.replace("_", " ").capitalize()
    return render_territory_svg(title, accounts)
