"""PDF → blocks: the text layer and ruled tables, or OCR for pages without one.

pypdfium2 (PDFium, Apache-2.0/BSD) reads each page's characters with their
boxes and the page's path objects; ``ruling`` turns the drawn lines into table
grids (merged cells, vertical merges such as 三、本年度办理结果 included) and
puts each character in its cell. It is ~20× faster than pdfplumber's
pdfminer-based extraction and permissively licensed (PyMuPDF is AGPL).

A page goes to OCR (``ocr.py``) when its text layer is missing (a scan) or
garbage: characters PDFium cannot map to Unicode (a font without ToUnicode,
what pdfminer shows as ``(cid:N)``), private-use or replacement characters, or
CJK text made mostly of rare characters (a wrong cmap yields plausible-looking
but random hanzi). ``pagetext`` then drops running headers and footers, joins
wrapped lines and repairs tables cut by a page break; a table continued on the
next page stays a separate block (the interpreter joins them).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass

from parsers import limits
from parsers.blocks import Block, Paragraph, Table
from parsers.errors import DocumentTooLarge, EmptyDocument
from parsers.limits import (
    MAX_OCR_PAGES,
    MAX_PDF_PAGES,
    CorruptDocument,
    EncryptedDocument,
    check_pixels,
    check_size,
)
from parsers.pagetext import PageLine, tidy_pages
from parsers.record import DocumentMeta
from parsers.ruling import (
    Glyph,
    Segment,
    find_tables,
    grid_table,
    line_text,
    lines_of,
    place_glyphs,
)

OCR_DPI = 300
RULE_THICKNESS = 3.0  # points: a path thinner than this is a ruling line


@dataclass
class PageText:
    """What the text layer of one page gives."""

    glyphs: list[Glyph]
    segments: list[Segment]
    width: float
    height: float
    garbage: str | None  # why the text layer cannot be trusted, or None
    has_images: bool


def pdf_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    """The paragraphs and tables of a PDF, in reading order, page by page."""
    import pypdfium2 as pdfium

    check_size(data, "PDF")
    document = _open(data)
    pages = number = 0
    try:
        pages = len(document)
        if pages > MAX_PDF_PAGES:
            raise DocumentTooLarge(f"PDF has {pages:,} pages (limit {MAX_PDF_PAGES:,})")
        if pages == 0:
            raise EmptyDocument("PDF has no pages")
        per_page: list[list[Block]] = []
        ocr_pages = 0
        started = time.monotonic()
        slowest_ocr = 0.0  # the longest a page's OCR has taken so far in this document
        for number in range(pages):
            page = document[number]
            try:
                text = read_page(page)
                if text.garbage is None:
                    per_page.append(page_blocks(text, number + 1))
                    continue
                if not text.has_images and text.garbage == "no text":
                    per_page.append([])
                    continue
                ocr_pages += 1
                if ocr_pages > MAX_OCR_PAGES:
                    raise DocumentTooLarge(
                        f"PDF needs OCR on more than {MAX_OCR_PAGES} pages (limit); refused"
                    )
                # A page is not started when it would likely end past the budget (judged by
                # the slowest page so far): the budget is checked between pages only, and a
                # page can take tens of seconds on a loaded machine.
                page_started = time.monotonic()
                if page_started - started + slowest_ocr > limits.MAX_OCR_SECONDS:
                    raise DocumentTooLarge(
                        f"PDF OCR would pass its {limits.MAX_OCR_SECONDS:.0f} s budget at page "
                        f"{number + 1} of {pages} (limit); refused"
                    )
                per_page.append(ocr_page(page, number + 1, pdfium))
                slowest_ocr = max(slowest_ocr, time.monotonic() - page_started)
            finally:
                page.close()
    except pdfium.PdfiumError as error:  # a page whose objects PDFium cannot load
        raise CorruptDocument(
            f"PDF page {number + 1} of {pages} cannot be read: {error}"
        ) from error
    finally:
        document.close()
    return tidy_pages(per_page)


def _open(data: bytes):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    if not data.lstrip()[:1024].startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        raise CorruptDocument("not a PDF: no %PDF header")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        message = str(error)
        if "password" in message.lower():
            raise EncryptedDocument("PDF is encrypted (a password is needed to open it)") from error
        raise CorruptDocument(f"PDF cannot be opened: {message}") from error


def read_page(page) -> PageText:  # type: ignore[no-untyped-def]
    """Characters (top-down coordinates) and ruling segments of one page."""
    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range() if count else ""
        glyphs: list[Glyph] = []
        unmapped = 0
        for index, char in enumerate(text[:count]):
            if char in "\r\n\x00\ufffe" or raw.FPDFText_IsGenerated(textpage.raw, index) == 1:
                continue
            if raw.FPDFText_HasUnicodeMapError(textpage.raw, index):
                unmapped += 1
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            if right <= left and char != " ":
                continue
            glyph = Glyph(char, left, height - top, right, height - bottom)
            if (
                0 <= glyph.cx <= width and 0 <= glyph.cy <= height
            ):  # text clipped off the page is not printed
                glyphs.append(glyph)
    finally:
        textpage.close()
    segments: list[Segment] = []
    has_images = False
    for obj in page.get_objects(max_depth=3):
        kind = obj.type
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = obj.get_bounds()
            has_images = has_images or (right - left) * (top - bottom) > 0.25 * width * height
        elif kind == raw.FPDF_PAGEOBJ_PATH:
            segments.extend(_path_segments(obj, raw, height))
    segments = [c for c in (_clip(s, width, height) for s in segments) if c is not None]
    return PageText(glyphs, segments, width, height, _garbage(glyphs, unmapped), has_images)


def _path_segments(obj, raw, height: float) -> list[Segment]:  # type: ignore[no-untyped-def]
    left, bottom, right, top = obj.get_bounds()
    w, h = right - left, top - bottom
    y0, y1 = height - top, height - bottom
    if h <= RULE_THICKNESS and w > RULE_THICKNESS:
        y = (y0 + y1) / 2
        return [Segment(left, y, right, y)]
    if w <= RULE_THICKNESS and h > RULE_THICKNESS:
        x = (left + right) / 2
        return [Segment(x, y0, x, y1)]
    if w > RULE_THICKNESS and h > RULE_THICKNESS and raw.FPDFPath_CountSegments(obj.raw) <= 6:
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        raw.FPDFPath_GetDrawMode(obj.raw, fill, stroke)
        if stroke.value:  # a stroked rectangle: its four edges
            return [
                Segment(left, y0, right, y0),
                Segment(left, y1, right, y1),
                Segment(left, y0, left, y1),
                Segment(right, y0, right, y1),
            ]
    return []


def _clip(s: Segment, width: float, height: float) -> Segment | None:
    """The part of a ruling on the page (a table cut by the page edge ends there)."""
    if s.horizontal:
        if not 0 <= s.y0 <= height:
            return None
        x0, x1 = max(s.x0, 0), min(s.x1, width)
        return Segment(x0, s.y0, x1, s.y1) if x1 - x0 > 0.5 else None
    if not 0 <= s.x0 <= width:
        return None
    y0, y1 = max(s.y0, 0), min(s.y1, height)
    return Segment(s.x0, y0, s.x1, y1) if y1 - y0 > 0.5 else None


def _garbage(glyphs: list[Glyph], unmapped: int) -> str | None:
    """Why a page's text layer is unusable (and should be OCR'd), or None."""
    visible = [g.text for g in glyphs if not g.text.isspace()]
    if len(visible) < 5:
        return "no text"
    if unmapped > 0.1 * len(visible):
        return f"{unmapped} of {len(visible)} characters have no Unicode mapping"
    odd = sum(1 for ch in visible if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    if odd > 0.1 * len(visible):
        return f"{odd} of {len(visible)} characters are private-use or replacement characters"
    hanzi = [ch for ch in visible if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"]
    if len(hanzi) >= 20:
        common = sum(1 for ch in hanzi if _common_hanzi(ch))
        if common < 0.6 * len(hanzi):
            return f"only {common} of {len(hanzi)} hanzi are common characters (wrong font cmap)"
    return None


def _common_hanzi(ch: str) -> bool:
    """GB 2312 level 1 or 2 (6,763 characters cover almost any official text)."""
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xF7


def page_blocks(text: PageText, page: int) -> list[Block]:
    """Tables and text lines of one page, ordered top to bottom."""
    grids = find_tables(text.segments, tolerance=2.0)
    grids = [g for g in grids if len(g.xs) >= 2 and len(g.ys) >= 2]
    outside = place_glyphs(grids, text.glyphs)
    positioned: list[tuple[float, Block]] = []
    for grid in grids:
        table = grid_table(grid, page)
        if any(cell.text for row in table.rows for cell in row):
            positioned.append((grid.ys[0], table))
    for line in lines_of(outside):
        content = line_text(line)
        if content:
            top = min(g.top for g in line)
            bottom = max(g.bottom for g in line)
            box = (min(g.x0 for g in line), top, max(g.x1 for g in line), bottom)
            positioned.append((top, PageLine.at(content, page, box, text.height)))
    positioned.sort(key=lambda item: item[0])
    return [block for _, block in positioned]


def ocr_page(page, number: int, pdfium) -> list[Block]:  # type: ignore[no-untyped-def]
    """Render the page at OCR_DPI (within the pixel limit) and OCR it."""
    from parsers.ocr import image_blocks

    width, height = page.get_size()
    scale = OCR_DPI / 72
    check_pixels(int(width * scale), int(height * scale), f"PDF page {number} at {OCR_DPI} dpi")
    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
    return image_blocks(image, number)


__all__ = ["pdf_blocks", "Table", "Paragraph"]
