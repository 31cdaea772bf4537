"""Unit tests of the parser's building blocks: numbers, labels, decoding, sniffing,
HTML grids, sections, template detection, run-together cells and each check."""

from __future__ import annotations

import pytest

from parsers import DocumentMeta, UnsupportedFormat, parse_document, parse_text
from parsers.checks import run_checks
from parsers.decode import decode
from parsers.html import html_to_page
from parsers.labels import match
from parsers.numbers import parse_number
from parsers.record import Cell, ProactiveRow, Report
from parsers.runtogether import review_candidates, row_candidates
from parsers.sections import find_headings
from parsers.sniff import sniff
from parsers.template import COLUMNS, GROUPS, REQUEST_ROWS_2019
from parsers.text import text_to_blocks

# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("7", 7, None),
        ("０１２", 12, None),  # full-width digits
        ("-233", -233, None),
        ("－1657", -1657, None),  # full-width minus
        ("+5", 5, None),
        ("1,234", 1234, None),
        ("0.0000", 0, None),
        ("49966945.1", 49966945.1, None),
        ("3400660 元", 3400660, "元"),
        ("12.5万元", 12.5, "万元"),
        ("3 400 660", 3400660, None),
        ("5件", 5, "件"),
        ("", None, None),
        (" ", None, None),
        ("\u00a0", None, None),
        ("/", None, None),
        ("—", None, None),
    ],
)
def test_parse_number(text, value, unit):
    parsed = parse_number(text)
    assert parsed is not None
    assert (parsed.value, parsed.unit) == (value, unit)


@pytest.mark.parametrize(
    "text", ["规章", "1.属于国家秘密", "第二十条第（一）项", "12件左右", "3.5.1"]
)
def test_labels_are_not_numbers(text):
    assert parse_number(text) is None


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("一、本年新收政府信息公开申请数量", "new_received"),
        ("二、 上年结转政府信息公开申请数量", "carried_over"),
        ("（一）予以公开", "granted"),
        ("(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)", "partially_granted"),
        ("1. 属于国家秘密", "denied_state_secret"),
        ("2.其他法律法规禁止公开", "denied_law_prohibited"),
        ("3．危及“三安全一稳定”", "denied_security_stability"),
        ("4.保护第三方合法权益", "denied_third_party"),
        ("1.本机关不掌握相关政府信息", "unavailable_not_held"),
        ("1.信访举报投诉类申请", "rejected_petition"),
        ("4.无正当理由大量反复申请", "rejected_excessive"),
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
        ("（七）总计", "total"),
        ("四、结转下年度继续办理", "carried_forward"),
        ("自然人", None),
    ],
)
def test_request_labels_match_by_meaning(label, key):
    assert match("requests", label) == key


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("规章", "rules"),
        ("行政规范性文件", "normative_docs"),
        ("规范性文件", "normative_docs"),
        ("行政事业性收费", "fees"),
        ("政府集中采购", "procurement"),
        ("行政检查", None),
    ],
)
def test_proactive_labels(label, key):
    assert match("proactive", label) == key


# ---------------------------------------------------------------- decoding and sniffing


def test_gbk_page_with_gbk_only_characters_decodes_as_gb18030():
    html = '<html><head><meta charset="gb2312"></head><body>王堃、李喆</body></html>'
    decoded = decode(html.encode("gbk"))
    assert "王堃、李喆" in decoded.text
    assert decoded.encoding == "gb18030"
    assert decoded.declared_meta == "gb2312"


def test_header_and_meta_disagree_the_bytes_decide():
    html = '<meta charset="gbk"><p>政府信息公开</p>'.encode()
    decoded = decode(html, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert "政府信息公开" in decoded.text
    assert decoded.declared_header == "ISO-8859-1"


def test_utf8_bom():
    assert decode("\ufeff总体情况".encode("utf-8")).text == "总体情况"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image"),
        (b"\xff\xd8\xff\xe0....", "image"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("<table><tr><td>规章</td></tr></table>".encode(), "html"),
        ("一、总体情况\n二、主动公开".encode(), "text"),
        ("一、总体情况".encode("gbk"), "text"),
    ],
)
def test_sniff_by_content(data, kind):
    assert sniff(data) == kind


def test_unknown_binary_is_a_clear_error():
    with pytest.raises(UnsupportedFormat, match="binary"):
        parse_document(b"\x00\x01\x02\x03garbage\x00\x00\xff" * 20)


# ---------------------------------------------------------------- HTML grids


