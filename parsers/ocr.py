"""Scanned pages (image-only PDF pages, PNG/JPEG/TIFF files) → blocks, by OCR.

The OCR engine is RapidOCR (PP-OCR models shipped inside the ``rapidocr``
wheel, run by onnxruntime; no download at run time). Measured against
Tesseract ``chi_sim`` on this project's scans (see benchmarks/README.md), it
reads table digits far more reliably on noisy scans.

A page is deskewed from its ruling lines, then the lines themselves are found
by morphology (long thin runs of ink) and turned into table grids by
``ruling`` (the same geometry as text PDFs). Each cell of a table is read on
its own: the cell's ink is cut into text lines by its horizontal projection
and each line is recognised without detection, which keeps every character in
its cell. Each cell carries a confidence: the lowest recognition score of its
lines, 1.0 for a cell with no ink, and 0.0 for a cell with ink that could not
be read (so a lost digit is never a silent blank). Text outside tables is read
with detection + recognition on the page with the tables blanked out.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from typing import Any

from parsers.blocks import Block, GridCell, Table
from parsers.errors import DocumentTooLarge
from parsers.limits import MAX_OCR_PAGES, CorruptDocument, check_pixels, check_size
from parsers.pagetext import PageLine, tidy_pages
from parsers.record import DocumentMeta, Report
from parsers.ruling import Glyph, Segment, TableGrid, find_tables, join_lines, line_text, lines_of

INK = 150  # gray level below which a pixel is ink
REVIEW_CONFIDENCE = 0.9  # an OCR'd cell below this needs a human look
_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1"})


def engine() -> Any:
    """The RapidOCR engine, created once per process (loading the models takes ~0.3 s)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            from rapidocr import RapidOCR

            threads = int(os.environ.get("XXGK_OCR_THREADS", "-1"))
            _ENGINE = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                    "Rec.rec_batch_num": 16,
                }
            )
    return _ENGINE


def review_reasons(report: Report) -> list[str]:
    """Why an OCR'd record must not be published as certain (empty: nothing to review).

    A cell read below ``REVIEW_CONFIDENCE`` (or ink that could not be read), or
    any failing identity in a record with OCR'd cells: the numbers may be misread.
    """
    cells = [
        cell
        for cells in (*report.requests.values(), *report.review_litigation.values())
        for cell in cells
    ] + [cell for row in report.proactive for cell in row.cells.values()]
    read = [c for c in cells if c.confidence is not None]
    if not read:
        return []
    reasons = []
    low = [c for c in read if c.confidence is not None and c.confidence < REVIEW_CONFIDENCE]
    if low:
        reasons.append(f"{len(low)} OCR'd cells below confidence {REVIEW_CONFIDENCE}")
    if report.checks_failing:
        reasons.append("identities fail on OCR'd cells: " + ", ".join(report.checks_failing))
    return reasons


def image_file_blocks(data: bytes, meta: DocumentMeta | None = None) -> list[Block]:
    """A PNG, JPEG, TIFF (every frame a page), GIF, BMP or WebP image, OCR'd."""
    from PIL import Image

    check_size(data, "image")
    try:
        with warnings.catch_warnings():  # the pixel limit is checked below, with the size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise DocumentTooLarge(f"image refused before decoding: {error}") from error
    except Exception as error:  # PIL raises several kinds for unreadable images
        raise CorruptDocument(f"image cannot be read: {error}") from error
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_OCR_PAGES:
        raise DocumentTooLarge(f"image has {frames} frames (limit {MAX_OCR_PAGES})")
    pages: list[list[Block]] = []
    for frame in range(frames):
        image.seek(frame)
        check_pixels(image.width, image.height, "image")
        dpi = image.info.get("dpi", (0, 0))[0] or None
        try:
            gray = image.convert("L")
        except (OSError, Image.DecompressionBombError) as error:
            raise CorruptDocument(f"image cannot be decoded: {error}") from error
        pages.append(image_blocks(gray, frame + 1, dpi=float(dpi) if dpi else None))
    return tidy_pages(pages)


