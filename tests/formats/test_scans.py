"""Scanned reports (image-only PDF, PNG pages) parse through OCR with a confidence per cell.

The text PDF of a report is rasterised at 300 dpi, rotated by up to ±0.6° and
speckled (``render_office.scan_images``). Done when ≥ 99 % of the cells are
right and no wrong cell is silent: each is flagged by a low confidence or by
an identity that fails. Slow: OCR costs seconds per page.
"""

from __future__ import annotations

import pytest

from crawler.fixture_portals import render_office
from crawler.fixture_portals.reports import differences, seed_reports
from parsers import DocumentMeta, parse_document
from parsers.blocks import Table
from parsers.ocr import image_file_blocks
from parsers.sniff import sniff
from tests.formats.scoring import score

SEEDS = seed_reports()


@pytest.mark.slow
@pytest.mark.parametrize("index", [1, 3], ids=["2021-seed", "2019-seed-failing-checks"])
def test_scanned_pdf_at_300_dpi(index: int) -> None:
    spec = SEEDS[index]
    data = render_office.render_scan_pdf(spec, 300)
    assert sniff(data, {}) == "pdf"
    got = parse_document(data, DocumentMeta(name="scan.pdf")).to_json()
    result = score(got, spec)
    assert result.accuracy >= 0.99, [c for c in result.wrong]
    assert not result.silent, result.silent
    cells = [c for c in got["cells"] if c["table"] == "requests"]
    assert cells and all(c.get("confidence") is not None and c.get("page") for c in cells)
    others = [
        d for d in differences(got, spec) if d.split(":")[0] in ("year", "template", "sections")
    ]
    assert not others, others


@pytest.mark.slow
def test_png_page_cells_have_confidences() -> None:
    """A PNG page of a scan (the first with 表三): every number right, each with a confidence."""
    spec = SEEDS[1]
    pages = render_office.render_png(spec, 300)
    assert all(sniff(p, {}) == "image" for p in pages)
    table = None
    for page in pages[1:]:
        found = [
            b for b in image_file_blocks(page) if isinstance(b, Table) and len(b.rows[0]) == 10
        ]
        if found:
            table = found[0]
            break
    assert table is not None
    rows = {row[2].text: row[3:] for row in table.rows[3:]}
    granted = rows.get("（一）予以公开")
    assert granted is not None, list(rows)
    expected = ["" if v is None else str(v) for v in spec["requests"]["granted"]]
    assert [c.text for c in granted] == expected
    assert all(c.confidence is not None and c.page == 1 for row in rows.values() for c in row)
