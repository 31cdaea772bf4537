"""Render a report spec (the gold JSON shape) as office documents and scans.

Fixtures for the format parsers, made from known values so that tests can
compare a parse cell by cell: DOCX (python-docx, merged cells as Word writes
them), XLSX (openpyxl, merged ranges, bordered tables), DOC and "WPS" (LibreOffice
from the DOCX), text PDF (LibreOffice from the DOCX, CJK font substituted by
fontconfig), scanned PDF and PNG (the text PDF rasterised, slightly rotated,
speckled and JPEG-compressed like a scanner's output).

LibreOffice conversions cost about 1.5 s each, so they are cached under a temp
directory keyed by the input's sha256 (``XXGK_RENDER_CACHE`` overrides it).

A real Kingsoft-WPS-authored file cannot be produced here: ``render_wps`` gives
the Word 97 file a WPS ``.wps`` usually is (OLE2 with a ``WordDocument`` stream).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.fixture_portals.render_html import REQUEST_LABELS
from parsers.template import PROACTIVE_ITEMS

SECTION_HEADINGS = {
    "overview": "一、总体情况",
    "proactive": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}
DEFAULT_SECTION_TEXT = {
    "overview": "本年度，本机关坚持以公开为常态、不公开为例外，认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "不断健全政府信息公开工作机制，主动公开政府信息，依法办理政府信息公开申请。",
    "problems": "存在的主要问题是公开内容不够全面，更新不够及时。下一步将加强培训，完善制度，提升公开质量。",
    "other": "本机关未收取信息处理费。无其他需要报告的事项。",
}

CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_COLUMNS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

PROACTIVE_HEADERS = {
    "2019": {
        "（一）": ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        "（五）": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "（六）": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "（八）": ("上一年项目数量", "本年增/减"),
        "（九）": ("采购项目数量", "采购总金额"),
    },
    "2021": {
        "（一）": ("本年制发件数", "本年废止件数", "现行有效件数"),
        "（五）": ("本年处理决定数量",),
        "（六）": ("本年处理决定数量",),
        "（八）": ("本年收费金额",),
    },
}
REVIEW_OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@dataclass
class Span:
    """A table cell as a word processor stores it: text plus how far it spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


@dataclass
class TableModel:
    """A table as rows of spans; ``width`` is its number of grid columns."""

    rows: list[list[Span]]
    width: int


Element = tuple[str, Any]  # ("title"|"heading"|"para", str) or ("table", TableModel)


# --------------------------------------------------------------------------- layout


def layout(report: dict[str, Any]) -> list[Element]:
    """The report as a sequence of title, headings, paragraphs and tables."""
    org = report.get("organization") or "某某县人民政府办公室"
    year = report.get("year") or 2021
    title = report.get("title", f"{org}{year}年政府信息公开工作年度报告")
    texts = report.get("section_texts") or {}
    out: list[Element] = [("title", title)] if title else []
    for key, heading in SECTION_HEADINGS.items():
        out.append(("heading", heading))
        text = texts.get(key) or DEFAULT_SECTION_TEXT.get(key, "")
        out.extend(("para", line) for line in text.split("\n") if line.strip())
        if key == "proactive" and report.get("proactive"):
            out.append(("table", proactive_table(report)))
            for fact in report.get("extra") or []:
                out.append(("para", f"{fact['label']}：{_number_text(fact.get('value'))}"))
        elif key == "requests" and report.get("requests"):
            out.append(("table", requests_table(report)))
        elif key == "review_litigation" and report.get("review_litigation"):
            out.append(("table", review_table(report)))
    return out


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value)


def _money_header(base: str, rows: list[dict[str, Any]], metric: str) -> str:
    for row in rows:
        value = row["values"].get(metric)
        if isinstance(value, dict) and value.get("unit") == "万元":
            text = value.get("text") or ""
            if "万元" not in text:
                return f"{base}（万元）" if base == "采购总金额" else f"{base}（单位：万元）"
    return base


