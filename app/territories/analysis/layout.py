"""The territory diagram's drawing, once: boxes, circles and text lines at their places, which
the SVG (`diagram.py`) and the PNG (`png.py`) renderers each write out, so both show the same
picture.

Accounts are grouped by vertical; each account is a card with its name (wrapped, never cut),
its counts, a marker when it needs a point of entry, and its leaf units as cells coloured by
adoption and labelled with the unit's name when it fits. Cards and cells wrap, so the width
is fixed and only the height grows with the territory. Text is measured by a rough estimate
of Helvetica's widths (a little wide), so that it fits whichever font draws it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

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
NAME_SIZE = 15
NAME_LINE = 19
CARD_HEADER = 92  # one name line, type, counts and status above the cells
CELLS_PER_ROW = 4
CELL_WIDTH = 78
CELL_HEIGHT = 32
CELL_GAP = 5
CELL_TEXT_SIZE = 9
CELL_TEXT_LINE = 11
PAGE_WIDTH = 2 * MARGIN + CARDS_PER_ROW * CARD_WIDTH + (CARDS_PER_ROW - 1) * CARD_GAP
TEXT_WIDTH = CARD_WIDTH - 2 * CARD_PADDING

INK = "#212121"
MUTED = "#616161"
WHITE = "#ffffff"
ALERT = ADOPTION_COLOURS["red"]
# Cell labels: white on the dark colours, ink on yellow.
CELL_INK = {"green": WHITE, "yellow": INK, "red": WHITE, "none": WHITE}


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


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int
    fill: str
    css: str
    radius: int = 0
    stroke: str | None = None
    stroke_width: int = 0
    tooltip: str | None = None  # SVG <title>: shown on hover, read by screen readers


@dataclass(frozen=True)
class Dot:
    cx: int
    cy: int
    r: int
    fill: str


@dataclass(frozen=True)
class Line:
    """One line of text; `y` is its baseline; centred on `x` when `centred`."""

    x: int
    y: int
    text: str
    size: int
    fill: str
    css: str = ""
    bold: bool = False
    italic: bool = False
    centred: bool = False


@dataclass(frozen=True)
class Group:
    css: str
    items: tuple[Shape, ...]
    tooltip: str | None = None
    status: str | None = None  # an account card's analysis status


Shape = Box | Dot | Line | Group


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    title: str
    description: str
    items: tuple[Shape, ...]


def text_width(text: str, size: float) -> float:
    """A generous estimate of `text`'s width at `size` px (wide characters count 1.7)."""
    return sum(1.7 if unicodedata.east_asian_width(c) in ("W", "F") else 1.0 for c in text) * (
        size * 0.62
    )


