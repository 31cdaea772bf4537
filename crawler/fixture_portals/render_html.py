"""A report spec rendered as a government portal page, or as converter Markdown.

``render_report_html(spec, style=..., encoding=..., chrome=..., split_tables=...)``
writes the page a portal would serve: the title as ``<h1>``, the six sections
as headings and paragraphs, and 表二/表三/表四 laid out as the national template
prints them (表三: three header rows, 三、本年度办理结果 spanning its rows,
（三）不予公开 spanning eight; 表四: three header rows and fifteen data cells),
with ``<br>`` inside header cells and ``&nbsp;`` in blank cells. ``style``
picks the CMS: ``trs`` (TRS WCM, ``.TRS_Editor`` with Word markup in cells),
``hanweb`` (大汉, ``#zoom``) or ``gkmlpt`` (Guangdong, ``.article-content``
under a 索引号/发布机构 table). ``chrome=False`` gives the content fragment
alone. GB encodings are written as GBK and declared as asked in ``<meta>``.

``quirks=`` prints the same report the way some real pages do (``QUIRKS``:
Word-exported markup, counts as "4,633" or "４６３３", drifted labels such as
"(三) 不予公开" or "2．其他法律法规禁止公开", ``<thead>``/``<th>``, an old
layout table, a list of other bodies' reports beside the article, a malformed
charset ``<meta>``, 表二 as four small tables, shorter header rows, upper-case
HTML 3 markup): the values stay those of the spec.

``render_markdown(spec)`` writes what a PDF-to-Markdown converter emits: pipe
tables whose merged cells are empty slots; ``render_text(spec, layout)`` the
plain-text dumps crawlers keep (one cell per line, or tab-separated rows).

Both read the tables from one model (``report_tables``): rows of ``Td`` cells
with their spans, so the HTML and the Markdown say the same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from parsers.template import PROACTIVE_ITEMS

STYLES = ("trs", "hanweb", "gkmlpt")

SECTION_HEADINGS = {
    "overview": "一、总体情况",
    "proactive": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}
# Reports before the 2019 revision had no national tables and older headings.
PRE2019_HEADINGS = {
    "overview": "一、概述",
    "proactive": "二、主动公开政府信息情况",
    "requests": "三、依申请公开政府信息情况",
    "review_litigation": "四、因政府信息公开申请提起行政复议、行政诉讼的情况",
    "problems": "五、政府信息公开工作存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}


def section_headings(spec: dict[str, Any]) -> dict[str, str]:
    return PRE2019_HEADINGS if spec.get("template") == "pre2019" else SECTION_HEADINGS


@dataclass
class Td:
    """A printed table cell: its text (``<br>`` allowed), spans, header or data.

    ``number`` marks a count (not money, not a label): the cells whose printed
    form the ``numbers`` quirk may change without changing their value.
    """

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    number: bool = False


Row = list[Td]


# --------------------------------------------------------------------------- values


def cell_text(value: Any) -> str:
    """How a value is printed in a cell: blank → "", money → its printed text."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value["text"])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- 表二


METRIC_HEADERS = {
    "made": "本年新<br>制作数量",
    "published": "本年新<br>公开数量",
    "total_published": "对外公开<br>总数量",
    "prev_count": "上一年<br>项目数量",
    "change": "本年<br>增/减",
    "decisions": "处理决定<br>数量",
    "projects": "采购项目<br>数量",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
}


def _amount_header(metric_values: list[Any], template: str) -> str:
    """The money column's header: the unit goes there when the cells do not print it."""
    if template == "2021":
        return "本年收费金额（单位：万元）"
    money = next((v for v in metric_values if isinstance(v, dict)), None)
    if money and money["unit"] and money["unit"] not in money["text"]:
        return (
            "采购总金额<br>（万元，保留四位小数）"
            if money["unit"] == "万元"
            else "采购总金额（元）"
        )
    return "采购总金额"


