"""Legacy Word/WPS and Excel documents → blocks.

- DOC and WPS: converted to DOCX by LibreOffice headless (``soffice
  --convert-to docx``), each call with a private ``-env:UserInstallation``
  profile (two concurrent calls on one profile silently fail), a timeout and a
  memory cap (``limits.run_limited``); the DOCX then goes through ``docx``.
  antiword and catdoc were measured to lose table rows, so they are not used.
- XLSX (openpyxl) and XLS (xlrd, ``formatting_info=True``): each sheet is split
  into paragraphs and tables. A table is a run of rows with bordered cells (when
  the sheet has no borders at all: rows with two or more filled cells); merged
  ranges are expanded with ``spanned=True`` copies; numbers are printed with the
  cell's number format (``0.0000`` keeps its four decimals). ``page`` is the
  sheet's 1-based position.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parsers.blocks import Block, GridCell, Paragraph, Table
from parsers.docx import docx_blocks
from parsers.errors import DocumentTooLarge
from parsers.limits import (
    MAX_SHEET_CELLS,
    ConversionFailed,
    CorruptDocument,
    EncryptedDocument,
    check_size,
    open_zip,
    run_limited,
)
from parsers.record import DocumentMeta

MAX_SHEET_XML_BYTES = 64 * 1024 * 1024


# --------------------------------------------------------------------------- DOC / WPS


def doc_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    """A Word 97 or WPS document: LibreOffice → DOCX → blocks."""
    return docx_blocks(convert_to_docx(data, "doc"), meta)


def wps_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    return docx_blocks(convert_to_docx(data, "wps"), meta)


def convert_to_docx(data: bytes, suffix: str) -> bytes:
    """Convert a legacy word-processor file with LibreOffice in a private profile."""
    check_size(data, suffix.upper())
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConversionFailed("LibreOffice (soffice) is not installed: run .ci/setup")
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as scratch:
        work = Path(scratch)
        source = work / f"document.{suffix}"
        source.write_bytes(data)
        result = run_limited(
            [
                soffice,
                f"-env:UserInstallation=file://{work / 'profile'}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(work / "out"),
                str(source),
            ],
            cwd=scratch,
        )
        target = work / "out" / "document.docx"
        if not target.exists() or target.stat().st_size == 0:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = message[-1] if message else f"exit status {result.returncode}"
            raise ConversionFailed(f"LibreOffice could not convert the {suffix.upper()}: {reason}")
        return target.read_bytes()


# --------------------------------------------------------------------------- sheets


@dataclass
class SheetCell:
    text: str
    bordered: bool


def sheet_blocks(
    cells: list[list[SheetCell]], merges: list[tuple[int, int, int, int]], page: int
) -> list[Block]:
    """Paragraphs and tables of one sheet; merges are (row0, col0, row1, col1) inclusive."""
    height = len(cells)
    width = max((len(r) for r in cells), default=0)
    grid = [[GridCell(c.text, page=page) for c in row] for row in cells]
    for row in grid:
        row.extend(GridCell("", page=page) for _ in range(width - len(row)))
    bordered = [[c.bordered for c in row] + [False] * (width - len(row)) for row in cells]
    for r0, c0, r1, c1 in merges:
        if r0 >= height or c0 >= width:
            continue
        origin = grid[r0][c0]
        any_border = any(
            bordered[r][c]
            for r in range(r0, min(r1, height - 1) + 1)
            for c in range(c0, min(c1, width - 1) + 1)
        )
        for r in range(r0, min(r1, height - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if (r, c) != (r0, c0):
                    grid[r][c] = GridCell(origin.text, page=page, spanned=True)
                bordered[r][c] = any_border
    has_borders = any(any(row) for row in bordered)

    def is_table_row(r: int) -> bool:
        if has_borders:
            return any(bordered[r])
        filled = [c for c in grid[r] if c.text.strip() and not c.spanned]
        return len(filled) >= 2

    blocks: list[Block] = []
    run: list[list[GridCell]] = []
    for r in range(height):
        if is_table_row(r):
            run.append(grid[r])
            continue
        if run:
            blocks.append(_trimmed_table(run, page))
            run = []
        text = " ".join(c.text.strip() for c in grid[r] if c.text.strip() and not c.spanned)
        if text:
            blocks.append(Paragraph(text, page=page))
    if run:
        blocks.append(_trimmed_table(run, page))
    return blocks


def _trimmed_table(rows: list[list[GridCell]], page: int) -> Table:
    """Drop the columns that are blank in every row (the sheet's unused margin)."""
    width = len(rows[0])
    used = [c for c in range(width) if any(row[c].text.strip() for row in rows)]
    if not used:
        return Table(rows=[], page=page)
    first, last = used[0], used[-1]
    return Table(rows=[row[first : last + 1] for row in rows], page=page)


_DECIMALS = re.compile(r"0\.(0+)")


def format_number(value: float, number_format: str) -> str:
    """A number as the sheet prints it (decimals and thousands separators of its format)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    fmt = (number_format or "General").split(";")[0]
    percent = fmt.endswith("%")
    if percent:
        value *= 100
    decimals = _DECIMALS.search(fmt)
    places = len(decimals.group(1)) if decimals else None
    thousands = "," in fmt
    if places is not None:
        text = f"{value:,.{places}f}" if thousands else f"{value:.{places}f}"
    elif fmt in ("0", "#,##0") or float(value).is_integer():
        text = f"{round(value):,}" if thousands else str(round(value))
    else:
        text = repr(float(value)) if abs(value) < 1e15 else str(value)
    return text + ("%" if percent else "")


def xlsx_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    """An .xlsx workbook: every visible sheet in order."""
    package = open_zip(data, "XLSX")
    for info in package.infolist():
        if info.filename.startswith("xl/worksheets/") and info.file_size > MAX_SHEET_XML_BYTES:
            raise DocumentTooLarge(
                f"XLSX sheet {info.filename} expands to {info.file_size:,} bytes "
                f"(limit {MAX_SHEET_XML_BYTES:,})"
            )
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except InvalidFileException as error:
        raise CorruptDocument(f"XLSX cannot be opened: {error}") from error
    except Exception as error:  # openpyxl raises many kinds on malformed packages
        if "encrypt" in str(error).lower():
            raise EncryptedDocument("XLSX is encrypted") from error
        raise CorruptDocument(f"XLSX cannot be read: {type(error).__name__}: {error}") from error
    blocks: list[Block] = []
    for index, sheet in enumerate(book.worksheets, start=1):
        if sheet.sheet_state != "visible":
            continue
        if sheet.max_row * sheet.max_column > MAX_SHEET_CELLS:
            raise DocumentTooLarge(
                f"XLSX sheet {sheet.title!r} has {sheet.max_row:,}×{sheet.max_column:,} cells"
            )
        cells = [
            [SheetCell(_xlsx_text(cell), _xlsx_bordered(cell)) for cell in row]
            for row in sheet.iter_rows(min_row=1, min_col=1)
        ]
        merges = [
            (m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1)
            for m in sheet.merged_cells.ranges
        ]
        blocks.extend(sheet_blocks(cells, merges, index))
    return blocks


def _xlsx_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, int | float):
        return format_number(value, cell.number_format)
    return str(value).strip()


def _xlsx_bordered(cell: Any) -> bool:
    border = cell.border
    if border is None:
        return False
    return any(
        side is not None and side.style is not None
        for side in (border.left, border.right, border.top, border.bottom)
    )


def xls_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    """An Excel 97 .xls workbook (xlrd, with formatting for merges and borders)."""
    check_size(data, "XLS")
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as error:
        if "encrypt" in str(error).lower():
            raise EncryptedDocument(f"XLS is encrypted: {error}") from error
        raise CorruptDocument(f"XLS cannot be read: {error}") from error
    except Exception as error:  # xlrd raises struct/assertion errors on truncated files
        raise CorruptDocument(f"XLS cannot be read: {type(error).__name__}: {error}") from error
    blocks: list[Block] = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if getattr(sheet, "visibility", 0) != 0:
            continue
        if sheet.nrows * sheet.ncols > MAX_SHEET_CELLS:
            raise DocumentTooLarge(
                f"XLS sheet {sheet.name!r} has {sheet.nrows:,}×{sheet.ncols:,} cells"
            )
        cells = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                xf = book.xf_list[sheet.cell_xf_index(r, c)]
                row.append(SheetCell(_xls_text(book, sheet.cell(r, c), xf), _xls_bordered(xf)))
            cells.append(row)
        merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
        blocks.extend(sheet_blocks(cells, merges, index + 1))
        book.unload_sheet(index)
    return blocks


def _xls_text(book: Any, cell: Any, xf: Any) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        fmt = book.format_map.get(xf.format_key)
        return format_number(cell.value, fmt.format_str if fmt else "General")
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return ""
    return str(cell.value).strip()


def _xls_bordered(xf: Any) -> bool:
    border = xf.border
    return any(
        (
            border.top_line_style,
            border.bottom_line_style,
            border.left_line_style,
            border.right_line_style,
        )
    )
