"""Each report spec rendered as DOCX, XLSX, text PDF, DOC, WPS and XLS parses back exactly.

The seeds and a series of synthetic reports (both templates, blank cells,
extra rows, sub-rows, failing checks, tables cut by page breaks in the PDF)
go through ``parsers.parse_document``; every cell must equal the spec (a blank
stays ``None``), as must the organisation, year, template, sections, extra
rows and failing checks. Formats that need LibreOffice are marked slow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crawler.fixture_portals import render_office
from crawler.fixture_portals.reports import differences, seed_reports, synthetic_reports
from parsers import DocumentMeta, parse_document
from parsers.sniff import sniff

SPECS = seed_reports() + synthetic_reports(8, seed=3)
# DOC, WPS and XLS cost a LibreOffice conversion each (parse and fixture): fewer reports
SLOW_SPECS = seed_reports()[1:4] + synthetic_reports(2, seed=5)

# format → (renderer, the name a portal's download link gives it, sniffed kind)
RENDERERS: dict[str, tuple[Callable[[dict[str, Any]], bytes], str, str]] = {
    "docx": (render_office.render_docx, "downfile.jsp?id=1", "docx"),
    "xlsx": (render_office.render_xlsx, "download.do?fileid=2", "xlsx"),
    "pdf": (render_office.render_pdf, "P020210120123456.pdf", "pdf"),
    "doc": (render_office.render_doc, "attach.jsp?id=3", "doc"),
    "wps": (render_office.render_wps, "report.wps", "doc"),
    "xls": (render_office.render_xls, "report.xls", "xls"),
}
FAST = ("docx", "xlsx")


def _cases() -> list[Any]:
    cases = []
    for fmt in RENDERERS:
        specs = SPECS if fmt in FAST or fmt == "pdf" else SLOW_SPECS
        if fmt == "wps":  # the same bytes as the DOC rendering: sniffing and the name differ
            specs = SLOW_SPECS[:2]
        marks = [] if fmt in FAST else [pytest.mark.slow]
        for spec in specs:
            cases.append(pytest.param(fmt, spec, id=f"{fmt}:{spec['document']}", marks=marks))
    return cases


@pytest.mark.parametrize(("fmt", "spec"), _cases())
def test_rendering_parses_back_cell_by_cell(fmt: str, spec: dict[str, Any]) -> None:
    render, name, kind = RENDERERS[fmt]
    data = render(spec)
    assert sniff(data, {}) == kind
    got = parse_document(data, DocumentMeta(name=name)).to_json()
    problems = differences(got, spec)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])
    assert got["format"] == kind


def test_cells_keep_their_page_and_printed_text() -> None:
    """Provenance: every 表三 cell of a PDF has its page; printed text survives."""
    spec = SPECS[1]
    got = parse_document(render_office.render_pdf(spec)).to_json()
    cells = [c for c in got["cells"] if c["table"] == "requests"]
    assert cells and all(c.get("page") in (1, 2, 3, 4, 5) for c in cells)
    first = next(c for c in cells if c["row"] == "new_received" and c["column"] == "total")
    assert first["text"] == str(spec["requests"]["new_received"][6])
    pages = {c["page"] for c in cells}
    assert len(pages) >= 1


def test_the_comparison_sees_a_changed_cell() -> None:
    """The check itself can fail: a document whose cell differs is reported."""
    spec = SPECS[0]
    changed = {**spec, "requests": {k: list(v) for k, v in spec["requests"].items()}}
    changed["requests"]["granted"][0] = (changed["requests"]["granted"][0] or 0) + 5
    got = parse_document(render_office.render_docx(changed)).to_json()
    problems = differences(got, spec)
    assert any(p.startswith("requests.granted[0]") for p in problems)
