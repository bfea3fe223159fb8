"""`POST /leads/import`: a UTF-8 CSV file (RFC 4180) with a header row of lead field names.

The whole file is read and checked before any row is stored: bad encoding, no header or an
unknown column (a `custom.<key>` without an active lead field too) is a 422 about the file;
then each row is an item of the batch code (one result per data row, numbered from 1),
processed in set-based chunks.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import FieldError
from app.core.errors import PayloadTooLarge
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.security import Principal
from app.custom_fields import service as custom_fields
from app.custom_fields.rules import Definitions
from app.leads.batch import BatchRun
from app.leads.batch import Rejected
from app.leads.batch import run
from app.leads.schemas import LEAD_SERVER_FIELDS
from app.leads.schemas import LeadCreate
from app.leads.service import LEAD

MAX_ROWS = 10_000
COLUMNS = frozenset(LeadCreate.model_fields) - {"custom"}
# `custom.<key>` columns carry custom field values (the cell's text, converted by type).
CUSTOM_PREFIX = "custom."
READ_ONLY_COLUMNS = LEAD_SERVER_FIELDS | {"id", "version", "created_at", "updated_at"}


async def import_rows(
    session: AsyncSession, principal: Principal, body: bytes, on_duplicate: str
) -> BatchRun:
    """Check the whole file against the lead fields and the custom field definitions, then
    process its rows as a batch."""
    rows = parse(body, await custom_fields.definitions(session, LEAD))
    return await run(session, principal, rows, on_duplicate, first_index=1, text_cells=True)


def _column_problem(name: str, position: int, definitions: Definitions) -> FieldError | None:
    """What makes a header cell unusable; a `custom.<key>` column must name an active lead
    field (a column nobody can store refuses the whole file, as any unknown column does)."""
    path = f"columns.{position}"
    if name in READ_ONLY_COLUMNS:
        return FieldError(path, "read_only", f"{name} is set by the server.")
    if name.startswith(CUSTOM_PREFIX):
        key = name.removeprefix(CUSTOM_PREFIX)
        spec = definitions.fields.get(key)
        if spec is None:
            return FieldError(path, "unknown_column", f"{name!r}: no custom field {key!r}.")
        if spec.archived:
            return FieldError(path, "archived", f"{name!r}: the custom field {key!r} is archived.")
        return None
    if name not in COLUMNS:
        return FieldError(path, "unknown_column", f"{name!r} is not a lead field.")
    return None


def _header(row: list[str], definitions: Definitions) -> list[str]:
    names = [cell.strip().lower() for cell in row]
    if not any(name in COLUMNS for name in names):
        raise field_error(
            "body",
            "header_missing",
            "The first row must name the columns with lead field names (e.g. email,first_name).",
        )
    problems: list[FieldError] = []
    for position, name in enumerate(names):
        problem = _column_problem(name, position, definitions)
        if problem is None and names.index(name) != position:
            problem = FieldError(
                f"columns.{position}", "duplicate_column", f"{name} appears twice."
            )
        if problem is not None:
            problems.append(problem)
    if "email" not in names:
        problems.append(FieldError("columns", "required", "The header needs an email column."))
    if problems:
        raise ValidationFailed("The CSV header is not usable; see `errors`.", errors=problems)
    return names


def parse(body: bytes, definitions: Definitions) -> list[Any]:
    """The data rows as batch items (dicts of the non-empty cells, or Rejected rows)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise field_error(
            "body", "encoding", f"The file is not UTF-8 (byte {exc.start} is invalid)."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        first = next((row for row in reader if row), None)
        if first is None:
            raise field_error("body", "header_missing", "The file is empty: send a header row.")
        names = _header(first, definitions)
        rows: list[Any] = []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(rows) == MAX_ROWS:
                raise PayloadTooLarge(f"A CSV import holds at most {MAX_ROWS} data rows.")
            rows.append(_item(names, row))
    except csv.Error as exc:
        raise field_error(
            "body", "malformed_csv", f"Line {reader.line_num}: {exc} (RFC 4180 quoting)."
        ) from None
    return rows


def _item(names: list[str], row: list[str]) -> Any:
    if len(row) > len(names):
        return Rejected(
            [
                FieldError(
                    "row",
                    "too_many_values",
                    f"The row has {len(row)} values for {len(names)} columns.",
                )
            ]
        )
    item: dict[str, Any] = {}
    for name, cell in zip(names, row, strict=False):
        if not cell.strip():
            continue
        if name.startswith(CUSTOM_PREFIX):
            item.setdefault("custom", {})[name.removeprefix(CUSTOM_PREFIX)] = cell.strip()
        else:
            item[name] = cell.strip()
    return item
