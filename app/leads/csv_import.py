"""`POST /leads/import`: a UTF-8 CSV file (RFC 4180) with a header row of lead field names.

The whole file is read and checked before any row is stored: bad encoding, no header or an
unknown column is a 422 about the file; then each row is an item of the batch code (one
result per data row, numbered from 1), processed in set-based chunks.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from app.core.errors import FieldError, PayloadTooLarge, ValidationFailed, field_error
from app.leads.batch import Rejected
from app.leads.schemas import LEAD_SERVER_FIELDS, LeadCreate

MAX_ROWS = 10_000
COLUMNS = frozenset(LeadCreate.model_fields) - {"custom"}
# `custom.<key>` columns carry custom field values (the cell's text, converted by type).
CUSTOM_COLUMN = re.compile(r"^custom\.[a-z][a-z0-9_]{1,39}$")
READ_ONLY_COLUMNS = LEAD_SERVER_FIELDS | {"id", "version", "created_at", "updated_at"}


def _header(row: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in row]
    if not any(name in COLUMNS for name in names):
        raise field_error(
            "body",
            "header_missing",
            "The first row must name the columns with lead field names (e.g. email,first_name).",
        )
    problems: list[FieldError] = []
    for position, name in enumerate(names):
        if name in READ_ONLY_COLUMNS:
            problems.append(
                FieldError(f"columns.{position}", "read_only", f"{name} is set by the server.")
            )
        elif name not in COLUMNS and not CUSTOM_COLUMN.match(name):
            problems.append(
                FieldError(
                    f"columns.{position}", "unknown_column", f"{name!r} is not a lead field."
                )
            )
        elif names.index(name) != position:
            problems.append(
                FieldError(f"columns.{position}", "duplicate_column", f"{name} appears twice.")
            )
    if "email" not in names:
        problems.append(FieldError("columns", "required", "The header needs an email column."))
    if problems:
        raise ValidationFailed("The CSV header is not usable; see `errors`.", errors=problems)
    return names


def parse(body: bytes) -> list[Any]:
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
        names = _header(first)
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
        if name.startswith("custom."):
            item.setdefault("custom", {})[name.removeprefix("custom.")] = cell.strip()
        else:
            item[name] = cell.strip()
    return item
