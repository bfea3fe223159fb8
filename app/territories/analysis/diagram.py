"""The territory diagram as SVG, a document a rep can put on a slide (seed step 1): the drawing
of `layout.py` written out as elements, with hover titles and an accessible description."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from app.territories.analysis.layout import ADOPTION_COLOURS
from app.territories.analysis.layout import CARDS_PER_ROW
from app.territories.analysis.layout import CELLS_PER_ROW
from app.territories.analysis.layout import PAGE_WIDTH
from app.territories.analysis.layout import POINT_OF_ENTRY_TEXT
from app.territories.analysis.layout import Box
from app.territories.analysis.layout import DiagramAccount
from app.territories.analysis.layout import DiagramUnit
from app.territories.analysis.layout import Dot
from app.territories.analysis.layout import Group
from app.territories.analysis.layout import Line
from app.territories.analysis.layout import Shape
from app.territories.analysis.layout import layout_territory

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

FONT = "Helvetica, Arial, sans-serif"

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(text: str) -> str:
    return escape(_clean(text))


def _attr(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;", "'": "&apos;"})


def _title(tooltip: str | None) -> str:
    return "" if tooltip is None else f"<title>{_text(tooltip)}</title>"


def _write(out: list[str], shape: Shape) -> None:
    match shape:
        case Box():
            stroke = (
                f' stroke="{shape.stroke}" stroke-width="{shape.stroke_width}"'
                if shape.stroke
                else ""
            )
            corner = f' rx="{shape.radius}"' if shape.radius else ""
            opening = (
                f'<rect class="{shape.css}" x="{shape.x}" y="{shape.y}" width="{shape.width}" '
                f'height="{shape.height}"{corner} fill="{shape.fill}"{stroke}'
            )
            tooltip = _title(shape.tooltip)
            out.append(f"{opening}>{tooltip}</rect>" if tooltip else f"{opening}/>")
        case Dot():
            out.append(
                f'<circle cx="{shape.cx}" cy="{shape.cy}" r="{shape.r}" fill="{shape.fill}"/>'
            )
        case Line():
            css = f' class="{shape.css}"' if shape.css else ""
            style = (
                (' text-anchor="middle"' if shape.centred else "")
                + (' font-weight="700"' if shape.bold else "")
                + (' font-style="italic"' if shape.italic else "")
            )
            out.append(
                f'<text{css} x="{shape.x}" y="{shape.y}" font-size="{shape.size}"{style} '
                f'fill="{shape.fill}">{_text(shape.text)}</text>'
            )
        case Group():
            status = f' data-status="{_attr(shape.status)}"' if shape.status is not None else ""
            out.append(f'<g class="{shape.css}"{status}>{_title(shape.tooltip)}')
            for item in shape.items:
                _write(out, item)
            out.append("</g>")


def render_territory_svg(territory_name: str, accounts: Sequence[DiagramAccount]) -> str:
    """The territory diagram as a standalone SVG document."""
    drawing = layout_territory(territory_name, accounts)
    width, height = drawing.width, drawing.height
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" '
        'aria-labelledby="diagram-title diagram-desc">',
        f'<title id="diagram-title">Territory diagram: {_text(drawing.title)}</title>',
        f'<desc id="diagram-desc">{_text(drawing.description)}</desc>',
        f'<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for shape in drawing.items:
        _write(out, shape)
    out.append("</svg>\n")
    return "".join(out)