def fit(text: str, width: float, size: float) -> str:
    """`text`, cut with an ellipsis where it would overrun `width`."""
    if text_width(text, size) <= width:
        return text
    cut = text
    while cut and text_width(cut + "\u2026", size) > width:
        cut = cut[:-1]
    return cut + "\u2026"


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` in lines no wider than `width`, broken between words (inside a word only when
    the word alone is too wide)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while text_width(word, size) > width:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def _label(slug: str) -> str:
    words = slug.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unspecified"


def counts(units: Sequence[DiagramUnit]) -> dict[str, int]:
    tally = dict.fromkeys(ADOPTION_ORDER, 0)
    for unit in units:
        tally[unit.adoption if unit.adoption in tally else "none"] += 1
    return tally


def counts_text(tally: dict[str, int]) -> str:
    return (
        f"{tally['green']} green \u00b7 {tally['yellow']} yellow \u00b7 "
        f"{tally['red']} red \u00b7 {tally['none']} no DevOps"
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _name_lines(account: DiagramAccount) -> list[str]:
    return wrap(account.name, TEXT_WIDTH, NAME_SIZE + 1)


def _cell_label(name: str) -> list[str]:
    """The unit's name in at most two lines of whole words that fit its cell; none when it
    does not fit."""
    width = CELL_WIDTH - 6
    if any(text_width(word, CELL_TEXT_SIZE) > width for word in name.split()):
        return []
    lines = wrap(name, width, CELL_TEXT_SIZE)
    return lines if len(lines) <= 2 and all(lines) else []


def card_height(account: DiagramAccount) -> int:
    rows = math.ceil(len(account.units) / CELLS_PER_ROW)
    cells = rows * CELL_HEIGHT + (rows - 1) * CELL_GAP if rows else 20
    extra = (len(_name_lines(account)) - 1) * NAME_LINE
    return CARD_HEADER + extra + cells + CARD_PADDING


def _cell(unit: DiagramUnit, x: int, y: int) -> list[Shape]:
    adoption = unit.adoption if unit.adoption in ADOPTION_COLOURS else "none"
    shapes: list[Shape] = [
        Box(
            x,
            y,
            CELL_WIDTH,
            CELL_HEIGHT,
            ADOPTION_COLOURS[adoption],
            f"unit unit-{adoption}",
            radius=3,
            tooltip=f"{unit.name}: {unit.adoption}",
        )
    ]
    lines = _cell_label(unit.name)
    first = y + CELL_HEIGHT // 2 + 4 - (len(lines) - 1) * CELL_TEXT_LINE // 2
    for i, line in enumerate(lines):
        shapes.append(
            Line(
                x + CELL_WIDTH // 2,
                first + i * CELL_TEXT_LINE,
                line,
                CELL_TEXT_SIZE,
                CELL_INK[adoption],
                css="unit-label",
                centred=True,
            )
        )
    return shapes


def _card(account: DiagramAccount, x: int, y: int, height: int) -> Group:
    needs_entry = account.status == NEEDS_POINT_OF_ENTRY
    tally = counts(account.units)
    type_label = _label(account.account_type)
    summary = f"{account.name}: {type_label.lower()}, {counts_text(tally)}"
    if needs_entry:
        summary += " (point of entry needed)"
    left = x + CARD_PADDING
    items: list[Shape] = [
        Box(
            x,
            y,
            CARD_WIDTH,
            height,
            WHITE,
            "card",
            radius=8,
            stroke=ALERT if needs_entry else "#bdbdbd",
            stroke_width=2 if needs_entry else 1,
        )
    ]
    names = _name_lines(account)
    for i, line in enumerate(names):
        items.append(
            Line(left, y + 28 + i * NAME_LINE, line, NAME_SIZE, INK, "account-name", bold=True)
        )
    y += (len(names) - 1) * NAME_LINE
    items.append(Line(left, y + 47, fit(type_label, TEXT_WIDTH, 12), 12, MUTED, "account-type"))
    items.append(Line(left, y + 64, counts_text(tally), 12, INK, "counts"))
    if needs_entry:
        marker = (
            Dot(left + 5, y + 77, 5, ALERT),
            Line(left + 15, y + 81, POINT_OF_ENTRY_TEXT, 12, ALERT, bold=True),
        )
        items.append(Group("point-of-entry-marker", marker))
    else:
        status = STATUS_LABELS.get(account.status, account.status.replace("_", " "))
        items.append(Line(left, y + 81, fit(status, TEXT_WIDTH, 12), 12, MUTED, "status"))
    top = y + CARD_HEADER
    if not account.units:
        items.append(Line(left, top + 14, "no units mapped", 12, MUTED, "no-units", italic=True))
    for i, unit in enumerate(account.units):
        row, col = divmod(i, CELLS_PER_ROW)
        items += _cell(
            unit, left + col * (CELL_WIDTH + CELL_GAP), top + row * (CELL_HEIGHT + CELL_GAP)
        )
    css = "account account-needs-point-of-entry" if needs_entry else "account"
    return Group(css, tuple(items), tooltip=summary, status=account.status)


def _legend(y: int) -> list[Shape]:
    shapes: list[Shape] = []
    x = MARGIN
    for adoption, meaning in LEGEND:
        label = f"{'grey' if adoption == 'none' else adoption}: {meaning}"
        colour = ADOPTION_COLOURS[adoption]
        shapes.append(Box(x, y - 12, 14, 14, colour, f"swatch swatch-{adoption}", radius=2))
        shapes.append(Line(x + 20, y, label, 13, INK))
        x += 20 + len(label) * 8 + 28
    shapes.append(Dot(x + 7, y - 5, 5, ALERT))
    shapes.append(Line(x + 20, y, "point of entry needed", 13, INK))
    return shapes


def layout_territory(territory_name: str, accounts: Sequence[DiagramAccount]) -> Drawing:
    """The whole diagram, placed."""
    by_vertical: dict[str, list[DiagramAccount]] = {}
    for account in accounts:
        by_vertical.setdefault(_label(account.vertical), []).append(account)
    sections = sorted(by_vertical.items(), key=lambda item: (item[0].casefold(), item[0]))

    totals = counts([unit for account in accounts for unit in account.units])
    needing = [a.name for a in accounts if a.status == NEEDS_POINT_OF_ENTRY]
    summary = (
        f"{plural(len(accounts), 'account')}, "
        f"{plural(sum(totals.values()), 'unit')}: {counts_text(totals)} \u00b7 "
        f"{len(needing)} without a point of entry"
    )
    description = f"{summary}. " + (
        "Accounts that need a point of entry: " + ", ".join(needing) + "."
        if needing
        else "Every account with DevOps units has a point of entry."
    )

    items: list[Shape] = [
        Line(
            MARGIN,
            48,
            fit(territory_name, PAGE_WIDTH - 2 * MARGIN, 27),
            26,
            INK,
            "title",
            bold=True,
        ),
        Line(MARGIN, 76, summary, 14, MUTED, "summary"),
        *_legend(106),
    ]
    y = 124
    if not accounts:
        items.append(
            Line(
                MARGIN,
                y + 20,
                "No accounts in this territory yet.",
                14,
                MUTED,
                "empty",
                italic=True,
            )
        )
        y += 40
    for vertical, members in sections:
        members.sort(key=lambda a: (a.name.casefold(), a.name))
        waiting = sum(1 for a in members if a.status == NEEDS_POINT_OF_ENTRY)
        heading = f"{vertical} \u00b7 {plural(len(members), 'account')}"
        if waiting:
            heading += f" \u00b7 {waiting} without a point of entry"
        items.append(
            Line(
                MARGIN,
                y + 22,
                fit(heading, PAGE_WIDTH - 2 * MARGIN, 18),
                18,
                INK,
                "vertical",
                bold=True,
            )
        )
        y += 36
        for start in range(0, len(members), CARDS_PER_ROW):
            row = members[start : start + CARDS_PER_ROW]
            height = max(card_height(a) for a in row)
            for col, account in enumerate(row):
                items.append(_card(account, MARGIN + col * (CARD_WIDTH + CARD_GAP), y, height))
            y += height + CARD_GAP
        y += 12
    return Drawing(PAGE_WIDTH, y + MARGIN, territory_name, description, tuple(items))
