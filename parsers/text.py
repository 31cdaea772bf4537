"""Plain text and Markdown → blocks.

Three table layouts occur in text that reaches us:

- **tab rows**: one table row per line, cells separated by tabs (converted
  documents); merged cells leave shifted or missing tabs;
- **one cell per line**: a flattened HTML table, every cell on its own line
  starting with a tab, rows separated by blank lines, a cell's own line breaks
  continuing on lines without the tab ("本年新" / "制作数量");
- **Markdown pipe tables** (what PDF converters emit).

Everything else is a paragraph, one per non-empty line.
"""

from __future__ import annotations

import re

from parsers.blocks import Block, GridCell, Paragraph, Table

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"\*\*|__")
_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
# A line that opens one of the six sections; never swallowed into a table cell.
_SECTION_HEADING = re.compile(
    r"^\s*(?:[一二三四五六]、|[1-6][、.．]|（[一二三四五六]）|\([一二三四五六]\))\s*\S*"
    r"(总体情况|主动公开|收到和处理|依申请|行政复议|存在的主要问题|其他需要报告)"
)


def text_to_blocks(text: str) -> list[Block]:
    """Split text into paragraphs and tables (see the module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    single_cell = sum(1 for ln in lines if _is_single_cell(ln))
    one_cell_per_line = single_cell >= 12
    blocks: list[Block] = []
    table: list[list[GridCell]] | None = None
    row: list[GridCell] | None = None

    def close_row() -> None:
        nonlocal row
        if row is not None and table is not None and row:
            table.append(row)
        row = None

    def close_table() -> None:
        nonlocal table
        close_row()
        if table:
            blocks.append(Table(rows=table))
        table = None

    previous_was_cell = False
    for line in lines:
        stripped = line.strip()
        if line.lstrip(" ").startswith("|") and stripped.count("|") >= 2:
            if _MD_SEPARATOR.match(stripped):
                continue
            close_row()
            if table is None:
                table = []
            table.append([GridCell(c.strip()) for c in _split_pipes(stripped)])
            previous_was_cell = False
            continue
        if one_cell_per_line and _is_single_cell(line):
            if table is None:
                table = []
            if row is None:
                row = []
            row.append(GridCell(line.strip()))
            previous_was_cell = True
            continue
        if "\t" in line and not _is_single_cell(line):
            close_row()
            if table is None:
                table = []
            table.append([GridCell(c.strip()) for c in _split_tabs(line)])
            previous_was_cell = False
            continue
        if not stripped:
            close_row()
            previous_was_cell = False
            continue
        if previous_was_cell and row and not _SECTION_HEADING.match(stripped):
            # A cell's text continues on the next line ("本年新" / "制作数量").
            last = row[-1]
            last.text = f"{last.text}\n{stripped}" if last.text else stripped
            continue
        close_table()
        blocks.append(Paragraph(_MD_EMPHASIS.sub("", _MD_HEADING.sub("", stripped))))
        previous_was_cell = False
    close_table()
    return blocks


def _is_single_cell(line: str) -> bool:
    """A line of the one-cell-per-line layout: a leading tab and no other tab."""
    return line.startswith("\t") and "\t" not in line[1:]


def _split_tabs(line: str) -> list[str]:
    return line.rstrip("\n").split("\t")


def _split_pipes(line: str) -> list[str]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return inner.split("|")
