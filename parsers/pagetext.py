"""Lines of page text: running headers and footers, wrapped lines, cut tables.

Paged formats (PDF text layers and OCR'd pages) give lines, not paragraphs,
and repeat page furniture on every page. ``tidy_pages`` takes each page's
blocks (``PageLine`` for text, with its position) and returns the document's
blocks: page numbers ("- 3 -", "第 3 页 共 9 页") and lines repeated in the
margins of most pages dropped, lines wrapped by the word processor (also
across a page break) joined back into paragraphs, and tables cut by a page
break repaired.
"""

from __future__ import annotations

import re
from collections import Counter

from parsers.blocks import Block, Paragraph, Table
from parsers.ruling import join_lines

MARGIN = 0.08  # top and bottom share of a page where running headers/footers live
_PAGE_NUMBER = re.compile(
    r"^[-－—–·\s]*(第\s*)?[0-9０-９一二三四五六七八九十]+(\s*页)?(\s*[/／共]\s*[0-9０-９]+\s*页?)?[-－—–·\s]*$"
)


class PageLine(Paragraph):
    """A line of text on a page, with its horizontal extent and height.

    ``margin`` marks a line in the top or bottom margin (a candidate header or footer).
    """

    def __init__(
        self, text: str, page: int, margin: bool, x0: float, x1: float, height: float
    ) -> None:
        super().__init__(text, page)
        self.margin = margin
        self.x0, self.x1, self.height = x0, x1, height

    @classmethod
    def at(
        cls, text: str, page: int, box: tuple[float, float, float, float], page_height: float
    ) -> PageLine:
        """A line from its box (x0, top, x1, bottom) on a page of the given height."""
        x0, top, x1, bottom = box
        margin = top < MARGIN * page_height or bottom > (1 - MARGIN) * page_height
        return cls(text, page, margin, x0, x1, bottom - top)


def tidy_pages(per_page: list[list[Block]]) -> list[Block]:
    """The document's blocks from its pages' blocks (see the module docstring)."""
    return stitch_continued_tables(drop_running_lines(per_page))


def drop_running_lines(per_page: list[list[Block]]) -> list[Block]:
    """Remove page numbers and lines repeated in the margins of most pages."""
    shapes: Counter[str] = Counter()
    for blocks in per_page:
        seen = {_shape(b.text) for b in blocks if isinstance(b, PageLine) and b.margin}
        shapes.update(seen)
    pages = len(per_page)
    kept: list[Block] = []
    for blocks in per_page:
        for block in blocks:
            if isinstance(block, PageLine) and block.margin:
                repeated = pages >= 2 and shapes[_shape(block.text)] >= max(2, pages / 2)
                if _PAGE_NUMBER.match(block.text) or repeated:
                    continue
            kept.append(block)
    return join_wrapped_lines(kept)


_ENUMERATED = re.compile(
    r"^\s*([一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十0-9]+[)）]|[0-9]+[、.．]\D|第[一二三四五六七八九十]+[章节部分])"
)


def join_wrapped_lines(blocks: list[Block]) -> list[Block]:
    """Join a line that runs to the right edge of the text with the line after it.

    A PDF stores lines, not paragraphs: a line that fills the text width was
    wrapped by the word processor (also across a page break); a heading or the
    last line of a paragraph stops short. Tables and page breaks between two
    lines are not crossed, except a page break with nothing in between.
    """
    right: dict[int | None, float] = {}
    left: dict[int | None, float] = {}
    for block in blocks:
        if isinstance(block, PageLine):
            right[block.page] = max(right.get(block.page, 0.0), block.x1)
            left[block.page] = min(left.get(block.page, 1e9), block.x0)
    out: list[Block] = []
    previous: PageLine | None = None
    for block in blocks:
        if not isinstance(block, PageLine):
            out.append(block)
            previous = None
            continue
        if previous is not None:
            wrapped = previous.x1 >= right[previous.page] - 1.5 * previous.height
            starts_left = block.x0 <= left[block.page] + 2.5 * block.height
            middle = (left[block.page] + right[block.page]) / 2
            centered = abs((block.x0 + block.x1) / 2 - middle) < block.height
            if wrapped and (starts_left or centered) and not _ENUMERATED.match(block.text):
                last = out[-1]
                assert isinstance(last, Paragraph)
                last.text = join_lines([last.text, block.text])
                previous = block
                continue
        out.append(Paragraph(block.text, block.page))
        previous = block
    return out


_NUMERIC = re.compile(r"^[-+]?[0-9０-９,，.．]+\s*(万元|元|件|条|个|项)?$")


def stitch_continued_tables(blocks: list[Block]) -> list[Block]:
    """Repair what a page break does to a table continued on the next page.

    Two artefacts of a row or merged cell cut by the break: the first row on
    the new page holds only the wrapped tail of the previous row's text (the
    tail is appended there and the fragment row dropped), and a vertically
    merged label (三、本年度办理结果) continues as a blank merged cell (it gets
    the label back, marked ``spanned``). Blocks stay separate; only tables
    that are last on one page and first on the next, with the same number of
    columns, are touched.
    """
    for index in range(1, len(blocks)):
        before, after = blocks[index - 1], blocks[index]
        if not (isinstance(before, Table) and isinstance(after, Table)):
            continue
        if (
            before.page is None
            or after.page != before.page + 1
            or not before.rows
            or not after.rows
        ):
            continue
        width = len(before.rows[-1])
        if any(len(row) != width for row in after.rows[:1]):
            continue
        last = before.rows[-1]
        first = after.rows[0]
        filled_first = [c for c in range(width) if first[c].text and not first[c].spanned]
        numbers_missing = any(
            _NUMERIC.match(last[c].text) and not first[c].text for c in range(width)
        )
        no_numbers = not any(
            _NUMERIC.match(first[c].text) or _ENUMERATED.match(first[c].text) for c in filled_first
        )
        if (
            filled_first
            and numbers_missing
            and no_numbers
            and all(last[c].text for c in filled_first)
        ):
            for c in filled_first:
                tail = first[c].text
                for cell in last:
                    if cell.text == last[c].text and cell is not last[c]:
                        cell.text = join_lines([cell.text, tail])
                last[c].text = join_lines([last[c].text, tail])
            after.rows.pop(0)
            if not after.rows:
                continue
        for c in range(width):
            label = last[c].text
            head = after.rows[0][c]
            if head.text or not label or _NUMERIC.match(label):
                continue
            if not (last[c].spanned or (len(after.rows) > 1 and after.rows[1][c].spanned)):
                continue
            for row in after.rows:
                if row[c].text or (row is not after.rows[0] and not row[c].spanned):
                    break
                row[c].text = label
                row[c].spanned = True
    return blocks


def _shape(text: str) -> str:
    return re.sub(r"[0-9０-９]+", "#", text.replace(" ", ""))
