"""The territory diagram as PNG: the drawing of `layout.py` painted with Pillow, in-process (no
browser, no system library: Pillow's wheel carries FreeType and the font it draws with).

A big territory is a tall picture (500 accounts are some 40,000 pixels), so it is painted in
strips and each strip is compressed into the PNG as it is done: memory stays at one strip
whatever the height.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from collections.abc import Sequence
from functools import cache
from importlib import resources

from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from app.territories.analysis.layout import Box
from app.territories.analysis.layout import DiagramAccount
from app.territories.analysis.layout import Dot
from app.territories.analysis.layout import Drawing
from app.territories.analysis.layout import Group
from app.territories.analysis.layout import Line
from app.territories.analysis.layout import Shape
from app.territories.analysis.layout import layout_territory

STRIP = 512  # pixel rows painted at a time
SIGNATURE = b"\x89PNG\r\n\x1a\n"


# Lato (SIL Open Font License), from the font-lato wheel: Latin with its accents, bold, italic.
FACES = {
    (False, False): "Lato-Regular.ttf",
    (True, False): "Lato-Bold.ttf",
    (False, True): "Lato-Italic.ttf",
    (True, True): "Lato-BoldItalic.ttf",
}


@cache
def _font(size: int, bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
    face = resources.files("font_lato") / "files" / FACES[bold, italic]
    with resources.as_file(face) as path:
        return ImageFont.truetype(str(path), size)


@cache
def _glyph(
    char: str, size: int, bold: bool, italic: bool
) -> tuple[Image.Image | None, int, int, float]:
    """A character's coverage mask, its offset from the pen on the baseline, and its advance.
    Painting text glyph by glyph from this cache costs a fraction of laying out every string
    with FreeType (kerning is the price)."""
    font = _font(size, bold, italic)
    advance = font.getlength(char)
    left, top, right, bottom = (int(v) for v in font.getbbox(char, anchor="ls"))
    if right <= left or bottom <= top:
        return None, 0, 0, advance
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, fill=255, font=font, anchor="ls")
    return mask, left, top, advance


def _write(draw: ImageDraw.ImageDraw, line: Line, top: int) -> None:
    glyphs = [_glyph(c, line.size, line.bold, line.italic) for c in line.text]
    pen = line.x - (sum(g[3] for g in glyphs) / 2 if line.centred else 0)
    y = line.y - top
    for mask, left, up, advance in glyphs:
        if mask is not None:
            draw.bitmap((round(pen) + left, y + up), mask, fill=line.fill)
        pen += advance


def _bounds(shape: Shape) -> tuple[int, int]:
    """The rows a shape may paint (generous for text: ascenders, descenders, bold)."""
    match shape:
        case Box():
            return shape.y - shape.stroke_width, shape.y + shape.height + shape.stroke_width
        case Dot():
            return shape.cy - shape.r, shape.cy + shape.r
        case Line():
            return shape.y - shape.size - 2, shape.y + shape.size // 2 + 2
        case Group():
            spans = [_bounds(item) for item in shape.items] or [(0, 0)]
            return min(s[0] for s in spans), max(s[1] for s in spans)


def _paint(draw: ImageDraw.ImageDraw, shape: Shape, top: int) -> None:
    match shape:
        case Box():
            box = (
                shape.x,
                shape.y - top,
                shape.x + shape.width - 1,
                shape.y + shape.height - 1 - top,
            )
            draw.rounded_rectangle(
                box,
                radius=shape.radius,
                fill=shape.fill,
                outline=shape.stroke,
                width=shape.stroke_width,
            )
        case Dot():
            draw.ellipse(
                (
                    shape.cx - shape.r,
                    shape.cy - shape.r - top,
                    shape.cx + shape.r,
                    shape.cy + shape.r - top,
                ),
                fill=shape.fill,
            )
        case Line():
            _write(draw, shape, top)
        case Group():
            for item in shape.items:
                _paint(draw, item, top)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _text_chunk(keyword: bytes, text: str) -> bytes:
    """An uncompressed UTF-8 text chunk (iTXt): keyword, no compression, no language."""
    return _chunk(b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + text.replace("\x00", "").encode())


def _strips(drawing: Drawing) -> Iterator[bytes]:
    """The picture's raw scanlines (each with PNG filter byte 0), one strip at a time."""
    placed = [(shape, *_bounds(shape)) for shape in drawing.items]
    stride = drawing.width * 3
    for top in range(0, drawing.height, STRIP):
        height = min(STRIP, drawing.height - top)
        image = Image.new("RGB", (drawing.width, height), "#ffffff")
        draw = ImageDraw.Draw(image)
        for shape, first, last in placed:
            if last >= top and first < top + height:
                _paint(draw, shape, top)
        raw = image.tobytes()
        yield b"".join(b"\x00" + raw[row * stride : (row + 1) * stride] for row in range(height))


def render_png(drawing: Drawing) -> bytes:
    header = struct.pack(">IIBBBBB", drawing.width, drawing.height, 8, 2, 0, 0, 0)
    out = [SIGNATURE, _chunk(b"IHDR", header)]
    out.append(_text_chunk(b"Title", f"Territory diagram: {drawing.title}"))
    out.append(_text_chunk(b"Description", drawing.description))
    compressor = zlib.compressobj(6)
    for strip in _strips(drawing):
        data = compressor.compress(strip)
        if data:
            out.append(_chunk(b"IDAT", data))
    out.append(_chunk(b"IDAT", compressor.flush()))
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def render_territory_png(territory_name: str, accounts: Sequence[DiagramAccount]) -> bytes:
    """The territory diagram as a PNG image, the same drawing as the SVG."""
    return render_png(layout_territory(territory_name, accounts))