def proactive_table(report: dict[str, Any]) -> TableModel:
    """表二: one table, one header row per Article 20 item, body sub-rows merged."""
    template = report.get("template") or "2021"
    headers = PROACTIVE_HEADERS.get(template, PROACTIVE_HEADERS["2021"])
    rows_spec: list[dict[str, Any]] = report["proactive"]
    has_sub = any("/" in r["key"] for r in rows_spec)
    label_cols = 2 if has_sub else 1
    width = label_cols + 3
    rows: list[list[Span]] = []
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in rows_spec:
        item = PROACTIVE_ITEMS.get(row["key"].split("/")[0], "（一）")
        by_item.setdefault(item, []).append(row)
    for item, item_rows in by_item.items():
        rows.append([Span(f"第二十条第{item}项", colspan=width, header=True)])
        names = list(headers.get(item, ("数量",)))
        for metric_index, metric in enumerate(item_rows[0]["values"]):
            if metric == "amount" and metric_index < len(names):
                names[metric_index] = _money_header(names[metric_index], item_rows, metric)
        rows.append(
            [Span("信息内容", colspan=label_cols, header=True)]
            + _spread([Span(n, header=True) for n in names], 3)
        )
        index = 0
        while index < len(item_rows):
            row = item_rows[index]
            base = row["key"].split("/")[0]
            if "/" in row["key"]:
                group = [r for r in item_rows[index:] if r["key"].split("/")[0] == base]
                group = group[
                    : next((i for i, r in enumerate(group) if "/" not in r["key"]), len(group))
                ]
                parent = row["label"].split("·")[0]
                for offset, sub in enumerate(group):
                    cells = [Span(parent, rowspan=len(group))] if offset == 0 else []
                    cells.append(Span(sub["label"].split("·")[-1]))
                    cells += _spread([Span(_number_text(v)) for v in sub["values"].values()], 3)
                    rows.append(cells)
                index += len(group)
                continue
            cells = [Span(row["label"], colspan=label_cols)]
            cells += _spread([Span(_number_text(v)) for v in row["values"].values()], 3)
            rows.append(cells)
            index += 1
    return TableModel(rows, width)


def _spread(cells: list[Span], width: int) -> list[Span]:
    """Fill ``width`` grid columns: the last cell spans what is left."""
    if not cells:
        return [Span("", colspan=width)]
    cells[-1].colspan = width - (len(cells) - 1)
    return cells


def requests_table(report: dict[str, Any]) -> TableModel:
    """表三: 3 header rows, labels in three merged levels, 7 value columns."""
    rows: list[list[Span]] = [
        [
            Span(CORNER, rowspan=3, colspan=3, header=True),
            Span("申请人情况", colspan=7, header=True),
        ],
        [
            Span("自然人", rowspan=2, header=True),
            Span("法人或其他组织", colspan=5, header=True),
            Span("总计", rowspan=2, header=True),
        ],
        [Span(name, header=True) for name in APPLICANT_COLUMNS],
    ]
    keys = [k for k in report["requests"] if k in REQUEST_LABELS]
    labels = [REQUEST_LABELS[k] for k in keys]
    for index, key in enumerate(keys):
        level1, level2, level3 = labels[index]
        cells: list[Span] = []
        if level2 is None:
            cells.append(Span(level1, colspan=3))
        else:
            if index == 0 or labels[index - 1][0] != level1:
                cells.append(Span(level1, rowspan=_run(labels, index, 0)))
            if level3 is None:
                cells.append(Span(level2, colspan=2))
            else:
                if labels[index - 1][1] != level2:
                    cells.append(Span(level2, rowspan=_run(labels, index, 1)))
                cells.append(Span(level3))
        cells += [Span(_number_text(v)) for v in report["requests"][key]]
        rows.append(cells)
    return TableModel(rows, 10)


def _run(labels: list[tuple[str, str | None, str | None]], start: int, level: int) -> int:
    count = 0
    for lab in labels[start:]:
        if lab[level] != labels[start][level]:
            break
        count += 1
    return count


def review_table(report: dict[str, Any]) -> TableModel:
    """表四: 行政复议 (5 columns) and 行政诉讼 (2 × 5 columns), one value row."""
    groups = report["review_litigation"]
    rows = [
        [Span("行政复议", colspan=5, header=True), Span("行政诉讼", colspan=10, header=True)],
        [Span(name, rowspan=2, header=True) for name in REVIEW_OUTCOMES]
        + [
            Span("未经复议直接起诉", colspan=5, header=True),
            Span("复议后起诉", colspan=5, header=True),
        ],
        [Span(name, header=True) for name in REVIEW_OUTCOMES * 2],
        [
            Span(_number_text(v))
            for group in ("review", "suit_direct", "suit_after_review")
            for v in groups.get(group, [None] * 5)
        ],
    ]
    return TableModel(rows, 15)


