"""The territory diagram: an SVG a rep can put on a slide (seed step 1).

Accounts are grouped by vertical; each account is a card with its leaf units as cells
coloured by adoption, its counts, and a marker when it needs a point of entry. The layout
wraps cards and cells, so the width is fixed and only the height grows with the territory.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = [
    "ADOPTION_COLOURS",
    "CARDS_PER_ROW",
    "CELLS_PER_ROW",
    "PAGE_WIDTH",
    "POINT_OF_ENTRY_TEXT",
    "DiagramAccount",
    "DiagramUnit",
    "render_territory_svg",
]

ADOPTION_COLOURS = {
    "green": "#2e7d32",
    "yellow": "#f9a825",
    "red": "#c62828",
    "none": "#9e9e9e",
}
ADOPTION_ORDER = ("green", "yellow", "red", "none")
LEGEND = (
    ("green", "uses the product"),
    ("yellow", "evaluating"),
    ("red", "DevOps without it"),
    ("none", "no DevOps"),
)
POINT_OF_ENTRY_TEXT = "needs a point of entry"
NEEDS_POINT_OF_ENTRY = "needs_point_of_entry"
STATUS_LABELS = {
    "entry_in_progress": "entry in progress",
    "land_and_expand": "land and expand",
    "fully_green": "fully green",
    "no_devops_mapped": "no DevOps mapped",
}

MARGIN = 32
CARDS_PER_ROW = 4
CARD_WIDTH = 356
CARD_GAP = 16
CARD_PADDING = 14
CARD_HEADER = 92  # name, type, counts and status lines above the cells
CELLS_PER_ROW = 10
CELL = 28
CELL_GAP = 4
PAGE_WIDTH = 2 * MARGIN + CARDS_PER_ROW * CARD_WIDTH + (CARDS_PER_ROW - 1) * CARD_GAP
TEXT_WIDTH = CARD_WIDTH - 2 * CARD_PADDING

INK = "#212121"
MUTED = "#616161"
ALERT = ADOPTION_COLOURS["red"]
FONT = "Helvetica, Arial, sans-serif"

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class DiagramUnit:
    """A leaf unit (department, division or branch) and its adoption."""

    name: str
    adoption: str  # green | yellow | red | none


@dataclass(frozen=True)
class DiagramAccount:
    """An account card: its analysis status and its leaf units in display order."""

    name: str
    vertical: str
    account_type: str
    status: str  # the analysis status, e.g. needs_point_of_entry
    units: tuple[DiagramUnit, ...]


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(text: str) -> str:
    return escape(_clean(text))


def _attr(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;", "'": "&apos;"})


def _label(slug: str) -> str:
    words = slug.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unspecified"


def _fit(text: str, width_px: int, font_px: int) -> str:
    """`text`, cut with an ellipsis where it would overrun `width_px` (a rough estimate)."""
    budget = width_px / (font_px * 0.62)
    used = 0.0
    for i, char in enumerate(text):
        used += 1.7 if unicodedata.east_asian_width(char) in ("W", "F") else 1.0
        if used > budget:
            return text[: max(i - 1, 0)] + "\u2026"
    return text


def _counts(units: Sequence[DiagramUnit]) -> dict[str, int]:
    counts = dict.fromkeys(ADOPTION_ORDER, 0)
    for unit in units:
        key = unit.adoption if unit.adoption in counts else "none"
        counts[key] += 1
    return counts


def _counts_text(counts: dict[str, int]) -> str:
    return (
        f"{counts['green']} green \u00b7 {counts['yellow']} yellow \u00b7 "
        f"{counts['red']} red \u00b7 {counts['none']} no DevOps"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _card_height(account: DiagramAccount) -> int:
    rows = math.ceil(len(account.units) / CELLS_PER_ROW)
    cells = rows * CELL + (rows - 1) * CELL_GAP if rows else 20
    return CARD_HEADER + cells + CARD_PADDING


def _render_card(out: list[str], account: DiagramAccount, x: int, y: int, height: int) -> None:
    needs_entry = account.status == NEEDS_POINT_OF_ENTRY
    counts = _counts(account.units)
    type_label = _label(account.account_type)
    summary = f"{account.name}: {type_label.lower()}, {_counts_text(counts)}"
    if needs_entry:
        summary += " (point of entry needed)"
    out.append(
        f'<g class="account{" account-needs-point-of-entry" if needs_entry else ""}" '
        f'data-status="{_attr(account.status)}"><title>{_text(summary)}</title>'
    )
    out.append(
        f'<rect class="card" x="{x}" y="{y}" width="{CARD_WIDTH}" height="{height}" rx="8" '
        f'fill="#ffffff" stroke="{ALERT if needs_entry else "#bdbdbd"}" '
        f'stroke-width="{2 if needs_entry else 1}"/>'
    )
    left = x + CARD_PADDING
    out.append(
        f'<text class="account-name" x="{left}" y="{y + 28}" font-size="15" '
        f'font-weight="700" fill="{INK}">{_text(_fit(account.name, TEXT_WIDTH, 16))}</text>'
    )
    out.append(
        f'<text class="account-type" x="{left}" y="{y + 47}" font-size="12" '
        f'fill="{MUTED}">{_text(_fit(type_label, TEXT_WIDTH, 12))}</text>'
    )
    out.append(
        f'<text class="counts" x="{left}" y="{y + 64}" font-size="12" fill="{INK}">'
        f"{_text(_counts_text(counts))}</text>"
    )
    if needs_entry:
        out.append(
            f'<g class="point-of-entry-marker"><circle cx="{left + 5}" cy="{y + 77}" r="5" '
            f'fill="{ALERT}"/><text x="{left + 15}" y="{y + 81}" font-size="12" '
            f'font-weight="700" fill="{ALERT}">{POINT_OF_ENTRY_TEXT}</text></g>'
        )
    else:
        status_label = STATUS_LABELS.get(account.status, account.status.replace("_", " "))
        out.append(
            f'<text class="status" x="{left}" y="{y + 81}" font-size="12" fill="{MUTED}">'
            f"{_text(_fit(status_label, TEXT_WIDTH, 12))}</text>"
        )
    top = y + CARD_HEADER
    if not account.units:
        out.append(
            f'<text class="no-units" x="{left}" y="{top + 14}" font-size="12" '
            f'font-style="italic" fill="{MUTED}">no units mapped</text>'
        )
    for i, unit in enumerate(account.units):
        row, col = divmod(i, CELLS_PER_ROW)
        adoption = unit.adoption if unit.adoption in ADOPTION_COLOURS else "none"
        out.append(
            f'<rect class="unit unit-{adoption}" x="{left + col * (CELL + CELL_GAP)}" '
            f'y="{top + row * (CELL + CELL_GAP)}" width="{CELL}" height="{CELL}" rx="3" '
            f'fill="{ADOPTION_COLOURS[adoption]}"><title>{_text(unit.name)}: '
            f"{_text(unit.adoption)}</title></rect>"
        )
    out.append("</g>")


def _render_legend(out: list[str], y: int) -> None:
    x = MARGIN
    for adoption, meaning in LEGEND:
        label = f"{'grey' if adoption == 'none' else adoption}: {meaning}"
        out.append(
            f'<rect class="swatch swatch-{adoption}" x="{x}" y="{y - 12}" width="14" '
            f'height="14" rx="2" fill="{ADOPTION_COLOURS[adoption]}"/>'
            f'<text x="{x + 20}" y="{y}" font-size="13" fill="{INK}">{label}</text>'
        )
        x += 20 + len(label) * 8 + 28
    out.append(
        f'<circle cx="{x + 7}" cy="{y - 5}" r="5" fill="{ALERT}"/>'
        f'<text x="{x + 20}" y="{y}" font-size="13" fill="{INK}">point of entry needed</text>'
    )


def render_territory_svg(territory_name: str, accounts: Sequence[DiagramAccount]) -> str:
    """The territory diagram as a standalone SVG document."""
    by_vertical: dict[str, list[DiagramAccount]] = {}
    for account in accounts:
        by_vertical.setdefault(_label(account.vertical), []).append(account)
    sections = sorted(by_vertical.items(), key=lambda item: (item[0].casefold(), item[0]))

    totals = _counts([unit for account in accounts for unit in account.units])
    needing = [a.name for a in accounts if a.status == NEEDS_POINT_OF_ENTRY]
    summary = (
        f"{_plural(len(accounts), 'account')}, "
        f"{_plural(sum(totals.values()), 'unit')}: {_counts_text(totals)} \u00b7 "
        f"{len(needing)} without a point of entry"
    )
    description = f"{summary}. " + (
        "Accounts that need a point of entry: " + ", ".join(needing) + "."
        if needing
        else "Every account with DevOps units has a point of entry."
    )

    body: list[str] = []
    y = 124
    if not accounts:
        body.append(
            f'<text class="empty" x="{MARGIN}" y="{y + 20}" font-size="14" font-style="italic" '
            f'fill="{MUTED}">No accounts in this territory yet.</text>'
        )
        y += 40
    for vertical, members in sections:
        members.sort(key=lambda a: (a.name.casefold(), a.name))
        waiting = sum(1 for a in members if a.status == NEEDS_POINT_OF_ENTRY)
        heading = f"{vertical} \u00b7 {_plural(len(members), 'account')}"
        if waiting:
            heading += f" \u00b7 {waiting} without a point of entry"
        body.append(
            f'<text class="vertical" x="{MARGIN}" y="{y + 22}" font-size="18" '
            f'font-weight="700" fill="{INK}">{_text(_fit(heading, PAGE_WIDTH - 2 * MARGIN, 18))}'
            "</text>"
        )
        y += 36
        for start in range(0, len(members), CARDS_PER_ROW):
            row = members[start : start + CARDS_PER_ROW]
            height = max(_card_height(a) for a in row)
            for col, account in enumerate(row):
                _render_card(body, account, MARGIN + col * (CARD_WIDTH + CARD_GAP), y, height)
            y += height + CARD_GAP
        y += 12
    page_height = y + MARGIN

    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH}" height="{page_height}" '
        f'viewBox="0 0 {PAGE_WIDTH} {page_height}" font-family="{FONT}" role="img" '
        'aria-labelledby="diagram-title diagram-desc">',
        f'<title id="diagram-title">Territory diagram: {_text(territory_name)}</title>',
        f'<desc id="diagram-desc">{_text(description)}</desc>',
        f'<rect class="background" width="{PAGE_WIDTH}" height="{page_height}" fill="#ffffff"/>',
        f'<text class="title" x="{MARGIN}" y="48" font-size="26" font-weight="700" '
        f'fill="{INK}">{_text(_fit(territory_name, PAGE_WIDTH - 2 * MARGIN, 27))}</text>',
        f'<text class="summary" x="{MARGIN}" y="76" font-size="14" fill="{MUTED}">'
        f"{_text(summary)}</text>",
    ]
    _render_legend(out, 106)
    out.extend(body)
    out.append("</svg>\n")
    return "".join(out)