def proactive_table(spec: dict[str, Any]) -> list[Row]:
    """表二 as the template prints it: per Article 20 item a caption row, a header row, rows."""
    rows: list[dict[str, Any]] = spec["proactive"]
    label_cols = 2 if any("/" in r["key"] for r in rows) else 1
    width = label_cols + 3
    out: list[Row] = []
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for row in rows:
        item = PROACTIVE_ITEMS[row["key"].split("/")[0]]
        if groups and groups[-1][0] == item:
            groups[-1][1].append(row)
        else:
            groups.append((item, [row]))
    for item, group in groups:
        out.append([Td(f"第二十条第{item}项", colspan=width, header=True)])
        metrics = list(group[0]["values"])
        span = 3 // len(metrics) if 3 % len(metrics) == 0 else 0
        spans = [span] * len(metrics) if span else [1] * (len(metrics) - 1) + [4 - len(metrics)]
        headers = [
            _amount_header([r["values"].get(m) for r in group], spec["template"])
            if m == "amount"
            else METRIC_HEADERS[m]
            if len(metrics) > 1
            else "本年处理决定数量"
            for m in metrics
        ]
        out.append(
            [Td("信息内容", colspan=label_cols, header=True)]
            + [Td(h, colspan=s, header=True) for h, s in zip(headers, spans, strict=True)]
        )
        i = 0
        while i < len(group):
            row = group[i]
            base = row["key"].split("/")[0]
            if "/" in row["key"]:
                subs = [r for r in group[i:] if r["key"].startswith(base + "/")]
                for j, sub in enumerate(subs):
                    cells = [Td(sub["label"].split("·")[-1])]
                    if j == 0:
                        cells.insert(0, Td(sub["label"].split("·")[0], rowspan=len(subs)))
                    cells += _values(sub, spans)
                    out.append(cells)
                i += len(subs)
                continue
            out.append([Td(row["label"], colspan=label_cols), *_values(row, spans)])
            i += 1
    for extra in spec["extra"]:
        out.append([Td(f"{extra['label']}：{cell_text(extra['value'])}", colspan=width)])
    return out


def _values(row: dict[str, Any], spans: list[int]) -> list[Td]:
    return [
        Td(cell_text(v), colspan=s, number=not isinstance(v, dict))
        for v, s in zip(row["values"].values(), spans, strict=True)
    ]


# --------------------------------------------------------------------------- 表三

