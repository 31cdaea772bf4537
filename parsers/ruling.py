"""Tables from ruling lines: the geometry shared by text PDFs and scans.

Input is what a page shows, whatever its source: ruling segments (a PDF's
drawn lines and thin rectangles, or the lines found in a scanned image) and
positioned text (PDF glyphs, or OCR'd text boxes with a confidence). Output is
the page's tables as grids of ``GridCell`` and the text lines outside them.

How a table is found: segments that touch each other form a component; a
component with at least two horizontal and two vertical lines is a table. Its
grid lines are the distinct x of its vertical and y of its horizontal
segments. Two neighbouring grid slots belong to one (merged) cell when no
ruling separates them at the midpoint of their common edge; merged regions
get the origin's text, copies marked ``spanned`` (like HTML's rowspan/colspan).
Coordinates are top-down (y grows downwards), in any unit.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, field

from parsers.blocks import GridCell, Table


@dataclass
class Segment:
    """A ruling line: horizontal when y0 == y1 (within tolerance), else vertical."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return abs(self.y1 - self.y0) <= abs(self.x1 - self.x0)


@dataclass
class Glyph:
    """Positioned text: one PDF character, or one OCR'd text box."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class TableGrid:
    """A table found on a page: grid line positions and the merged regions."""

    xs: list[float]
    ys: list[float]
    region: list[list[int]]  # region id of each grid slot [row][col]
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def contains(self, glyph: Glyph) -> bool:
        x0, y0, x1, y1 = self.bbox
        return x0 <= glyph.cx <= x1 and y0 <= glyph.cy <= y1

    def slot(self, glyph: Glyph) -> tuple[int, int]:
        row = min(max(bisect.bisect_right(self.ys, glyph.cy) - 1, 0), len(self.ys) - 2)
        col = min(max(bisect.bisect_right(self.xs, glyph.cx) - 1, 0), len(self.xs) - 2)
        return row, col


def find_tables(segments: list[Segment], tolerance: float) -> list[TableGrid]:
    """The ruled tables among the segments, top to bottom."""
    horizontal = _merge_collinear([s for s in segments if s.horizontal], True, tolerance)
    vertical = _merge_collinear([s for s in segments if not s.horizontal], False, tolerance)
    components = _components(horizontal, vertical, tolerance)
    tables = []
    for hs, vs in components:
        if len(hs) < 2 or len(vs) < 2:
            continue
        xs = _cluster([v.x0 for v in vs], tolerance)
        ys = _cluster([h.y0 for h in hs], tolerance)
        if len(xs) < 2 or len(ys) < 2:
            continue
        tables.append(_regions(xs, ys, hs, vs, tolerance))
    tables.sort(key=lambda t: t.ys[0])
    return tables


def _merge_collinear(segments: list[Segment], horizontal: bool, tol: float) -> list[Segment]:
    """Join segments on one line that touch or overlap (cell borders drawn piecewise)."""
    norm = []
    for s in segments:
        if horizontal:
            y = (s.y0 + s.y1) / 2
            norm.append(Segment(min(s.x0, s.x1), y, max(s.x0, s.x1), y))
        else:
            x = (s.x0 + s.x1) / 2
            norm.append(Segment(x, min(s.y0, s.y1), x, max(s.y0, s.y1)))
    # cluster by the line's coordinate first (pieces of one slightly skewed line
    # differ by a pixel or two), then merge touching intervals along it
    coord = (lambda s: s.y0) if horizontal else (lambda s: s.x0)
    norm.sort(key=coord)
    clusters: list[list[Segment]] = []
    for s in norm:
        if clusters and coord(s) - coord(clusters[-1][-1]) <= tol:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    out: list[Segment] = []
    for cluster in clusters:
        at = sum(coord(s) for s in cluster) / len(cluster)
        spans = sorted(((s.x0, s.x1) if horizontal else (s.y0, s.y1)) for s in cluster)
        start, end = spans[0]
        for lo, hi in spans[1:] + [(float("inf"), float("inf"))]:
            if lo <= end + tol:
                end = max(end, hi)
                continue
            out.append(Segment(start, at, end, at) if horizontal else Segment(at, start, at, end))
            start, end = lo, hi
    return out


def _components(
    hs: list[Segment], vs: list[Segment], tol: float
) -> list[tuple[list[Segment], list[Segment]]]:
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.x0 - tol <= v.x0 <= h.x1 + tol and v.y0 - tol <= h.y0 <= v.y1 + tol:
                a, b = find(i), find(len(hs) + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return list(groups.values())


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _covered(
    segments: list[Segment], at: float, point: float, horizontal: bool, tol: float
) -> bool:
    for s in segments:
        if horizontal:
            if abs(s.y0 - at) <= tol and s.x0 - tol <= point <= s.x1 + tol:
                return True
        elif abs(s.x0 - at) <= tol and s.y0 - tol <= point <= s.y1 + tol:
            return True
    return False


def _regions(
    xs: list[float], ys: list[float], hs: list[Segment], vs: list[Segment], tol: float
) -> TableGrid:
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        ymid = (ys[r] + ys[r + 1]) / 2
        for c in range(cols):
            xmid = (xs[c] + xs[c + 1]) / 2
            if c + 1 < cols and not _covered(vs, xs[c + 1], ymid, False, tol):
                parent[find(r * cols + c + 1)] = find(r * cols + c)
            if r + 1 < rows and not _covered(hs, ys[r + 1], xmid, True, tol):
                parent[find((r + 1) * cols + c)] = find(r * cols + c)
    region = [[find(r * cols + c) for c in range(cols)] for r in range(rows)]
    return TableGrid(xs, ys, region)


def is_cjk(ch: str) -> bool:
    return (
        "\u3400" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
    )


def lines_of(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into text lines (by vertical overlap), top to bottom, left to right."""
    out: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.cy, g.x0)):
        if out:
            line = out[-1]
            top = min(x.top for x in line)
            bottom = max(x.bottom for x in line)
            height = bottom - top
            if g.top < bottom - 0.4 * min(height, g.bottom - g.top) and g.cy > top:
                line.append(g)
                continue
        out.append([g])
    for line in out:
        line.sort(key=lambda g: g.x0)
    return out


