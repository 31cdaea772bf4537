"""HTML pages and fragments → blocks, with lxml (the hot path; see benchmarks/).

The report sits inside a portal's page chrome. The content container is the
element the CMS puts articles in (``.TRS_Editor``, ``#zoom``, ``.article-content``
…) or, failing that, the page body. Data tables become grids with rowspan and
colspan expanded; layout tables (tables holding tables, or one-cell rows of
running text) are read as text. ``<br>`` is a line break, ``&nbsp;`` is blank.

Speed matters here (hundreds of pages per second per core), so the walk stays
in lxml's C code where it can: each data table is read into a grid and swapped
for a placeholder line, the line breaks that the remaining block tags imply
are written into their text, and one pass over the container's text yields
every paragraph in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from parsers.blocks import Block, GridCell, Paragraph, Table

CONTENT_SELECTORS = (
    "TRS_Editor",
    "trs_editor_view",
    "Custom_UnionStyle",
    "zoom",
    "Zoom",
    "ivs_content",
    "webeditorview",
    "article-content",
    "xxgk_content",
    "zfxxgk_zw_content",
    "news_cont_d_wrap",
    "bt-content",
)
_CONTAINER_NAME = re.compile("|".join(CONTENT_SELECTORS))
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_BLOCK_TAGS = (
    *("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article"),
    *("header", "footer", "nav", "aside", "blockquote", "pre", "address", "dl", "dt", "dd"),
    *("form", "fieldset", "figure", "figcaption", "center", "hr", "tr", "td", "th", "caption"),
)
_SKIP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "select")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_MARKER = re.compile("^\ue000T(\\d+)\ue000$")
MAX_SPAN = 100
_MARKERS = (
    "总体情况",
    "主动公开",
    "收到和处理",
    "行政复议",
    "存在的主要问题",
    "其他需要报告",
    "本年新收",
)


@dataclass
class HtmlPage:
    """What an HTML page gives: blocks, plus the head's metadata and heading texts."""

    blocks: list[Block]
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)


def html_to_page(text: str) -> HtmlPage:
    """Parse an HTML page or fragment into blocks and head metadata."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return HtmlPage([])
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return HtmlPage([Paragraph(line) for line in text.splitlines() if line.strip()])
    title_el = root.find(".//title")
    title = _clean(_text(title_el)) if title_el is not None else None
    meta = {}
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property")
        content = el.get("content")
        if name and content:
            meta[name] = content.strip()
    etree.strip_elements(root, *_SKIP_TAGS, "head", with_tail=False)
    for br in root.iter("br"):
        _prefix_newline(br, "tail")
    headings = [
        heading
        for el in root.iter("h1", "h2", "h3")
        if (heading := _clean(_text(el))) and len(heading) <= 100
    ]
    container = _content_container(root)
    return HtmlPage(_blocks(container), title or None, meta, headings)


def _text(el: etree._Element) -> str:
    """All text inside an element (not its tail), collected in C."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def _content_container(root: etree._Element) -> etree._Element:
    """The element the CMS put the article in (the best-scoring candidate), or the body."""
    body = root.find("body")
    if body is None:
        body = root
    # Block containers first: iterating every cell and span of a page costs more than the
    # rest of finding the container, and a div holding the whole report cannot be beaten.
    best, best_score = _best_candidate(root.iter("div", "section", "article"))
    if best_score < len(_MARKERS):  # some portals put the article in a table cell or a span
        best, best_score = _best_candidate(root.iter("div", "section", "article", "td", "span"))
    if best is not None and best_score >= 2:
        return best
    return body


def _best_candidate(elements: Iterable[etree._Element]) -> tuple[etree._Element | None, int]:
    """The first element named as a content container whose text has the most report markers."""
    best: etree._Element | None = None
    best_score = 0
    for el in elements:
        attrs = el.attrib
        if ("class" in attrs or "id" in attrs) and _CONTAINER_NAME.search(
            attrs.get("class", "") + " " + attrs.get("id", "")
        ):
            text = _text(el)
            score = sum(1 for m in _MARKERS if m in text)
            if score > best_score:
                best, best_score = el, score
            if score == len(_MARKERS):
                break  # the whole report is in here: an inner match cannot score higher
    return best, best_score


