"""Text PDFs: page furniture, wrapped lines, tables cut by page breaks, garbage text layers."""

from __future__ import annotations

import pypdfium2
import pytest

from crawler.fixture_portals import render_office
from crawler.fixture_portals.reports import seed_reports
from parsers.blocks import GridCell, Paragraph, Table
from parsers.pagetext import PageLine, join_wrapped_lines, stitch_continued_tables
from parsers.pdf import _garbage, pdf_blocks
from parsers.ruling import Glyph

SPEC = seed_reports()[0]  # a 2019 report whose 表三 runs over a page break


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_office.render_pdf(SPEC)


def _raw_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_page_numbers_and_running_header_are_dropped(pdf: bytes) -> None:
    raw = _raw_text(pdf)
    assert "- 1 -" in raw and "- 2 -" in raw and "本机关政务公开" in raw  # they are printed
    texts = [b.text for b in pdf_blocks(pdf) if isinstance(b, Paragraph)]
    assert not [t for t in texts if t.strip("- 0123456789") == "" or "本机关政务公开" in t]
    assert any(t.startswith("一、总体情况") for t in texts)


def test_table_cut_by_a_page_break_keeps_its_merged_labels(pdf: bytes) -> None:
    tables = [b for b in pdf_blocks(pdf) if isinstance(b, Table) and len(b.rows[0]) == 10]
    assert len(tables) == 2, "表三 should run over two pages"
    first, second = tables
    assert second.page == first.page + 1
    assert all(row[0].text == "三、本年度办理结果" for row in second.rows[:-1])
    assert second.rows[-1][0].text.startswith("四、结转下年度继续办理")
    labels = [row[2].text for row in first.rows + second.rows]
    assert "3.危及“三安全一稳定”" in labels


def test_cells_carry_their_page(pdf: bytes) -> None:
    tables = [b for b in pdf_blocks(pdf) if isinstance(b, Table)]
    for table in tables:
        assert {cell.page for row in table.rows for cell in row} == {table.page}
    assert len({t.page for t in tables}) == 2


def _glyphs(text: str) -> list[Glyph]:
    return [Glyph(ch, i * 10.0, 0.0, i * 10.0 + 9, 10.0) for i, ch in enumerate(text)]


def test_garbage_text_layers_are_recognised() -> None:
    good = "本机关坚持以公开为常态、不公开为例外，认真贯彻落实政府信息公开条例，依法办理申请。"
    assert _garbage(_glyphs(good), unmapped=0) is None
    assert "no text" in (_garbage(_glyphs("  "), 0) or "")
    assert "Unicode mapping" in (_garbage(_glyphs(good), unmapped=len(good)) or "")
    private_use = "".join(chr(0xE000 + i) for i in range(30))
    assert "private-use" in (_garbage(_glyphs(private_use), 0) or "")
    wrong_cmap = "".join(chr(0x4E00 + 7 * i + 3000) for i in range(40))  # rare hanzi, no sense
    assert "common characters" in (_garbage(_glyphs(wrong_cmap), 0) or "")


def _line(text: str, x0: float, x1: float, page: int = 1) -> PageLine:
    return PageLine(text, page, False, x0, x1, 14.0)


def test_wrapped_lines_join_but_headings_do_not() -> None:
    blocks = join_wrapped_lines(
        [
            _line("本年度，本机关坚持以公开为常态、不公开为例外，认真贯彻", 90, 520),
            _line("落实条例。", 90, 170),
            _line("二、主动公开政府信息情况", 90, 300),
            _line("本年度主动公开信息一千条，其中政策文件五十件，政策解读", 90, 520),
            _line("（一）规章", 90, 160),
        ]
    )
    assert [b.text for b in blocks] == [
        "本年度，本机关坚持以公开为常态、不公开为例外，认真贯彻落实条例。",
        "二、主动公开政府信息情况",
        "本年度主动公开信息一千条，其中政策文件五十件，政策解读",
        "（一）规章",
    ]


def _table(page: int, rows: list[list[str]]) -> Table:
    return Table(rows=[[GridCell(t, page=page) for t in row] for row in rows], page=page)


def test_row_cut_by_a_page_break_is_rejoined() -> None:
    before = _table(1, [["三、本年度办理结果", "2.其他法律行政法规禁止", "3", "3"]])
    before.rows[0][0].spanned = True  # the last row of a vertically merged label
    after = _table(2, [["", "公开", "", ""], ["", "3.危及“三安全一稳定”", "0", "0"]])
    after.rows[1][0].spanned = True
    stitch_continued_tables([before, after])
    assert before.rows[0][1].text == "2.其他法律行政法规禁止公开"
    assert len(after.rows) == 1
    assert after.rows[0][0].text == "三、本年度办理结果" and after.rows[0][0].spanned


def test_a_new_row_at_the_top_of_a_page_is_not_taken_for_a_fragment() -> None:
    before = _table(1, [["x", "6.属于四类过程性信息", "7", "7"]])
    after = _table(2, [["x", "7.属于行政执法案卷", "", ""]])
    stitch_continued_tables([before, after])
    assert before.rows[0][1].text == "6.属于四类过程性信息"
    assert after.rows[0][1].text == "7.属于行政执法案卷"


@pytest.mark.slow
def test_page_with_a_garbage_text_layer_is_read_by_ocr() -> None:
    import io

    from PIL import Image

    from tests.formats import hostile

    page = Image.open(io.BytesIO(render_office.render_png(SPEC, 150)[0])).convert("L")
    jpeg = io.BytesIO()
    page.save(jpeg, "JPEG", quality=85)
    pdf = hostile.garbage_text_pdf(jpeg.getvalue(), page.width, page.height)
    assert "\ue000" in _raw_text(pdf)  # the text layer is there, and it is garbage
    texts = [b.text for b in pdf_blocks(pdf) if isinstance(b, Paragraph)]
    assert not any("\ue000" <= ch <= "\uf8ff" for t in texts for ch in t)
    assert any(t.startswith("一、总体情况") for t in texts), texts[:5]