def grid_positions(table: TableModel) -> list[list[tuple[int, int, Span]]]:
    """Each row's spans with their (row, column) origin in the grid."""
    occupied: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(table.rows):
        placed = []
        c = 0
        for span in row:
            while (r, c) in occupied:
                c += 1
            placed.append((r, c, span))
            for dr in range(span.rowspan):
                for dc in range(span.colspan):
                    occupied.add((r + dr, c + dc))
            c += span.colspan
        out.append(placed)
    return out


# --------------------------------------------------------------------------- DOCX


def render_docx(
    report: dict[str, Any], *, body_spacing: float = 28, running_header: bool = True
) -> bytes:
    """A Word document: 仿宋 body text, 宋体 tables with merged cells (Table Grid).

    Every page has a "- N -" footer and (by default) a running header with the
    body's name, as most portals' PDFs do.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    _page_furniture(doc, report if running_header else None, WD_ALIGN_PARAGRAPH.CENTER)
    for element, value in layout(report):
        if element == "table":
            _docx_table(doc, value, Cm, Pt)
            doc.add_paragraph()
            continue
        paragraph = doc.add_paragraph()
        if element == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing = Pt(body_spacing)
        run = paragraph.add_run(value)
        _cjk_font(
            run,
            "黑体" if element != "para" else "仿宋_GB2312",
            18 if element == "title" else 14,
            Pt,
        )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_furniture(doc: Any, report: dict[str, Any] | None, center: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section = doc.sections[0]
    footer = section.footer.paragraphs[0]
    footer.alignment = center
    footer.add_run("- ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    footer.add_run(" -")
    if report is not None:
        header = section.header.paragraphs[0]
        header.alignment = center
        header.add_run(f"{report.get('organization') or '本机关'}政务公开")


def _cjk_font(run: Any, name: str, size: float, pt: Any) -> None:
    from docx.oxml.ns import qn

    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    run.font.size = pt(size)


def _docx_table(doc: Any, table: TableModel, cm: Any, pt: Any) -> None:
    grid = doc.add_table(rows=len(table.rows), cols=table.width)
    grid.style = "Table Grid"
    grid.autofit = False
    total = 16.0
    if table.width == 10:
        widths = [1.4, 2.5, 3.5] + [1.23] * 7
    elif table.width == 15:
        widths = [total / 15] * 15
    else:
        widths = [4.0] + [(total - 4.0) / (table.width - 1)] * (table.width - 1)
    for j, width in enumerate(widths):
        grid.columns[j].width = cm(width)
    for row in grid.rows:
        row_cells = row.cells  # python-docx rebuilds this list on every access
        for j, width in enumerate(widths):
            row_cells[j].width = cm(width)
    # Table.cell(r, c) rebuilds the whole cell list per call (quadratic in cells):
    # take the unmerged grid once. Spans never overlap, so every top-left and
    # bottom-right cell used below is still untouched when it is merged.
    cells = grid._cells
    width = table.width
    for placed in grid_positions(table):
        for r, c, span in placed:
            cell = cells[r * width + c]
            if span.rowspan > 1 or span.colspan > 1:
                corner = cells[(r + span.rowspan - 1) * width + c + span.colspan - 1]
                cell = cell.merge(corner)
            cell.text = ""
            run = cell.paragraphs[0].add_run(span.text)
            _cjk_font(run, "宋体", 9 if table.width < 15 else 8, pt)


# --------------------------------------------------------------------------- XLSX


def render_xlsx(report: dict[str, Any]) -> bytes:
    """A workbook with one sheet: title and headings in column A, bordered tables."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side

    side = Side(style="thin")
    border = Border(left=side, right=side, top=side, bottom=side)
    book = Workbook()
    sheet = book.active
    sheet.title = "年度报告"
    row_at = 1
    for element, value in layout(report):
        if element != "table":
            sheet.cell(row=row_at, column=1, value=value)
            row_at += 1
            continue
        for placed in grid_positions(value):
            for r, c, span in placed:
                for dr in range(span.rowspan):
                    for dc in range(span.colspan):
                        sheet.cell(row=row_at + r + dr, column=c + 1 + dc).border = border
                cell = sheet.cell(row=row_at + r, column=c + 1, value=_xlsx_value(span.text))
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                if span.rowspan > 1 or span.colspan > 1:
                    sheet.merge_cells(
                        start_row=row_at + r,
                        start_column=c + 1,
                        end_row=row_at + r + span.rowspan - 1,
                        end_column=c + span.colspan,
                    )
        row_at += len(value.rows) + 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(text: str) -> str | int | None:
    """Integers as numbers (as a clerk types them); other text kept as printed."""
    if text == "":
        return None
    if text.lstrip("-").isdigit() and not (len(text) > 1 and text.lstrip("-").startswith("0")):
        return int(text)
    return text


