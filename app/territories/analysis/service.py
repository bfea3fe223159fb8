"""The territory analysis (seed steps 1-2) and the territory diagram, for callers who can see
the territory. The figures come from `repository`, aggregated in PostgreSQL.

Both are answered from the stored report while its input is unchanged (a per-territory version
that triggers raise on every change of accounts, units, adoption history and the territory's
name) and, for the analysis, while it is still the day it was computed for. Otherwise they are
computed, served and stored under the version read before computing. Visibility is checked on
every request, by the very statement that reads the stored report. A report is also only
served by the code that made it: a release that changes how either is computed or drawn
computes them again."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from pathlib import Path

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import DiagramMedia
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.errors import found
from app.core.security import Principal
from app.territories.analysis import diagram
from app.territories.analysis import layout
from app.territories.analysis import png
from app.territories.analysis import repository
from app.territories.analysis import schemas
from app.territories.analysis.diagram import DiagramAccount
from app.territories.analysis.diagram import DiagramUnit
from app.territories.analysis.diagram import render_territory_svg
from app.territories.analysis.png import render_territory_png
from app.territories.analysis.repository import ConversionWindows
from app.territories.analysis.repository import ReportKey
from app.territories.analysis.repository import StoredReport
from app.territories.analysis.schemas import Analysis

DIAGRAM_MAX_ACCOUNTS = 500


def _sources_digest(*files: str | None) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(str(file)).read_bytes())
    return digest.hexdigest()[:16]


# The modules whose code decides a report's bytes (statements, response model, drawing, and
# this one). Derived rather than a number to remember to raise; a change to any of them,
# relevant or not, costs each stored report one recomputation.
REPORT_CODE_VERSION = _sources_digest(
    repository.__file__, layout.__file__, diagram.__file__, png.__file__, schemas.__file__, __file__
)


def conversion_windows(today: date, tz: tzinfo) -> ConversionWindows:
    """ "Last N days" starts at local midnight N days before today (today included)."""

    def since(days: int) -> datetime:
        return datetime.combine(today - timedelta(days=days), time(0), tzinfo=tz)

    return ConversionWindows(since(30), since(90), since(365))


async def _stored(session: AsyncSession, principal: Principal, key: ReportKey) -> StoredReport:
    """The visibility check and the stored report in one statement: 404 when the territory is
    missing or not visible to the caller."""
    return found(await repository.stored_report(session, principal, key), "No such territory.")


async def territory_analysis(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    tz: tzinfo,
    today: date | None = None,
) -> bytes:
    """The analysis as the JSON of an `Analysis` (UTF-8), stored or computed."""
    if today is None:
        today = datetime.now(tz).date()
    key = ReportKey(territory_id, "analysis", "", today, REPORT_CODE_VERSION)
    stored = await _stored(session, principal, key)
    if stored.body is not None:
        return stored.body
    figures = await repository.analysis(session, territory_id, conversion_windows(today, tz))
    analysis = Analysis.model_validate_json(f'{{"territory_id": "{territory_id}", {figures[1:]}')
    body = analysis.model_dump_json()
    await repository.store_report(session, key, stored.version, body)
    return body.encode()


def _too_many_accounts(vertical: str | None) -> ValidationFailed:
    return field_error(
        "query.vertical",
        "too_many_accounts",
        f"More than {DIAGRAM_MAX_ACCOUNTS} accounts to draw"
        + (" in this vertical" if vertical else "")
        + "; pass ?vertical= to draw one vertical at a time.",
    )


# Each format is stored as a report of its own; a PNG as base64 text.
DIAGRAM_KINDS = {DiagramMedia.SVG: "diagram", DiagramMedia.PNG: "diagram_png"}


async def territory_diagram(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    vertical: str | None,
    media: DiagramMedia = DiagramMedia.SVG,
) -> bytes:
    """The diagram as an SVG document (UTF-8) or a PNG image, stored or drawn. More than
    `DIAGRAM_MAX_ACCOUNTS` accounts is a 422, found again on each request (an error answer
    stores nothing)."""
    key = ReportKey(territory_id, DIAGRAM_KINDS[media], vertical or "", None, REPORT_CODE_VERSION)
    stored = await _stored(session, principal, key)
    if stored.body is not None:
        return stored.body if media is DiagramMedia.SVG else base64.b64decode(stored.body)
    rows = await repository.diagram_accounts(
        session, territory_id, vertical, DIAGRAM_MAX_ACCOUNTS + 1
    )
    if len(rows) > DIAGRAM_MAX_ACCOUNTS:
        raise _too_many_accounts(vertical)
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
    # The name read with the version: a rename after it must not be drawn under this version.
    title = stored.territory_name
    if vertical is not None:
        title += " \u00b7 " + vertical.replace("_", " ").capitalize()
    if media is DiagramMedia.PNG:
        # Painting is CPU work of up to seconds for a big territory: off the event loop.
        image = await anyio.to_thread.run_sync(render_territory_png, title, accounts)
        await repository.store_report(
            session, key, stored.version, base64.b64encode(image).decode()
        )
        return image
    svg = render_territory_svg(title, accounts)
    await repository.store_report(session, key, stored.version, svg)
    return svg.encode()