def _blocks(container: etree._Element) -> list[Block]:
    """Paragraphs and tables in reading order: tables swapped for placeholder lines."""
    tables: list[Table] = []
    for table in list(container.iter("table")):
        if next(table.iterdescendants("table"), None) is not None:
            continue  # layout (a table holding tables): its cells are read as running text
        parent = table.getparent()
        if parent is None:
            continue
        rows = _rows(table)
        grid, single = table_grid(rows)
        if len(rows) >= 3 and single >= 0.7 * len(rows):
            continue  # layout too: most rows are a single cell of running text
        marker = etree.Element("p")
        marker.text = f"\n\ue000T{len(tables)}\ue000\n"
        if table.tail:
            _assign(marker, "tail", table.tail)
        parent.replace(table, marker)
        tables.append(Table(rows=grid))
    for el in container.iter(*_BLOCK_TAGS):
        _prefix_newline(el, "text")
        _prefix_newline(el, "tail")
    blocks: list[Block] = []
    for raw in _text(container).split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        m = _MARKER.match(line)
        if m:
            if tables[int(m.group(1))].rows:
                blocks.append(tables[int(m.group(1))])
        else:
            blocks.append(Paragraph(line))
    return blocks


def _prefix_newline(el: etree._Element, attr: str) -> None:
    """Put a line break before an element's text or tail."""
    _assign(el, attr, "\n" + (getattr(el, attr) or ""))


def _assign(el: etree._Element, attr: str, value: str) -> None:
    """Set an element's text or tail; lxml refuses control characters there, which a
    broken page may carry (it parsed them all the same): those become spaces."""
    try:
        setattr(el, attr, value)
    except ValueError:
        setattr(el, attr, _CONTROL.sub(" ", value))


def _rows(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (not those of tables nested in it)."""
    rows: list[etree._Element] = []
    for child in table.iterchildren("tr", "thead", "tbody", "tfoot"):
        if child.tag == "tr":
            rows.append(child)
        else:
            rows.extend(child.iterchildren("tr"))
    return rows


def cell_text(cell: etree._Element) -> str:
    """A cell's text (``<br>`` already marked as a line break)."""
    if len(cell):
        return _clean(_text(cell))
    raw = cell.text  # bare text, most cells: HTML folds its whitespace, line breaks included
    return " ".join(raw.split()) if raw else ""


def table_grid(rows: list[etree._Element]) -> tuple[list[list[GridCell]], int]:
    """A table's rows as a dense grid (rowspan/colspan copies marked ``spanned``), and
    how many rows hold a single cell of their own (the layout-table test counts them)."""
    grid: list[list[GridCell]] = []
    pending: dict[tuple[int, int], GridCell] = {}
    n_rows = len(rows)
    single = 0
    for r, tr in enumerate(rows):
        out: list[GridCell] = []
        c = 0
        own = 0
        for td in tr.iterchildren("td", "th"):
            own += 1
            while pending and (r, c) in pending:
                out.append(pending.pop((r, c)))
                c += 1
            text = cell_text(td)
            out.append(GridCell(text))
            rs, cs = td.get("rowspan"), td.get("colspan")
            if rs is None and cs is None:
                c += 1
                continue
            rowspan = _span(rs)
            colspan = _span(cs)
            if colspan > 1:
                out.extend(GridCell(text, spanned=True) for _ in range(1, colspan))
            if rowspan > 1:
                for dr in range(1, min(rowspan, n_rows - r)):
                    for dc in range(colspan):
                        pending[(r + dr, c + dc)] = GridCell(text, spanned=True)
            c += colspan
        while pending and (r, c) in pending:
            out.append(pending.pop((r, c)))
            c += 1
        if out:
            grid.append(out)
        single += own == 1
    return grid, single


def _span(value: str | None) -> int:
    if not value:
        return 1
    try:
        n = int(value.strip())
    except ValueError:
        return 1
    return min(max(n, 1), MAX_SPAN)


def _clean(text: str) -> str:
    """Whitespace folded within lines (``&nbsp;`` and ideographic spaces too), empty lines dropped."""
    text = text.strip()
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    lines = (" ".join(ln.split()) for ln in text.replace("\r", "\n").split("\n"))
    return "\n".join(ln for ln in lines if ln)
