"""The territory diagram SVG: valid XML, escaped names, one cell per unit, bounded width."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from app.core.http import negotiate
from app.territories.analysis.diagram import ADOPTION_COLOURS
from app.territories.analysis.diagram import CELLS_PER_ROW
from app.territories.analysis.diagram import PAGE_WIDTH
from app.territories.analysis.diagram import POINT_OF_ENTRY_TEXT
from app.territories.analysis.diagram import DiagramAccount
from app.territories.analysis.diagram import DiagramUnit
from app.territories.analysis.diagram import render_territory_svg
from app.territories.analysis.layout import Box
from app.territories.analysis.layout import Group
from app.territories.analysis.layout import layout_territory
from app.territories.analysis.layout import text_width
from app.territories.analysis.layout import wrap
from app.territories.analysis.png import STRIP
from app.territories.analysis.png import render_territory_png

SVG = "{http://www.w3.org/2000/svg}"
ADOPTIONS = ("green", "yellow", "red", "none")


def account(
    name: str,
    vertical: str = "financial_services",
    status: str = "land_and_expand",
    adoptions: tuple[str, ...] = ("green", "red"),
    account_type: str = "customer",
) -> DiagramAccount:
    units = tuple(DiagramUnit(f"{name} unit {i}", a) for i, a in enumerate(adoptions))
    return DiagramAccount(name, vertical, account_type, status, units)


def big_territory(accounts: int = 200, units: int = 20) -> list[DiagramAccount]:
    verticals = ("financial_services", "healthcare", "retail", "public_sector", "energy")
    return [
        account(
            f"Account {i:03d}",
            vertical=verticals[i % len(verticals)],
            status="needs_point_of_entry" if i % 7 == 0 else "land_and_expand",
            adoptions=tuple(ADOPTIONS[(i + j) % 4] for j in range(units)),
        )
        for i in range(accounts)
    ]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def unit_rects(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "unit" in r.get("class", "").split()]


def account_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "account" in g.get("class", "").split()]


def all_text(element: ET.Element) -> str:
    return " ".join(element.itertext())


def test_parses_and_carries_the_territory_name_and_legend() -> None:
    svg = render_territory_svg("EMEA Enterprise", [account("Acme")])
    root = parse(svg)
    text = all_text(root)
    assert "EMEA Enterprise" in text
    for meaning in ("uses the product", "evaluating", "DevOps without it", "no DevOps"):
        assert meaning in text
    for colour in ADOPTION_COLOURS.values():
        assert colour in svg
    assert ADOPTION_COLOURS == {
        "green": "#2e7d32",
        "yellow": "#f9a825",
        "red": "#c62828",
        "none": "#9e9e9e",
    }


def test_every_account_name_is_present_and_escaped() -> None:
    names = [
        "Smith & Sons <Holdings>",
        'The "Quoted" Company',
        "O'Reilly's Bank",
        "Müller Straßenbau GmbH",
        "株式会社テスト",
        "]]> <!-- not a comment --> &amp;",
        "<script>alert(1)</script>",
    ]
    svg = render_territory_svg("Terr <&> \"'", [account(n, adoptions=("green",)) for n in names])
    root = parse(svg)
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    for name in names:
        assert any(name in title for title in titles), name
    assert "Terr <&> \"'" in all_text(root)
    assert "<script>" not in svg
    assert not root.findall(f".//{SVG}script")


def test_control_characters_do_not_break_the_xml() -> None:
    svg = render_territory_svg("T\x00\x1f", [account("Bad\x08name", adoptions=("red",))])
    parse(svg)


def test_one_unit_rect_per_unit_with_its_colour_and_title() -> None:
    accounts = [
        account("A", adoptions=("green", "yellow", "red", "none")),
        account("B", vertical="retail", adoptions=()),
        account("C", vertical="healthcare", adoptions=("red",) * 23),
    ]
    root = parse(render_territory_svg("T", accounts))
    rects = unit_rects(root)
    assert len(rects) == 4 + 0 + 23
    first = [r for r in rects if (r.findtext(f"{SVG}title") or "").startswith("A unit")]
    assert [r.get("class") for r in first] == [
        "unit unit-green",
        "unit unit-yellow",
        "unit unit-red",
        "unit unit-none",
    ]
    assert [r.get("fill") for r in first] == [ADOPTION_COLOURS[a] for a in ADOPTIONS]
    assert [r.findtext(f"{SVG}title") for r in first] == [
        "A unit 0: green",
        "A unit 1: yellow",
        "A unit 2: red",
        "A unit 3: none",
    ]


def test_cells_wrap_in_rows() -> None:
    root = parse(render_territory_svg("T", [account("C", adoptions=("red",) * 23)]))
    rects = unit_rects(root)
    rows: dict[str, int] = {}
    for r in rects:
        rows[r.get("y", "")] = rows.get(r.get("y", ""), 0) + 1
    full, last = divmod(23, CELLS_PER_ROW)
    assert sorted(rows.values(), reverse=True) == [CELLS_PER_ROW] * full + [last]
    xs = {int(r.get("x", "0")) + int(r.get("width", "0")) for r in rects}
    cards = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "card"]
    card_right = int(cards[0].get("x", "0")) + int(cards[0].get("width", "0"))
    assert max(xs) < card_right


def test_counts_on_the_card() -> None:
    root = parse(render_territory_svg("T", [account("A", adoptions=("green", "red", "red"))]))
    (group,) = account_groups(root)
    assert "1 green · 0 yellow · 2 red · 0 no DevOps" in all_text(group)


def test_large_territory_wraps_with_bounded_width() -> None:
    accounts = big_territory()
    svg = render_territory_svg("Big", accounts)
    root = parse(svg)
    width = int(root.get("width", "0"))
    height = int(root.get("height", "0"))
    assert width == PAGE_WIDTH <= 1600
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert 2000 < height < 40000
    assert len(unit_rects(root)) == 200 * 20
    assert len(account_groups(root)) == 200
    for rect in root.iter(f"{SVG}rect"):
        assert int(rect.get("x", "0")) + int(rect.get("width", "0")) <= width
        assert int(rect.get("y", "0")) + int(rect.get("height", "0")) <= height


def test_point_of_entry_marker_only_on_accounts_that_need_one() -> None:
    accounts = [
        account("Needs A", status="needs_point_of_entry", adoptions=("red", "none")),
        account("Fine B", status="land_and_expand"),
        account("Needs C", vertical="retail", status="needs_point_of_entry", adoptions=("red",)),
        account("Green D", vertical="retail", status="fully_green", adoptions=("green",)),
        account("Nothing E", vertical="energy", status="no_devops_mapped", adoptions=("none",)),
        account("Trying F", vertical="energy", status="entry_in_progress", adoptions=("yellow",)),
    ]
    svg = render_territory_svg("T", accounts)
    root = parse(svg)
    marked = set()
    for group in account_groups(root):
        name = (group.findtext(f"{SVG}title") or "").split(":")[0]
        markers = [g for g in group.iter(f"{SVG}g") if g.get("class") == "point-of-entry-marker"]
        text = all_text(group)
        if name.startswith("Needs"):
            assert len(markers) == 1 and POINT_OF_ENTRY_TEXT in text
            assert "account-needs-point-of-entry" in group.get("class", "")
            marked.add(name)
        else:
            assert not markers and POINT_OF_ENTRY_TEXT not in text
    assert marked == {"Needs A", "Needs C"}
    assert svg.count(POINT_OF_ENTRY_TEXT) == 2
    description = root.findtext(f"{SVG}desc") or ""
    assert "Needs A" in description and "Needs C" in description
    assert "Fine B" not in description


def test_verticals_are_sections_sorted_by_label() -> None:
    accounts = [
        account("R1", vertical="retail"),
        account("F1", vertical="financial_services"),
        account("H1", vertical="healthcare"),
        account("F2", vertical="financial_services"),
    ]
    root = parse(render_territory_svg("T", accounts))
    headings = [all_text(t) for t in root.iter(f"{SVG}text") if t.get("class") == "vertical"]
    assert [h.split(" · ")[0] for h in headings] == ["Financial services", "Healthcare", "Retail"]
    assert "2 accounts" in headings[0]
    # Cards of a section lie below its heading and above the next one.
    heading_ys = [
        int(t.get("y", "0")) for t in root.iter(f"{SVG}text") if t.get("class") == "vertical"
    ]
    assert heading_ys == sorted(heading_ys)


def test_long_names_wrap_on_the_card() -> None:
    long_name = "Very Long Account Name " * 10
    root = parse(render_territory_svg("T", [account(long_name.strip(), adoptions=("red",))]))
    (group,) = account_groups(root)
    lines = [t for t in group.iter(f"{SVG}text") if t.get("class") == "account-name"]
    assert len(lines) > 1
    assert " ".join(t.text or "" for t in lines) == long_name.strip()
    assert long_name.strip() in (group.findtext(f"{SVG}title") or "")
    # Every line fits the card, and what follows the name moves down below it.
    card = next(r for r in group.iter(f"{SVG}rect") if r.get("class") == "card")
    assert all(text_width(t.text or "", 15) <= int(card.get("width", "0")) for t in lines)
    last_line = max(int(t.get("y", "0")) for t in lines)
    (kind,) = [t for t in group.iter(f"{SVG}text") if t.get("class") == "account-type"]
    assert int(kind.get("y", "0")) > last_line
    (cell,) = unit_rects(group)
    bottom = int(cell.get("y", "0")) + int(cell.get("height", "0"))
    assert bottom <= int(card.get("y", "0")) + int(card.get("height", "0"))


def test_a_word_wider_than_the_card_breaks_inside() -> None:
    assert wrap("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100, 10) == [
        "Aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaa",
    ]
    assert wrap("", 100, 10) == [""]
    assert wrap("a b", 100, 10) == ["a b"]


def test_unit_cells_carry_their_name_when_it_fits() -> None:
    units = (
        DiagramUnit("Claims IT", "green"),
        DiagramUnit("Underwriting Platforms", "yellow"),
        DiagramUnit("Enterprise Architecture and Governance Office", "red"),
    )
    root = parse(render_territory_svg("T", [DiagramAccount("A", "retail", "customer", "x", units)]))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "unit-label"]
    assert [t.text for t in labels] == ["Claims IT", "Underwriting", "Platforms"]
    assert [t.get("fill") for t in labels] == ["#ffffff", "#212121", "#212121"]
    # The name that does not fit is still the cell's title.
    titles = [r.findtext(f"{SVG}title") for r in unit_rects(root)]
    assert titles[2] == "Enterprise Architecture and Governance Office: red"


def test_empty_territory_renders() -> None:
    svg = render_territory_svg("Empty", [])
    root = parse(svg)
    assert unit_rects(root) == []
    assert account_groups(root) == []
    assert "Empty" in all_text(root)
    assert "No accounts" in all_text(root)
    assert int(root.get("width", "0")) == PAGE_WIDTH


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "image/svg+xml"),
        ("", "image/svg+xml"),
        ("*/*", "image/svg+xml"),
        ("image/png", "image/png"),
        ("IMAGE/PNG", "image/png"),
        ("image/png;q=0.5, image/svg+xml", "image/svg+xml"),
        ("image/svg+xml;q=0.4, image/png;q=0.8", "image/png"),
        ("image/*, image/svg+xml;q=0.1", "image/png"),
        ("text/html, image/png;q=0.9", "image/png"),
        ("application/json", "image/svg+xml"),
        ("image/png;q=0", "image/svg+xml"),
        ("image/png;q=abc, */*;q=0.1", "image/svg+xml"),
    ],
)
def test_accept_chooses_the_format(accept: str | None, chosen: str) -> None:
    assert negotiate(accept, ["image/svg+xml", "image/png"]) == chosen


def test_png_is_the_same_drawing() -> None:
    accounts = big_territory(9, 7)
    png = render_territory_png("T", accounts)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()  # every chunk and CRC checked
    drawing = layout_territory("T", accounts)
    assert image.size == (drawing.width, drawing.height) == (PAGE_WIDTH, drawing.height)
    assert image.info["Title"] == "Territory diagram: T"
    # A unit cell is painted in its adoption colour where the layout placed it.
    card = next(s for s in drawing.items if isinstance(s, Group))
    cell = next(s for s in card.items if isinstance(s, Box) and s.css.startswith("unit "))
    colour = ADOPTION_COLOURS[cell.css.split("unit-")[1]]
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert image.convert("RGB").getpixel((cell.x + 2, cell.y + 2)) == rgb


def test_a_tall_png_is_painted_in_strips() -> None:
    accounts = big_territory(60, 20)
    image = Image.open(io.BytesIO(render_territory_png("Tall", accounts)))
    image.load()
    assert image.height > 3 * STRIP