def line_text(line: list[Glyph]) -> str:
    """A line's text: a space where a gap is wide, none between CJK characters."""
    parts: list[str] = []
    previous: Glyph | None = None
    for g in line:
        if previous is not None and parts:
            height = max(g.bottom - g.top, previous.bottom - previous.top, 1e-6)
            gap = g.x0 - previous.x1
            joinable = is_cjk(parts[-1][-1:] or "a") and is_cjk(g.text[:1] or "a")
            if (
                gap > 0.35 * height
                and not joinable
                and not parts[-1].endswith(" ")
                and g.text != " "
            ):
                parts.append(" ")
        parts.append(g.text)
        previous = g
    return " ".join("".join(parts).split())


def join_lines(lines: list[str]) -> str:
    """A cell's lines: wrapped CJK text joins directly, other text with a space."""
    out = ""
    for text in lines:
        if not text:
            continue
        digits = out[-1:].isdigit() and text[0].isdigit()  # a number wrapped in a narrow cell
        if out and not (
            digits
            or is_cjk(out[-1])
            or is_cjk(text[0])
            or unicodedata.category(out[-1]).startswith("P")
        ):
            out += " "
        out += text
    return out


def grid_table(grid: TableGrid, page: int | None) -> Table:
    """The table's cells with their text (and lowest OCR confidence), spans expanded."""
    texts: dict[int, list[Glyph]] = {}
    for g in grid.glyphs:
        r, c = grid.slot(g)
        texts.setdefault(grid.region[r][c], []).append(g)
    seen: set[int] = set()
    table = Table(page=page)
    cells: dict[int, GridCell] = {}
    for row_regions in grid.region:
        row = []
        for region in row_regions:
            if region in seen:
                origin = cells[region]
                row.append(
                    GridCell(origin.text, page=page, confidence=origin.confidence, spanned=True)
                )
                continue
            seen.add(region)
            glyphs = texts.get(region, [])
            text = join_lines([line_text(line) for line in lines_of(glyphs)])
            scores = [g.confidence for g in glyphs if g.confidence is not None]
            confidence = round(min(scores), 3) if scores else None
            cell = GridCell(text, page=page, confidence=confidence)
            cells[region] = cell
            row.append(cell)
        table.rows.append(row)
    return table


def place_glyphs(tables: list[TableGrid], glyphs: list[Glyph]) -> list[Glyph]:
    """Put each glyph into the table containing it; return the glyphs outside all tables."""
    outside = []
    for g in glyphs:
        for table in tables:
            if table.contains(g):
                table.glyphs.append(g)
                break
        else:
            outside.append(g)
    return outside