def test_rowspan_colspan_expand_into_a_grid():
    page = html_to_page(
        """<table>
        <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>3</td></tr>
        <tr><td>（二）部分公开</td><td>&nbsp;</td></tr>
        <tr><td colspan="2">四、结转下年度继续办理</td><td>0</td></tr>
        <tr><td>本年新<br>制作数量</td><td colspan="2">9</td></tr>
        </table>"""
    )
    (table,) = page.blocks
    rows = [[c.text for c in r] for r in table.rows]
    assert rows[0] == ["三、本年度办理结果", "（一）予以公开", "3"]
    assert rows[1] == ["三、本年度办理结果", "（二）部分公开", ""]
    assert rows[2] == ["四、结转下年度继续办理", "四、结转下年度继续办理", "0"]
    assert rows[3][0] == "本年新\n制作数量"
    assert [c.spanned for c in table.rows[3]] == [False, False, True]


def test_page_chrome_is_left_out_when_the_cms_container_holds_the_report():
    page = html_to_page(
        """<html><body><div class="nav">首页 当前位置：政府信息公开年报 字体：大 中 小</div>
        <div class="TRS_Editor"><p>一、总体情况</p><p>二、主动公开政府信息情况</p>
        <p>三、收到和处理政府信息公开申请情况</p></div><div>网站地图 ICP备案</div></body></html>"""
    )
    texts = [b.text for b in page.blocks]
    assert texts == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
    ]


# ---------------------------------------------------------------- sections


def test_sub_headings_do_not_steal_sections():
    blocks = text_to_blocks(
        "一、总体情况\n（二）落实主动公开内容情况\n（三）办理政府信息公开申请情况\n"
        "二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
        "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n六、其他需要报告的事项"
    )
    headings = find_headings(blocks)
    assert [h.section for h in headings] == [
        "overview",
        "proactive",
        "requests",
        "review_litigation",
        "problems",
        "other",
    ]
    assert blocks[headings[1].block].text == "二、主动公开政府信息情况"


# ---------------------------------------------------------------- template detection


def _table3(rows: list[str]) -> str:
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计",
    ]
    lines += [f"{label}\t1\t0\t0\t0\t0\t0\t1" for label in rows]
    return "\n".join(lines)


def test_template_2021_from_the_other_handling_sub_rows():
    text = _table3(
        [
            "一、本年新收政府信息公开申请数量",
            "（六）其他处理\t1.申请人无正当理由逾期不补正",
            "3.其他",
        ]
    )
    report = parse_text(text)
    assert report.requests_template == "2021"
    assert report.requests["other_other"][0].value == 1


def test_template_2019_from_a_single_other_row():
    report = parse_text(_table3(["一、本年新收政府信息公开申请数量", "（六）其他处理"]))
    assert report.template == "2019"


def test_hybrid_when_tables_follow_different_templates():
    text = (
        "二、主动公开政府信息情况\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t1\t0\t1\n"
        + _table3(["一、本年新收政府信息公开申请数量", "（六）其他处理"])
    )
    report = parse_text(text)
    assert (report.proactive_template, report.requests_template, report.template) == (
        "2021",
        "2019",
        "hybrid",
    )


def test_reports_before_2019_are_pre2019():
    report = parse_text(
        "某某县2017年政府信息公开工作年度报告\n一、概述\n本年度共主动公开信息100条。"
    )
    assert (report.year, report.template) == (2017, "pre2019")


# ---------------------------------------------------------------- run-together cells


def test_run_together_row_has_a_single_split_with_its_row_sum():
    assert row_candidates("230000023", 7, row_sum=True) == [(23, 0, 0, 0, 0, 0, 23)]


def test_a_blank_cell_may_hide_anywhere_in_a_run():
    # "1 00001" holds six numbers for seven cells: one cell printed nothing, and
    # any of six places fits the row sum.
    candidates = row_candidates("1 00001", 7, row_sum=True)
    assert len(candidates) == 6
    assert all(c.count(None) == 1 and c[-1] == 1 for c in candidates)


def test_ambiguous_run_is_not_guessed():
    assert len(row_candidates("110000011", 7, row_sum=True)) == 2


def test_review_run_of_fifteen_digits():
    assert review_candidates("0" * 15) == [(0,) * 15]
    # "…0606…" reads as 6,0,6 or as 60,(blank),60: both sum per group.
    assert len(review_candidates("000000060600000")) > 1