RESULTS = "三、本年度办理结果"
REQUEST_LABELS: dict[str, tuple[str, str | None, str | None]] = {
    "new_received": ("一、本年新收政府信息公开申请数量", None, None),
    "carried_over": ("二、上年结转政府信息公开申请数量", None, None),
    "granted": (RESULTS, "（一）予以公开", None),
    "partially_granted": (
        RESULTS,
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        None,
    ),
    "denied_state_secret": (RESULTS, "（三）不予公开", "1.属于国家秘密"),
    "denied_law_prohibited": (RESULTS, "（三）不予公开", "2.其他法律行政法规禁止公开"),
    "denied_security_stability": (RESULTS, "（三）不予公开", "3.危及“三安全一稳定”"),
    "denied_third_party": (RESULTS, "（三）不予公开", "4.保护第三方合法权益"),
    "denied_internal_affairs": (RESULTS, "（三）不予公开", "5.属于三类内部事务信息"),
    "denied_process_info": (RESULTS, "（三）不予公开", "6.属于四类过程性信息"),
    "denied_enforcement_file": (RESULTS, "（三）不予公开", "7.属于行政执法案卷"),
    "denied_query_matter": (RESULTS, "（三）不予公开", "8.属于行政查询事项"),
    "unavailable_not_held": (RESULTS, "（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unavailable_needs_creation": (RESULTS, "（四）无法提供", "2.没有现成信息需要另行制作"),
    "unavailable_unclear": (RESULTS, "（四）无法提供", "3.补正后申请内容仍不明确"),
    "rejected_petition": (RESULTS, "（五）不予处理", "1.信访举报投诉类申请"),
    "rejected_duplicate": (RESULTS, "（五）不予处理", "2.重复申请"),
    "rejected_publication": (RESULTS, "（五）不予处理", "3.要求提供公开出版物"),
    "rejected_excessive": (RESULTS, "（五）不予处理", "4.无正当理由大量反复申请"),
    "rejected_confirmation": (RESULTS, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other": (RESULTS, "（六）其他处理", None),
    "other_no_correction": (
        RESULTS,
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    "other_unpaid_fee": (
        RESULTS,
        "（六）其他处理",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    "other_other": (RESULTS, "（六）其他处理", "3.其他"),
    "total": (RESULTS, "（七）总计", None),
    "carried_forward": ("四、结转下年度继续办理", None, None),
}
APPLICANTS = ("商业<br>企业", "科研<br>机构", "社会公益<br>组织", "法律服务<br>机构", "其他")


def requests_header() -> list[Row]:
    """表三's three header rows over its 3 label columns and 7 number columns."""
    return [
        [
            Td(
                "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
                rowspan=3,
                colspan=3,
                header=True,
            ),
            Td("申请人情况", colspan=7, header=True),
        ],
        [
            Td("自然人", rowspan=2, header=True),
            Td("法人或其他组织", colspan=5, header=True),
            Td("总计", rowspan=2, header=True),
        ],
        [Td(a, header=True) for a in APPLICANTS],
    ]


def requests_body(spec: dict[str, Any], keys: list[str], continued: bool = False) -> list[Row]:
    """表三's data rows for ``keys``, merged label cells spanning their groups.

    ``continued``: these rows continue a table cut in two, so a label already
    printed above (三、本年度办理结果) is an empty merged cell here.
    """
    labels = [REQUEST_LABELS[k] for k in keys]
    out: list[Row] = []
    for i, key in enumerate(keys):
        top, mid, leaf = labels[i]
        cells: list[Td] = []
        if mid is None:
            cells.append(Td(top, colspan=3))
        else:
            if i == 0 or labels[i - 1][0] != top:
                run = _run(labels, i, lambda lab, t=top: lab[0] == t)
                cells.append(Td("" if continued and i == 0 else top, rowspan=run))
            if leaf is None:
                cells.append(Td(mid, colspan=2))
            else:
                if i == 0 or labels[i - 1][1] != mid:
                    run = _run(labels, i, lambda lab, m=mid: lab[1] == m)
                    cells.append(Td(mid, rowspan=run))
                cells.append(Td(leaf))
        cells += [Td(cell_text(v), number=True) for v in spec["requests"][key]]
        out.append(cells)
    return out


def _run(labels: list[tuple[str, str | None, str | None]], start: int, same: Any) -> int:
    n = 0
    while start + n < len(labels) and same(labels[start + n]):
        n += 1
    return n


def requests_tables(spec: dict[str, Any], split: bool) -> list[list[Row]]:
    """表三 as one table, or cut in two before （四）无法提供 as a page break leaves it."""
    keys = [k for k in spec["requests"] if k in REQUEST_LABELS]
    if not split:
        return [requests_header() + requests_body(spec, keys)]
    cut = keys.index("unavailable_not_held") if "unavailable_not_held" in keys else len(keys) // 2
    return [
        requests_header() + requests_body(spec, keys[:cut]),
        requests_body(spec, keys[cut:], continued=True),
    ]


# --------------------------------------------------------------------------- 表四

OUTCOME_HEADERS = ("结果<br>维持", "结果<br>纠正", "其他<br>结果", "尚未<br>审结", "总计")


def review_table(spec: dict[str, Any]) -> list[Row]:
    """表四: 行政复议 (5 columns), 行政诉讼 (2 × 5 columns), three header rows, one data row."""
    groups = spec["review_litigation"]
    values = [v for g in ("review", "suit_direct", "suit_after_review") for v in groups[g]]
    return [
        [Td("行政复议", colspan=5, header=True), Td("行政诉讼", colspan=10, header=True)],
        [Td(h, rowspan=2, header=True) for h in OUTCOME_HEADERS]
        + [
            Td("未经复议直接起诉", colspan=5, header=True),
            Td("复议后起诉", colspan=5, header=True),
        ],
        [Td(h, header=True) for h in OUTCOME_HEADERS * 2],
        [Td(cell_text(v), number=True) for v in values],
    ]


def report_tables(
    spec: dict[str, Any], split: bool = False, quirks: frozenset[str] = frozenset()
) -> dict[str, list[list[Row]]]:
    """Each table section's tables (表三 possibly cut in two), with the printing quirks asked."""
    if spec.get("template") == "pre2019":  # before the national tables existed
        return {}
    tables = {
        "proactive": [proactive_table(spec)],
        "requests": requests_tables(spec, split),
        "review_litigation": [review_table(spec)],
    }
    if "split_proactive" in quirks:  # one small table per Article 20 item
        pieces: list[list[Row]] = []
        for row in tables["proactive"][0]:
            if not pieces or row[0].text.startswith("第二十条"):
                pieces.append([])
            pieces[-1].append(row)
        tables["proactive"] = pieces
    if "short_headers" in quirks:
        first = tables["requests"][0]
        first[:3] = [
            [
                Td(first[0][0].text, rowspan=2, colspan=3, header=True),
                Td("自然人", rowspan=2, header=True),
                Td("法人或其他组织", colspan=5, header=True),
                Td("总计", rowspan=2, header=True),
            ],
            first[2],
        ]
        review = tables["review_litigation"][0]
        review[:3] = [
            [
                Td("行政复议", colspan=5, header=True),
                Td("行政诉讼（未经复议直接起诉）", colspan=5, header=True),
                Td("行政诉讼（复议后起诉）", colspan=5, header=True),
            ],
            [Td(h, header=True) for h in OUTCOME_HEADERS * 3],
        ]
    for group in tables.values():
        for rows in group:
            for r, row in enumerate(rows):
                for c, td in enumerate(row):
                    if "labels" in quirks and not td.number:
                        td.text = LABEL_VARIANTS.get(td.text, td.text)
                    if "numbers" in quirks and td.number:
                        td.text = printed_number(td.text, r + c)
    return tables


# --------------------------------------------------------------------------- quirks

# How real pages differ from the template's clean print, one name per habit:
QUIRKS = frozenset(
    {
        "word",  # Word-exported HTML: MsoNormal p/span in cells, <o:p>, digits split over
        # spans, conditional comments, the trailing row of empty width cells, title as a p
        "numbers",  # counts with thousands separators, full-width digits, padding spaces
        "labels",  # label drift: half-width brackets, "1. " and "1、", 法律法规, <br> in labels
        "thead",  # header rows in <thead> as <th>
        "layout",  # the article inside an old-style layout table next to a link column
        "sidebar",  # a related-reports list (other bodies, other years) before the article
        "malformed_meta",  # <meta httpequiv="ContentType" …charset=…> as some CMSs write it
        "split_proactive",  # 表二 as one small table per Article 20 item
        "short_headers",  # 表三 without its 申请人情况 row, 表四 with two header rows
        "old_html",  # upper-case tags, unquoted attributes, <font>, blank cells with nothing
    }
)

LABEL_VARIANTS = {
    "第二十条第（一）项": "第二十条第(一)项",
    "第二十条第（五）项": "第二十条 第（五）项",
    "其他对外管理服务事项": "其他对外管理<br>服务事项",
    "一、本年新收政府信息公开申请数量": "一、本年新收政府信息<br>公开申请数量",
    "（一）予以公开": "(一)予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "（二）部分公开<br>（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开": "(三) 不予公开",
    "1.属于国家秘密": "1. 属于国家秘密",
    "2.其他法律行政法规禁止公开": "2．其他法律法规禁止公开",
    "3.危及“三安全一稳定”": '3.危及"三安全一稳定"',
    "（四）无法提供": "(四)无法提供",
    "1.本机关不掌握相关政府信息": "1、本机关不掌握相关政府信息",
    "（五）不予处理": "（五） 不予处理",
    "2.重复申请": "2. 重复申请",
    "（七）总计": "(七)总计",
    "四、结转下年度继续办理": "四、结转下年度<br>继续办理",
    "自然人": "自 然 人",
}

_FULL_WIDTH = str.maketrans("0123456789-,", "０１２３４５６７８９－，")


def printed_number(text: str, position: int) -> str:
    """A count as some bodies print it: 4,633 / ４６３３ / " 7 " (same value)."""
    if not text or not text.lstrip("-").isdigit():
        return text
    value = int(text)
    if abs(value) >= 1000 and position % 3 != 2:
        text = f"{value:,}"
    if position % 5 == 1:
        text = text.translate(_FULL_WIDTH)
    if position % 7 == 3:
        text = f" {text}\u3000"
    return text


# --------------------------------------------------------------------------- HTML


def _word_text(text: str) -> str:
    """Word splits a run of digits over spans when it was typed in two goes."""
    if len(text) >= 2 and text.isdigit():
        half = len(text) // 2
        return f'{text[:half]}</span><span lang="EN-US" style="font-size:10.5pt">{text[half:]}'
    return text


def _td_html(td: Td, style: str, quirks: frozenset[str] = frozenset()) -> str:
    attrs = ""
    if td.rowspan > 1:
        attrs += f' rowspan="{td.rowspan}"'
    if td.colspan > 1:
        attrs += f' colspan="{td.colspan}"'
    text = "<br>".join(escape(part) for part in td.text.split("<br>")) or "&nbsp;"
    if "old_html" in quirks:
        attrs = attrs.replace('"', "").upper()
        text = "" if text == "&nbsp;" else f"<FONT size=2>{text.replace('<br>', '<BR>')}</FONT>"
        return f"<TD align=middle{attrs}>{text}</TD>"
    if "thead" in quirks and td.header:
        return f"<th{attrs}>{text}</th>"
    if "word" in quirks:
        inner = (
            '<p class="MsoNormal" align="center" style="text-align:center;mso-line-height-alt:12pt">'
            f'<span lang="EN-US" style="font-size:10.5pt">{_word_text(text)}</span>'
            '<span style="font-size:10.5pt;font-family:宋体"><o:p></o:p></span></p>'
        )
        return (
            f'<td width="64" valign="center"{attrs} style="width:48.0pt;border:solid windowtext 1.0pt;'
            f'mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt">{inner}</td>'
        )
    tag = "th" if td.header and style == "gkmlpt" else "td"
    if style == "trs":  # Word-made HTML: every cell text wrapped in p/span
        text = text.replace("<br>", "<br/>")
        inner = (
            '<p class="MsoNormal" align="center" style="text-align:center">'
            f'<span style="font-size:10.5pt;font-family:宋体">{text}</span></p>'
        )
        return f'<td valign="middle"{attrs} style="border:solid windowtext 1.0pt">{inner}</td>'
    if style == "hanweb" and td.header:
        return f'<td{attrs} style="text-align:center"><strong>{text}</strong></td>'
    return f"<{tag}{attrs}>{text}</{tag}>"


def _width(rows: list[Row]) -> int:
    return sum(td.colspan for td in rows[0]) if rows else 0


def table_html(rows: list[Row], style: str, quirks: frozenset[str] = frozenset()) -> str:
    open_tag = {
        "trs": '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
        'style="border-collapse:collapse;border:none">',
        "hanweb": '<table border="1" cellspacing="0" cellpadding="0" width="100%" align="center">',
        "gkmlpt": '<table class="table table-bordered" style="width:100%">',
    }[style]

    def tr(row: Row) -> str:
        return "<tr>" + "".join(_td_html(td, style, quirks) for td in row) + "</tr>"

    if "old_html" in quirks:
        rows_html = "\n".join(
            tr(row).replace("<tr>", "<TR>").replace("</tr>", "</TR>") for row in rows
        )
        return f'<TABLE border=1 cellSpacing=0 cellPadding=0 width="100%">\n{rows_html}\n</TABLE>'

    head_rows = 0
    if "thead" in quirks:
        while head_rows < len(rows) and all(td.header for td in rows[head_rows]):
            head_rows += 1
    parts = [open_tag]
    if head_rows:
        parts += ["<thead>", *(tr(row) for row in rows[:head_rows]), "</thead>"]
    parts += ["<tbody>", *(tr(row) for row in rows[head_rows:]), "</tbody>"]
    if "word" in quirks:  # Word's trailing row that fixes the column widths
        cells = "".join('<td width="64" style="border:none"></td>' for _ in range(_width(rows)))
        parts.append(f"<![if !supportMisalignedColumns]><tr height=0>{cells}</tr><![endif]>")
    parts.append("</table>")
    return "\n".join(parts)


def _paragraph(text: str, style: str) -> str:
    text = escape(text)
    if style == "trs":
        return (
            '<p class="MsoNormal" style="text-indent:32.0pt;line-height:28.0pt">'
            f'<span style="font-size:16.0pt;font-family:仿宋_GB2312">{text}</span></p>'
        )
    if style == "hanweb":
        return f'<p style="text-indent:2em;line-height:2">{text}</p>'
    return f"<p>{text}</p>"


def _heading(text: str, style: str) -> str:
    if style == "trs":
        return (
            '<p class="MsoNormal" style="text-indent:32.0pt"><b>'
            f'<span style="font-size:16.0pt;font-family:黑体">{escape(text)}</span></b></p>'
        )
    if style == "hanweb":
        return f'<p style="text-indent:2em"><strong>{escape(text)}</strong></p>'
    return f"<h2>{escape(text)}</h2>"


def report_body_html(
    spec: dict[str, Any],
    style: str,
    split_tables: bool = False,
    quirks: frozenset[str] = frozenset(),
) -> str:
    """The report itself: title, sections, tables (what sits inside the content container)."""
    parts = []
    if "word" in quirks:
        parts.append(
            "<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View>"
            "</w:WordDocument></xml><![endif]-->"
        )
    if spec.get("title"):
        title = escape(spec["title"])
        if "word" in quirks:  # Word has no h1: a centred, bold, large paragraph
            parts.append(
                '<p class="MsoNormal" align="center" style="text-align:center"><b>'
                f'<span style="font-size:22.0pt;font-family:方正小标宋简体">{title}</span></b></p>'
            )
        else:
            parts.append(f'<h1 style="text-align:center">{title}</h1>')
    tables = report_tables(spec, split_tables, quirks)
    texts: dict[str, str] = spec.get("section_texts") or {}
    for key, heading in section_headings(spec).items():
        parts.append(_heading(heading, style))
        for line in (texts.get(key) or "").splitlines():
            if line.strip():
                parts.append(_paragraph(line.strip(), style))
        for rows in tables.get(key, []):
            parts.append(table_html(rows, style, quirks))
    return "\n".join(parts)


def _related_reports(spec: dict[str, Any]) -> str:
    """Links to other reports, as portals list them beside or above an article."""
    year = spec.get("year") or 2020
    others = [
        (f"德清县新市镇人民政府{year - 1}年政府信息公开工作年度报告", f"{year}-03-28"),
        (f"杭州市西湖区人民政府{year - 2}年政府信息公开工作年度报告", f"{year - 1}-01-30"),
        (f"国家统计局{year + 1}年政府信息公开工作年度报告", f"{year + 2}-01-29"),
    ]
    items = "".join(
        f'<li><a href="./t{i}.html">{escape(t)}</a><span>{d}</span></li>'
        for i, (t, d) in enumerate(others)
    )
    rows = "".join(
        f'<tr><td><a href="./t{i}.html">{escape(t)}</a></td><td>{d}</td></tr>'
        for i, (t, d) in enumerate(others)
    )
    return (
        f'<div class="related"><h3>相关阅读</h3><ul>{items}</ul>'
        f'<table class="list-table"><tr><td>标题</td><td>发布日期</td></tr>{rows}</table></div>'
    )


def _site(spec: dict[str, Any]) -> tuple[str, str]:
    """The portal's name and the body that runs it (neutral when the report names none)."""
    org = spec.get("organization")
    if not org:
        return "政务公开平台", "政务公开办公室"
    if org.endswith(("人民政府", "办事处")):
        return f"{org}门户网站", f"{org}办公室"
    return f"{org}网站", f"{org}办公室"


def _pub_date(spec: dict[str, Any]) -> str:
    digest = hashlib.sha256(repr(spec.get("document") or spec.get("title")).encode()).digest()
    year = (spec.get("year") or 2020) + 1
    return f"{year}-0{1 + digest[0] % 3}-{10 + digest[1] % 18:02d} {9 + digest[2] % 8:02d}:{digest[3] % 60:02d}"


def _charset_meta(encoding: str) -> str:
    if encoding.lower().replace("-", "") == "utf8":
        return '<meta charset="utf-8">'
    return f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'


def page_html(
    spec: dict[str, Any],
    style: str,
    encoding: str,
    split_tables: bool,
    quirks: frozenset[str] = frozenset(),
) -> str:
    """A whole portal page: head with the standard meta tags, chrome, the report."""
    site, office = _site(spec)
    title = spec.get("title") or "政府信息公开工作年度报告"
    org = spec.get("organization")
    date = _pub_date(spec)
    charset = (
        f'<meta httpequiv="ContentType" content="text/html; charset={encoding}" />'
        if "malformed_meta" in quirks
        else _charset_meta(encoding)
    )
    metas = [
        charset,
        f'<meta name="SiteName" content="{escape(site)}">',
        '<meta name="SiteDomain" content="www.example.gov.cn">',
        '<meta name="SiteIDCode" content="3301000001">',
        '<meta name="ColumnName" content="政府信息公开年报">',
        '<meta name="ColumnType" content="政府信息公开年报">',
        f'<meta name="ArticleTitle" content="{escape(title)}">',
        f'<meta name="PubDate" content="{date}">',
    ]
    if org:
        metas.append(f'<meta name="ContentSource" content="{escape(org)}">')
    body = report_body_html(spec, style, split_tables, quirks)
    container = {
        "trs": f'<div class="TRS_Editor"><div class="Custom_UnionStyle">\n{body}\n</div></div>',
        "hanweb": f'<div id="zoom">\n{body}\n</div>',
        "gkmlpt": f'<div class="article-content">\n{body}\n</div>',
    }[style]
    if "layout" in quirks:  # old portals: the article in a layout table beside a link column
        container = (
            '<table width="1000" border="0" cellspacing="0" cellpadding="0"><tr>'
            '<td width="220" valign="top" class="left"><ul><li><a href="/zwgk/">机构概况</a></li>'
            '<li><a href="/zwgk/zcwj/">政策文件</a></li><li><a href="./">政府信息公开年报</a></li></ul></td>'
            f'<td width="780" valign="top">{container}</td></tr></table>'
        )
    if "sidebar" in quirks:
        container = _related_reports(spec) + "\n" + container
    gkml_info = ""
    if style == "gkmlpt":
        gkml_info = (
            '<table class="classify"><tr><td>索引号：</td><td>11440200MB2C12345X/2021-00012</td>'
            "<td>分类：</td><td>政府信息公开年报</td></tr>"
            f"<tr><td>发布机构：</td><td>{escape(org or office)}</td><td>成文日期：</td>"
            f"<td>{date[:10]}</td></tr>"
            f'<tr><td>名称：</td><td colspan="3">{escape(title)}</td></tr>'
            "<tr><td>文号：</td><td></td><td>发布日期：</td>"
            f"<td>{date[:10]}</td></tr></table>"
        )
    return f"""<!DOCTYPE html>
<html>
<head>
{chr(10).join(metas)}
<title>{escape(title)}_{escape(site)}</title>
<link rel="stylesheet" href="/css/common.css">
<script type="text/javascript" src="/js/jquery.min.js"></script>
</head>
<body>
<div class="topbar"><a href="#">繁體版</a> | <a href="#">无障碍</a> | <a href="#">长者版</a> | <a href="#">登录</a></div>
<div class="header"><div class="logo">{escape(site)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="./">政府信息公开年报</a></div>
<div class="article">
{gkml_info}
<h1 class="article-title">{escape(title)}</h1>
<div class="article-info">发布时间：{date}　来源：{escape(org or office)}　浏览次数：<span id="hits">1024</span>
　字体：[<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>]</div>
{container}
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
<div class="footer"><p>主办：{escape(office)}　承办：大数据发展管理中心</p>
<p>网站标识码：3301000001　<a href="https://beian.miit.gov.cn/">浙ICP备05012345号-1</a>　浙公网安备 33010002000001号</p>
<p>联系电话：0571-87000000　地址：人民路1号</p></div>
<script type="text/javascript">var _hits = 1024; function doZoom(size) {{ return size; }}</script>
</body>
</html>
"""


def _codec(encoding: str) -> str:
    """GB2312 and GBK pages are really GBK (GB18030-compatible) bytes."""
    name = encoding.lower().replace("_", "-")
    return "gbk" if name in ("gb2312", "gbk", "x-gbk", "gb-2312") else name


def render_report_html(
    report: dict[str, Any],
    *,
    style: str = "trs",
    encoding: str = "utf-8",
    chrome: bool = True,
    split_tables: bool = False,
    quirks: Iterable[str] = (),
) -> bytes:
    """The report spec as a portal page (``chrome=True``) or its content fragment, encoded.

    ``quirks`` (names from ``QUIRKS``) print the same report the way some real
    pages do: Word markup, reformatted counts, drifted labels, layout tables…
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    asked = frozenset(quirks)
    if asked - QUIRKS:
        raise ValueError(f"unknown quirks {sorted(asked - QUIRKS)}; known: {sorted(QUIRKS)}")
    if chrome:
        html = page_html(report, style, encoding, split_tables, asked)
    else:
        container = {
            "trs": 'class="TRS_Editor"',
            "hanweb": 'id="zoom"',
            "gkmlpt": 'class="article-content"',
        }
        body = report_body_html(report, style, split_tables, asked)
        html = f"<div {container[style]}>\n{body}\n</div>\n"
    return html.encode(_codec(encoding), errors="xmlcharrefreplace")


# --------------------------------------------------------------------------- Markdown


def _grid(rows: list[Row]) -> list[list[str]]:
    """Expand spans: the text sits in the top-left slot, spanned slots stay empty."""
    grid: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for td in row:
            while (r, c) in grid:
                c += 1
            for dr in range(td.rowspan):
                for dc in range(td.colspan):
                    grid[(r + dr, c + dc)] = td.text.replace("<br>", "") if dr == dc == 0 else ""
            c += td.colspan
    width = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def table_markdown(rows: list[Row]) -> str:
    grid = _grid(rows)
    lines = ["| " + " | ".join(grid[0]) + " |", "|" + "---|" * len(grid[0])]
    lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
    return "\n".join(lines)


def render_markdown(
    report: dict[str, Any], split_tables: bool = False, quirks: Iterable[str] = ()
) -> str:
    """The report as a PDF converter's Markdown: headings, paragraphs, pipe tables.

    Only the table quirks (``numbers``, ``labels``) apply to Markdown.
    """
    parts = []
    if report.get("title"):
        parts.append(f"# {report['title']}")
    tables = report_tables(report, split_tables, frozenset(quirks))
    texts: dict[str, str] = report.get("section_texts") or {}
    for key, heading in section_headings(report).items():
        parts.append(f"## {heading}")
        parts += [line.strip() for line in (texts.get(key) or "").splitlines() if line.strip()]
        parts += [table_markdown(rows) for rows in tables.get(key, [])]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------- plain text

TEXT_LAYOUTS = ("lines", "tabs", "runtogether")


def _run_together(row: Row, r: int) -> str:
    """A row whose cells lost their separators; now and then a space survives."""
    out = ""
    for c, td in enumerate(row):
        text = td.text.replace("<br>", "")
        if out and td.number and out[-1].isdigit() and (r + c) % 4 == 0:
            out += " "
        out += text
    return out


def _table_text(rows: list[Row], layout: str) -> str:
    if layout == "tabs":  # a converted document: one line per row, spanned slots empty
        return "\n".join("\t".join(row) for row in _grid(rows))
    if layout == "runtogether":  # a crawler's text dump: one line per row, no separators
        return "\n".join(_run_together(row, r) for r, row in enumerate(rows))
    # a flattened HTML table: each printed cell on its own tab-led line, rows apart
    return "\n\n".join(
        "\n".join("\t" + td.text.replace("<br>", "\n") for td in row) for row in rows
    )


def render_text(report: dict[str, Any], layout: str = "lines") -> str:
    """The report as crawlers' text dumps print it (the seeds' two layouts).

    ``lines``: each table cell on its own tab-led line, a blank line between
    rows, header text broken where the page had ``<br>`` (seeds 000, 002, 004).
    ``tabs``: each table row on one tab-separated line, merged slots empty
    (seeds 001, 003). ``runtogether``: each table row on one line with its cells
    run together ("一、本年新收政府信息公开申请数量230 000023"), a space kept
    between some numbers; a blank cell prints nothing at all.
    """
    if layout not in TEXT_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(TEXT_LAYOUTS)}")
    parts = []
    if report.get("title"):
        parts.append(report["title"])
    tables = report_tables(report)
    texts: dict[str, str] = report.get("section_texts") or {}
    for key, heading in section_headings(report).items():
        parts.append(heading)
        parts += [line.strip() for line in (texts.get(key) or "").splitlines() if line.strip()]
        parts += [_table_text(rows, layout) for rows in tables.get(key, [])]
    return "\n\n".join(parts) + "\n"