def image_blocks(image: Any, page: int, dpi: float | None = None) -> list[Block]:
    """The tables and text lines of one page image (PIL, any mode), top to bottom."""
    import numpy as np

    check_pixels(image.width, image.height, f"page {page} image")
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    if dpi is None or dpi < 50:
        dpi = max(gray.shape) / 11.69  # an A4 page's long side, in inches
    gray = deskew(gray, dpi)
    h_mask, v_mask = ruling_masks(gray, dpi)
    segments = mask_segments(h_mask, True) + mask_segments(v_mask, False)
    grids = find_tables(segments, tolerance=max(3.0, 0.025 * dpi))
    grids = [g for g in grids if g.xs[-1] - g.xs[0] > dpi and g.ys[-1] - g.ys[0] > 0.2 * dpi]
    clean = gray.copy()
    lines = _dilate(h_mask | v_mask, 2) > 0
    for grid in grids:  # erase rulings inside tables only: long strokes of big text stay
        x0, y0, x1, y1 = (int(v) for v in grid.bbox)
        pad = int(0.03 * dpi)
        window = (slice(max(y0 - pad, 0), y1 + pad + 1), slice(max(x0 - pad, 0), x1 + pad + 1))
        clean[window][lines[window]] = 255
    positioned: list[tuple[float, Block]] = []
    for grid in grids:
        positioned.append((grid.ys[0], read_table(clean, grid, page, dpi)))
    text_area = clean.copy()
    for grid in grids:
        x0, y0, x1, y1 = (int(v) for v in grid.bbox)
        text_area[max(y0 - 2, 0) : y1 + 3, max(x0 - 2, 0) : x1 + 3] = 255
    height = float(gray.shape[0])
    for line in lines_of(read_text(text_area, dpi)):
        content = line_text(line)
        if content:
            top = min(g.top for g in line)
            box = (
                min(g.x0 for g in line),
                top,
                max(g.x1 for g in line),
                max(g.bottom for g in line),
            )
            positioned.append((top, PageLine.at(content, page, box, height)))
    positioned.sort(key=lambda item: item[0])
    return [block for _, block in positioned]


def deskew(gray: Any, dpi: float) -> Any:
    """Rotate the page so that its long horizontal rulings are level (±3°)."""
    import cv2
    import numpy as np

    ink = (gray < INK).astype(np.uint8) * 255
    length = max(int(0.5 * dpi), 10)
    lines = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (length // 4, 3)))
    contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    angles, weights = [], []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w < 2 * dpi:
            continue
        vx, vy, _, _ = cv2.fitLine(contour, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        angle = float(np.degrees(np.arctan2(vy, vx)))
        if angle > 90:
            angle -= 180
        if angle < -90:
            angle += 180
        if abs(angle) <= 3:
            angles.append(angle)
            weights.append(w)
    if not angles:
        return gray
    angle = float(np.average(angles, weights=weights))
    if abs(angle) < 0.05:
        return gray
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)


def ruling_masks(gray: Any, dpi: float) -> tuple[Any, Any]:
    """Horizontal and vertical ruling pixels: long thin runs of ink."""
    import cv2
    import numpy as np

    ink = (gray < INK).astype(np.uint8) * 255
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(int(0.4 * dpi), 8), 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(int(0.15 * dpi), 8)))
    )
    return horizontal, vertical


def mask_segments(mask: Any, horizontal: bool) -> list[Segment]:
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for index in range(1, count):
        x, y, w, h = (int(v) for v in stats[index][:4])
        if horizontal:
            out.append(Segment(x, y + h / 2, x + w, y + h / 2))
        else:
            out.append(Segment(x + w / 2, y, x + w / 2, y + h))
    return out


def _dilate(mask: Any, size: int) -> Any:
    import cv2

    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * size + 1, 2 * size + 1)))


def read_table(clean: Any, grid: TableGrid, page: int, dpi: float) -> Table:
    """Read every merged region of the grid on its own; spans expanded as copies."""
    bounds: dict[int, list[int]] = {}
    for r, row in enumerate(grid.region):
        for c, region in enumerate(row):
            box = bounds.setdefault(region, [c, r, c, r])
            box[0], box[1] = min(box[0], c), min(box[1], r)
            box[2], box[3] = max(box[2], c), max(box[3], r)
    strips: dict[int, list[Any]] = {}
    for region, (c0, r0, c1, r1) in bounds.items():
        crop = clean[
            int(grid.ys[r0]) : int(grid.ys[r1 + 1]) + 1, int(grid.xs[c0]) : int(grid.xs[c1 + 1]) + 1
        ]
        strips[region] = cell_strips(crop, dpi)
    order = [(region, n) for region, found in strips.items() for n in range(len(found))]
    results = recognise([strips[region][n] for region, n in order])
    read: dict[int, list[tuple[str, float]]] = {}
    for (region, _), result in zip(order, results, strict=True):
        read.setdefault(region, []).append(result)
    cells: dict[int, GridCell] = {}
    for region in bounds:
        text, confidence = cell_reading(strips[region], read.get(region, []))
        cells[region] = GridCell(text, page=page, confidence=confidence)
    table = Table(page=page)
    seen: set[int] = set()
    for row_regions in grid.region:
        out_row = []
        for region in row_regions:
            origin = cells[region]
            if region in seen:
                out_row.append(
                    GridCell(origin.text, page=page, confidence=origin.confidence, spanned=True)
                )
            else:
                seen.add(region)
                out_row.append(origin)
        table.rows.append(out_row)
    return table


