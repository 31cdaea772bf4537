"""HTML pages and fragments → blocks, with lxml (the hot path; see benchmarks/).

The report sits inside a portal's page chrome. The content container is the
element the CMS puts articles in (``.TRS_Editor``, ``#zoom``, ``.article-content``
…) or, failing that, the smallest element holding the requests table and most
section headings. Tables become grids with rowspan/colspan expanded; layout
tables (tables holding tables) are walked as containers. ``<br>`` inside a cell
is a line break, ``&nbsp;`` is blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
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
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "blockquote",
        "pre",
        "address",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "center",
        "hr",
        "tbody",
        "thead",
        "tfoot",
    ]
)
_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "iframe",
        "object",
        "embed",
        "select",
        "option",
        "button",
    ]
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
MAX_SPAN = 100


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
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return HtmlPage([Paragraph(line) for line in text.splitlines() if line.strip()])
    title_el = root.find(".//title")
    title = _clean(title_el.text_content()) if title_el is not None else None
    meta = {}
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property")
        content = el.get("content")
        if name and content:
            meta[name] = content.strip()
    headings = [
        text
        for el in root.iter("h1", "h2", "h3")
        if (text := _clean(el.text_content())) and len(text) <= 100
    ]
    container = _content_container(root)
    walker = _Walker()
    walker.walk(container)
    walker.flush()
    return HtmlPage(walker.blocks, title or None, meta, headings)


def _content_container(root: etree._Element) -> etree._Element:
    body = root.find("body")
    if body is None:
        body = root
    best: etree._Element | None = None
    best_score = 0
    for el in body.iter("div", "td", "section", "article", "span"):
        ident = f"{el.get('id') or ''} {el.get('class') or ''}"
        if not any(sel in ident for sel in CONTENT_SELECTORS):
            continue
        score = _report_score(el)
        if score > best_score:
            best, best_score = el, score
    if best is not None and best_score >= 2:
        return best
    return body


def _report_score(el: etree._Element) -> int:
    text = el.text_content()
    markers = (
        "总体情况",
        "主动公开",
        "收到和处理",
        "行政复议",
        "存在的主要问题",
        "其他需要报告",
        "本年新收",
    )
    return sum(1 for m in markers if m in text)


class _Walker:
    """Depth-first walk emitting paragraphs (one per text line) and table grids."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.line: list[str] = []

    def flush(self) -> None:
        text = _clean("".join(self.line))
        if text:
            for part in text.split("\n"):
                part = part.strip()
                if part:
                    self.blocks.append(Paragraph(part))
        self.line = []

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            if el.tail:
                self.line.append(el.tail)
            return
        if tag == "table":
            self.flush()
            if el.find(".//table") is not None or _is_text_table(el):
                for child in el.iter("td", "th"):
                    if child.getparent() is not None and _owning_table(child) is el:
                        self._walk_children(child)
                        self.flush()
            else:
                grid = table_grid(el)
                if grid:
                    self.blocks.append(Table(rows=grid))
            if el.tail:
                self.line.append(el.tail)
            return
        if tag == "br":
            self.line.append("\n")
            if el.tail:
                self.line.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        self._walk_children(el)
        if block:
            self.flush()
        if el.tail:
            self.line.append(el.tail)

    def _walk_children(self, el: etree._Element) -> None:
        if el.text:
            self.line.append(el.text)
        for child in el:
            self.walk(child)


def _is_text_table(table: etree._Element) -> bool:
    """A table used to lay out running text: most of its rows are a single cell."""
    rows = [tr for tr in table.iter("tr") if _owning_table(tr) is table]
    if len(rows) < 3:
        return False
    single = sum(1 for tr in rows if sum(1 for td in tr if td.tag in ("td", "th")) == 1)
    return single >= 0.7 * len(rows)


def _owning_table(cell: etree._Element) -> etree._Element | None:
    parent = cell.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def cell_text(cell: etree._Element) -> str:
    """A cell's text with ``<br>`` and block children as line breaks."""
    parts: list[str] = []

    def visit(el: etree._Element) -> None:
        if el.text:
            parts.append(el.text)
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br":
                parts.append("\n")
            elif tag in _SKIP_TAGS or not tag:
                pass
            else:
                if tag in _BLOCK_TAGS and parts:
                    parts.append("\n")
                visit(child)
            if child.tail:
                parts.append(child.tail)

    visit(cell)
    return _clean("".join(parts))


def table_grid(table: etree._Element) -> list[list[GridCell]]:
    """The table as a dense grid: rowspan/colspan copies marked ``spanned``."""
    grid: list[list[GridCell]] = []
    pending: dict[tuple[int, int], GridCell] = {}
    rows = [tr for tr in table.iter("tr") if _owning_table(tr) is table]
    for r, tr in enumerate(rows):
        out: list[GridCell] = []
        c = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, c) in pending:
                out.append(pending.pop((r, c)))
                c += 1
            text = cell_text(td)
            rowspan = _span(td.get("rowspan"))
            colspan = _span(td.get("colspan"))
            for dc in range(colspan):
                out.append(GridCell(text, spanned=dc > 0))
                for dr in range(1, rowspan):
                    if r + dr < len(rows):
                        pending[(r + dr, c + dc)] = GridCell(text, spanned=True)
            c += colspan
        while (r, c) in pending:
            out.append(pending.pop((r, c)))
            c += 1
        if out:
            grid.append(out)
    return grid


def _span(value: str | None) -> int:
    try:
        n = int((value or "1").strip())
    except ValueError:
        return 1
    return min(max(n, 1), MAX_SPAN)


def _clean(text: str) -> str:
    lines = [_WS.sub(" ", ln).strip() for ln in text.replace("\r", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln)