# --------------------------------------------------------------------------- LibreOffice


def cache_dir() -> Path:
    path = Path(
        os.environ.get("XXGK_RENDER_CACHE") or Path(tempfile.gettempdir()) / "xxgk-render-cache"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cached(kind: str, key_data: bytes, make: Any) -> bytes:
    path = cache_dir() / f"{hashlib.sha256(key_data).hexdigest()[:32]}.{kind}"
    if path.exists():
        return path.read_bytes()
    data: bytes = make()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def soffice_convert(data: bytes, source_suffix: str, target: str, timeout: float = 120) -> bytes:
    """Convert with LibreOffice headless in a private profile (cached by content)."""

    def make() -> bytes:
        with tempfile.TemporaryDirectory(prefix="xxgk-render-") as scratch:
            work = Path(scratch)
            source = work / f"report.{source_suffix}"
            source.write_bytes(data)
            out_dir = work / "out"
            command = [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation=file://{work / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(source),
            ]
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
            produced = list(out_dir.glob("report.*")) if out_dir.exists() else []
            if not produced:
                raise RuntimeError(f"LibreOffice could not convert {source_suffix} to {target}")
            return produced[0].read_bytes()

    return _cached(target.split(":")[0], data + target.encode(), make)


def render_pdf(report: dict[str, Any]) -> bytes:
    """A text PDF (LibreOffice from the DOCX; WenQuanYi substitutes 宋体/仿宋)."""
    return soffice_convert(render_docx(report), "docx", "pdf")


def render_doc(report: dict[str, Any]) -> bytes:
    """A Word 97 .doc (OLE2) converted by LibreOffice from the DOCX."""
    return soffice_convert(render_docx(report), "docx", "doc")


def render_wps(report: dict[str, Any]) -> bytes:
    """What a .wps download usually is: a Word 97 binary (see the module docstring)."""
    return render_doc(report)


def render_xls(report: dict[str, Any]) -> bytes:
    """An Excel 97 .xls converted by LibreOffice from the XLSX."""
    return soffice_convert(render_xlsx(report), "xlsx", "xls")


# --------------------------------------------------------------------------- scans


def render_png(report: dict[str, Any], dpi: int = 300, *, seed: int = 0) -> list[bytes]:
    """Each page of the text PDF as a scanner would give it: gray, rotated, speckled."""
    pdf = render_pdf(report)
    key = pdf + f"png:{dpi}:{seed}".encode()
    path = cache_dir() / f"{hashlib.sha256(key).hexdigest()[:32]}.pages"
    if path.is_dir():
        return [p.read_bytes() for p in sorted(path.glob("*.png"))]
    pages = [_png(image) for image in scan_images(pdf, dpi, seed=seed)]
    tmp = Path(tempfile.mkdtemp(dir=cache_dir()))
    for n, page in enumerate(pages):
        (tmp / f"{n:04d}.png").write_bytes(page)
    try:
        tmp.rename(path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return pages


def render_scan_pdf(report: dict[str, Any], dpi: int = 300, *, seed: int = 0) -> bytes:
    """An image-only PDF of the scanned pages (JPEG, no text layer)."""
    pdf = render_pdf(report)

    def make() -> bytes:
        images = scan_images(pdf, dpi, seed=seed)
        out = io.BytesIO()
        images[0].save(
            out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=75
        )
        return out.getvalue()

    return _cached("scan.pdf", pdf + f"scan:{dpi}:{seed}".encode(), make)


def scan_images(pdf: bytes, dpi: int, *, seed: int = 0) -> list[Any]:
    """Rasterise each page, then rotate by up to ±0.6° and add speckle noise."""
    import pypdfium2
    from PIL import Image

    rng = random.Random(seed)
    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            angle = rng.uniform(-0.6, 0.6)
            image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
            pixels = image.load()
            width, height = image.size
            assert pixels is not None
            for _ in range(width * height // 4000):
                x, y = rng.randrange(width), rng.randrange(height)
                pixels[x, y] = rng.choice((0, 90, 160))
            images.append(image)
    finally:
        document.close()
    return images


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