def _dump(rows: list[tuple[str, str]]) -> str:
    return "三、收到和处理政府信息公开申请情况\n" + "\n".join(a + b for a, b in rows)


def test_issue_example_recovered_end_to_end():
    rows = [
        ("一、本年新收政府信息公开申请数量", "230000023"),
        ("二、上年结转政府信息公开申请数量", "0000000"),
        ("三、本年度办理结果（一）予以公开", "230000023"),
        ("（七）总计", "230000023"),
        ("四、结转下年度继续办理", "0000000"),
    ]
    report = parse_text(_dump(rows))
    assert [c.value for c in report.requests["new_received"]] == [23, 0, 0, 0, 0, 0, 23]
    assert [c.value for c in report.requests["granted"]] == [23, 0, 0, 0, 0, 0, 23]
    assert any(w.code == "run_together_recovered" for w in report.warnings)


def test_issue_example_with_its_space():
    # "230 000023": read as a blank cell the space would make 8 cells, so it is a separator.
    report = parse_text(_dump([("一、本年新收政府信息公开申请数量", "230 000023")]))
    assert [c.value for c in report.requests["new_received"]] == [23, 0, 0, 0, 0, 0, 23]


def test_cells_the_splits_disagree_on_stay_unknown():
    report = parse_text(_dump([("一、本年新收政府信息公开申请数量", "1 00001")]))
    cells = report.requests["new_received"]
    assert cells[-1].value == 1  # every split agrees on the total
    assert all(c.value is None and c.text is None for c in cells[:-1])
    assert any(w.code == "run_together_ambiguous" for w in report.warnings)


def test_ambiguous_run_together_row_is_left_blank_and_said():
    report = parse_text(_dump([("一、本年新收政府信息公开申请数量", "110000011")]))
    assert [c.value for c in report.requests["new_received"]][1:] == [None, 0, 0, 0, 0, 11]
    assert any(w.code == "run_together_ambiguous" for w in report.warnings)


# ---------------------------------------------------------------- checks


def _report(
    requests: dict[str, list[int | None]], review: dict[str, list[int | None]] | None = None
) -> Report:
    report = Report()
    report.requests = {
        k: [Cell(text="" if v is None else str(v), value=v) for v in requests.get(k, [None] * 7)]
        for k in REQUEST_ROWS_2019
    }
    if review:
        report.review_litigation = {g: [Cell(value=v) for v in review[g]] for g in GROUPS}
    return report


def _failing(report: Report) -> set[tuple[str, str]]:
    return {(c.id, c.scope) for c in run_checks(report) if not c.passed}


def test_consistent_table_passes_every_check():
    row = [2, 1, 0, 0, 0, 0, 3]
    report = _report({"new_received": row, "granted": row, "total": row})
    assert _failing(report) == set()


def test_t3_balance_fails_on_its_column():
    report = _report(
        {
            "new_received": [2, 0, 0, 0, 0, 0, 2],
            "granted": [1, 0, 0, 0, 0, 0, 1],
            "total": [1, 0, 0, 0, 0, 0, 1],
        }
    )
    failing = _failing(report)
    assert ("T3_BALANCE", "column:natural_person") in failing
    assert ("T3_BALANCE", "column:total") in failing
    assert not any(c[0] == "T3_TOTAL" for c in failing)


def test_t3_total_and_columns_count_blanks_as_zero():
    report = _report(
        {
            "new_received": [1, None, None, None, None, None, 1],
            "granted": [1, None, None, None, None, None, None],
            "total": [1, None, None, None, None, None, 1],
        }
    )
    failing = _failing(report)
    assert ("T3_COLUMNS", "row:granted") in failing
    assert ("T3_TOTAL", "column:total") in failing


def test_t4_total_per_group():
    zero = [0, 0, 0, 0, 0]
    report = _report(
        {}, {"review": [1, 1, 0, 0, 3], "suit_direct": zero, "suit_after_review": zero}
    )
    assert _failing(report) == {("T4_TOTAL", "group:review")}


def test_t2_change_is_a_warning():
    report = Report()
    report.proactive = [
        ProactiveRow(
            "licensing",
            "行政许可",
            "（五）",
            {"prev_count": Cell(value=88), "change": Cell(value=84), "decisions": Cell(value=219)},
        )
    ]
    (check,) = run_checks(report)
    assert (check.id, check.passed, check.severity, check.expected, check.actual) == (
        "T2_CHANGE",
        False,
        "warning",
        172,
        219,
    )


def test_columns_are_the_spec_keys():
    assert COLUMNS[-1] == "total" and len(COLUMNS) == 7