def cell_strips(crop: Any, dpi: float) -> list[Any]:
    """A cell's ink cut into text-line images (none for a cell without ink)."""
    import numpy as np

    inset = max(int(0.012 * dpi), 2)
    if crop.shape[0] <= 2 * inset or crop.shape[1] <= 2 * inset:
        return []
    crop = crop[inset:-inset, inset:-inset]
    ink = _denoised_ink(crop, dpi)
    if not ink.any():
        return []
    spans = _runs(np.flatnonzero(ink.any(axis=1)), max(int(0.02 * dpi), 2))
    out = []
    pad = max(int(0.02 * dpi), 3)
    for top, bottom in spans:
        if bottom - top < 0.03 * dpi and len(spans) > 1:
            continue  # a speck between lines
        columns = np.flatnonzero(ink[top : bottom + 1].any(axis=0))
        out.append(
            crop[
                max(top - pad, 0) : bottom + pad + 1,
                max(int(columns[0]) - pad, 0) : int(columns[-1]) + pad + 1,
            ]
        )
    return out


def cell_reading(strips: list[Any], results: list[tuple[str, float]]) -> tuple[str, float]:
    """Text and confidence of a cell from its lines' readings."""
    if not strips:
        return "", 1.0
    texts = [text for text, _ in results if text]
    if not texts:
        return "", 0.0  # ink that could not be read: never a silent blank
    text = join_lines(texts)
    if any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch in "OoDlI|,." for ch in text):
        text = text.translate(_DIGIT_LOOKALIKES)
    return text, round(min(score for _, score in results), 3)


def recognise(strips: list[Any]) -> list[tuple[str, float]]:
    """Text lines recognised without detection, in one batched call."""
    import cv2
    import numpy as np

    if not strips:
        return []
    images = []
    for strip in strips:
        border = max(strip.shape[0] // 4, 4)
        padded = cv2.copyMakeBorder(
            strip, border, border, border, border, cv2.BORDER_CONSTANT, value=255
        )
        images.append(np.ascontiguousarray(np.stack([padded] * 3, axis=-1)))
    result = engine().recognize_txt(images)
    texts = list(result.txts or ())
    scores = list(result.scores or ())
    return [
        ((texts[i] or "").strip(), float(scores[i]) if i < len(scores) else 0.0)
        for i in range(len(images))
    ]


def read_text(gray: Any, dpi: float) -> list[Glyph]:
    """Text outside tables: ink cut into lines (and at wide gaps), each line recognised."""
    import numpy as np

    ink = _denoised_ink(gray, dpi)
    if not ink.any():
        return []
    pieces: list[tuple[int, int, int, int]] = []
    for top, bottom in _runs(np.flatnonzero(ink.any(axis=1)), max(int(0.03 * dpi), 2)):
        if bottom - top < 0.04 * dpi:
            continue  # a speck, not a line of text
        columns = np.flatnonzero(ink[top : bottom + 1].any(axis=0))
        for left, right in _runs(columns, int(0.5 * dpi)):
            pieces.append((top, bottom, left, right))
    pad = max(int(0.02 * dpi), 3)
    strips = [
        gray[max(t - pad, 0) : b + pad + 1, max(left - pad, 0) : right + pad + 1]
        for t, b, left, right in pieces
    ]
    glyphs = []
    for (top, bottom, left, right), (text, score) in zip(pieces, recognise(strips), strict=True):
        if text:
            glyphs.append(Glyph(text, float(left), float(top), float(right), float(bottom), score))
    return glyphs


def _denoised_ink(gray: Any, dpi: float) -> Any:
    """Ink pixels without specks smaller than a full stop."""
    import cv2
    import numpy as np

    ink = (gray < INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, 4] >= max(4, int((0.008 * dpi) ** 2))
    keep[0] = False
    return keep[labels]


def _runs(indices: Any, gap: int) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices, split where the gap exceeds ``gap``."""
    if len(indices) == 0:
        return []
    runs = []
    start = previous = int(indices[0])
    for value in indices[1:]:
        if value - previous > gap:
            runs.append((start, previous))
            start = int(value)
        previous = int(value)
    runs.append((start, previous))
    return runs