def test_blank_html_cells_stay_null_not_zero():
    html = (
        "<p>三、收到和处理政府信息公开申请情况</p><table>"
        "<tr><td>一、本年新收政府信息公开申请数量</td><td>5</td><td>&nbsp;</td><td></td><td> </td><td>-</td><td></td><td>5</td></tr>"
        "</table>"
    ).encode()
    report = parse_document(html, DocumentMeta())
    assert [c.value for c in report.requests["new_received"]] == [
        5,
        None,
        None,
        None,
        None,
        None,
        5,
    ]


# ---------------------------------------------------------------- shapes from the wild


def test_whitespace_aligned_columns_from_pdftotext():
    text = (
        "三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量      5    0    0    0    0    1     6\n"
        "四、政府信息公开行政复议、行政诉讼情况\n"
        "0 1 0 0 1   0 0 0 0 0   0 0 0 0 0\n"
    )
    report = parse_text(text)
    assert [c.value for c in report.requests["new_received"]] == [5, 0, 0, 0, 0, 1, 6]
    assert [c.value for c in report.review_litigation["review"]] == [0, 1, 0, 0, 1]


def test_review_data_row_printed_in_two_pieces():
    html = (
        "<p>四、政府信息公开行政复议、行政诉讼情况</p><table>"
        "<tr><td>行政复议</td><td>行政诉讼</td></tr>"
        "<tr><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>"
        "<tr><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td><td>0</td><td>0</td><td>2</td></tr>"
        "</table>"
    ).encode()
    report = parse_document(html)
    assert [c.value for c in report.review_litigation["suit_after_review"]] == [0, 2, 0, 0, 2]
    assert any(w.code == "row_split" for w in report.warnings)


def test_report_laid_out_in_a_one_column_table():
    html = (
        "<table><tr><td>某某县2021年政府信息公开工作年度报告</td></tr>"
        "<tr><td>一、总体情况</td></tr><tr><td>本年度，我县深入推进政务公开。</td></tr>"
        "<tr><td>二、主动公开政府信息情况</td></tr></table>"
    ).encode()
    report = parse_document(html)
    assert (report.organization, report.year) == ("某某县", 2021)
    assert "本年度，我县深入推进政务公开。" in report.sections["overview"]


def test_body_from_the_page_heading_when_the_container_has_no_title():
    html = (
        "<html><head><title>年报_某某市人民政府</title></head><body>"
        "<h1>某某市生态环境局2022年政府信息公开工作年度报告</h1>"
        '<div class="TRS_Editor"><p>一、总体情况</p><p>二、主动公开政府信息情况</p>'
        "<p>三、收到和处理政府信息公开申请情况</p></div></body></html>"
    ).encode()
    report = parse_document(html)
    assert (report.organization, report.organization_source, report.year) == (
        "某某市生态环境局",
        "page",
        2022,
    )


def test_control_characters_in_html_do_not_break_the_walk():
    html = (
        "<p>一、总体情况\x01</p><table><tr><td>规章\x02</td><td>1</td></tr></table>\x03尾"
        "<div>二、主动公开政府信息情况\x0b</div>"
    ).encode()
    report = parse_document(html)
    assert "overview" in report.sections and "proactive" in report.sections


def test_ocr_read_cells_with_low_confidence_are_flagged_for_review():
    from parsers.blocks import GridCell, Paragraph, Table
    from parsers.record import DocumentMeta
    from parsers.report import interpret

    def row(label: str, values: list[str], confidence: float) -> list[GridCell]:
        return [GridCell(label)] + [GridCell(v, page=1, confidence=confidence) for v in values]

    blocks = [
        Paragraph("三、收到和处理政府信息公开申请情况"),
        Table(
            rows=[
                row("一、本年新收政府信息公开申请数量", ["1", "0", "0", "0", "0", "0", "1"], 0.42)
            ]
        ),
    ]
    report = interpret(blocks, DocumentMeta(), "image")
    assert report.requests["new_received"][0].confidence == 0.42
    assert any(w.code == "ocr_review" for w in report.warnings)
    consistent = [
        row(label, ["1", "0", "0", "0", "0", "0", "1"], 0.99)
        for label in ("一、本年新收政府信息公开申请数量", "（一）予以公开", "（七）总计")
    ]
    sure = interpret([blocks[0], Table(rows=consistent)], DocumentMeta(), "image")
    assert not any(w.code == "ocr_review" for w in sure.warnings)
