"""The published database's schema, in one place: tables, columns, keys, indexes, FTS, views.

Every table and column carries an English and a Chinese description; the
Datasette metadata (``datasette/metadata.yaml``) and the API documentation read
them from here (``column_descriptions()``), so the two never drift apart.

Shape, and why:

- **Wide tables for 表三 and 表四** (``requests``: one row per report, 26 rows ×
  7 columns as typed columns named ``<row>__<column>``, e.g.
  ``new_received__total``; ``review_litigation``: 3 groups × 5 outcomes). At
  national scale (~700k reports) a long table would hold 18M (表三) rows: every
  facet, filter and sort would scan 26× more rows and need a join to reach year
  or province. Wide rows keep each report's numbers in one B-tree row, let
  Datasette sort on any cell with an index-free scan of 700k rows, and carry
  the report's year, province, level, template and body name *denormalised* so
  facets run on the table itself with no join. Long forms for analysis are
  views (``requests_long``, ``review_litigation_long``) and the ``cells`` table
  (every printed cell, with its text).
- **表二 is wide too** (``proactive``: one row per report, a column per row
  key and metric of either template, ``<row>__<metric>``, e.g.
  ``licensing__decisions``; an amount as ``fees__amount_text``, ``_unit``,
  ``_yuan``). The templates' rows differ (2021 has no ``other_services`` or
  ``procurement``), so a row the report's template lacks is NULL. What the
  wide shape cannot hold is kept in ``proactive_other_rows``, long, with its
  printed label: the rows bodies add under a template row
  (``other_services/行政检查``) and a template row printed with a metric its
  row has in neither template. The long form for analysis is the view
  ``proactive_long``. (Long, 表二 was 6.6 rows per report, 4.6M at 700k
  reports: half the build's row inserts and six indexes over them.)
- **Search**: contentless FTS5 tables (``sections_fts``, ``reports_fts``) hold
  character bigrams (``archive/bigram.py``), so any term of ≥ 2 Chinese
  characters is found exactly. Their rowids are the ``rowid`` of ``sections`` /
  ``reports``; Datasette's ``fts_table`` / ``fts_pk`` metadata must name them
  (see ``FTS``), and the site's search plugin rewrites queries into bigram
  phrases with ``archive.bigram.fts_query``. Beside each, ``<fts>_terms`` holds
  every token and the number of rows holding it, for counting one-token
  searches.
- **Summaries** (``summary_*``) are aggregated at build time: a GROUP BY over
  700k wide rows costs seconds, the summary tables answer in milliseconds.
- Ids are stable across builds: ``bodies.id`` is derived from the body's province and
  normalised name, ``reports.id`` is ``<body id>-<year>``, documents are keyed by
  SHA-256, so links into the site survive a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.template import (
    COLUMNS,
    GROUPS,
    MONEY_METRICS,
    OUTCOMES,
    PROACTIVE_2019,
    PROACTIVE_2021,
    PROACTIVE_ITEMS,
    REQUEST_ROW_KEYS,
)

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "TEXT", "INTEGER", "REAL"
    en: str
    zh: str


@dataclass(frozen=True)
class Table:
    name: str
    en: str
    zh: str
    pk: tuple[str, ...]
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, ...], ...] = ()  # column names; "year DESC" for a descending one
    unique_indexes: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, other table, other column)
    label_column: str | None = None
    without_rowid: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class View:
    name: str
    en: str
    zh: str
    sql: str
    columns: tuple[Column, ...] = field(default=())


@dataclass(frozen=True)
class FtsIndex:
    """A contentless FTS5 table over bigrams of ``columns`` of ``table`` (rowid = table rowid)."""

    name: str
    table: str
    columns: tuple[str, ...]
    en: str
    zh: str

    @property
    def terms_table(self) -> str:
        """The table of the index's tokens and how many rows hold each (``create_terms_sql``)."""
        return terms_table(self.name)


def terms_table(fts: str) -> str:
    """The name of the FTS table ``fts``'s terms table (``create_terms_sql``)."""
    return f"{fts}_terms"


def C(name: str, type_: str, en: str, zh: str) -> Column:  # noqa: N802 - a table-literal helper
    return Column(name, type_, en, zh)


# Template labels, for the generated column descriptions of the wide tables.
REQUEST_ROW_LABELS: dict[str, str] = {
    "new_received": "本年新收政府信息公开申请数量",
    "carried_over": "上年结转政府信息公开申请数量",
    "granted": "予以公开",
    "partially_granted": "部分公开",
    "denied_state_secret": "不予公开·属于国家秘密",
    "denied_law_prohibited": "不予公开·其他法律行政法规禁止公开",
    "denied_security_stability": "不予公开·危及“三安全一稳定”",
    "denied_third_party": "不予公开·保护第三方合法权益",
    "denied_internal_affairs": "不予公开·属于三类内部事务信息",
    "denied_process_info": "不予公开·属于四类过程性信息",
    "denied_enforcement_file": "不予公开·属于行政执法案卷",
    "denied_query_matter": "不予公开·属于行政查询事项",
    "unavailable_not_held": "无法提供·本机关不掌握相关政府信息",
    "unavailable_needs_creation": "无法提供·没有现成信息需要另行制作",
    "unavailable_unclear": "无法提供·补正后申请内容仍不明确",
    "rejected_petition": "不予处理·信访举报投诉类申请",
    "rejected_duplicate": "不予处理·重复申请",
    "rejected_publication": "不予处理·要求提供公开出版物",
    "rejected_excessive": "不予处理·无正当理由大量反复申请",
    "rejected_confirmation": "不予处理·要求行政机关确认或重新出具已获取信息",
    "other": "其他处理（2019年模板）",
    "other_no_correction": "其他处理·申请人无正当理由逾期不补正（2021年模板）",
    "other_unpaid_fee": "其他处理·申请人逾期未缴纳费用（2021年模板）",
    "other_other": "其他处理·其他（2021年模板）",
    "total": "总计",
    "carried_forward": "结转下年度继续办理",
}
COLUMN_LABELS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_org": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他法人或组织",
    "total": "总计",
}
GROUP_LABELS = {
    "review": "行政复议",
    "suit_direct": "未经复议直接起诉",
    "suit_after_review": "复议后起诉",
}
OUTCOME_LABELS = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}
PROACTIVE_ROW_LABELS = {
    "rules": "规章",
    "normative_docs": "规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "penalty": "行政处罚",
    "enforcement": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
# The 2021 template's own wording of a 表二 row label.
PROACTIVE_ROW_LABELS_2021 = {**PROACTIVE_ROW_LABELS, "normative_docs": "行政规范性文件"}


def proactive_row_label(row: str, template: str | None) -> str:
    """A template 表二 row's label as the report's template prints it."""
    return (PROACTIVE_ROW_LABELS_2021 if template == "2021" else PROACTIVE_ROW_LABELS)[row]


def proactive_layout(template: str | None) -> tuple[str, ...]:
    """The 表二 rows of a template; every row for a report of neither (hybrid, pre2019)."""
    if template == "2019":
        return tuple(PROACTIVE_2019)
    if template == "2021":
        return tuple(PROACTIVE_2021)
    return tuple(PROACTIVE_ITEMS)


PROACTIVE_METRIC_LABELS = {
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_count": "上一年项目数量",
    "change": "本年增/减",
    "decisions": "处理决定数量",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "projects": "采购项目数量",
    "amount": "金额",
}
PROACTIVE_METRIC_EN = {
    "made": "made this year (2019 template)",
    "published": "newly published this year (2019 template)",
    "total_published": "total published (2019 template)",
    "prev_count": "items the previous year (2019 template)",
    "change": "change this year (2019 template)",
    "decisions": "decisions made",
    "issued": "issued this year (2021 template)",
    "repealed": "repealed this year (2021 template)",
    "in_force": "in force (2021 template)",
    "projects": "procurement projects (2019 template)",
}
SECTION_HEADINGS = {
    "overview": "总体情况",
    "proactive": "主动公开政府信息情况",
    "requests": "收到和处理政府信息公开申请情况",
    "review_litigation": "政府信息公开行政复议、行政诉讼情况",
    "problems": "存在的主要问题及改进情况",
    "other": "其他需要报告的事项",
}


def request_column(row: str, column: str) -> str:
    """The wide ``requests`` column for one 表三 cell, e.g. ``new_received__total``."""
    return f"{row}__{column}"


def review_column(group: str, outcome: str) -> str:
    """The wide ``review_litigation`` column for one 表四 cell, e.g. ``review__corrected``."""
    return f"{group}__{outcome}"


REQUEST_VALUE_COLUMNS = tuple(
    C(
        request_column(row, col),
        "INTEGER",
        f"Table 3 · {row} · {col}",
        f"表三 · {REQUEST_ROW_LABELS[row]} · {COLUMN_LABELS[col]}",
    )
    for row in REQUEST_ROW_KEYS
    for col in COLUMNS
)
REVIEW_VALUE_COLUMNS = tuple(
    C(
        review_column(group, outcome),
        "INTEGER",
        f"Table 4 · {group} · {outcome}",
        f"表四 · {GROUP_LABELS[group]} · {OUTCOME_LABELS[outcome]}",
    )
    for group in GROUPS
    for outcome in OUTCOMES
)


def proactive_column(row: str, field: str) -> str:
    """The wide ``proactive`` column for one 表二 value, e.g. ``licensing__decisions``
    (``field``: a metric, or ``amount_text``/``amount_unit``/``amount_yuan``)."""
    return f"{row}__{field}"


# Per 表二 row key, its metrics in either template (2019's order, then 2021's).
PROACTIVE_METRICS: dict[str, tuple[str, ...]] = {
    row: tuple(dict.fromkeys((*PROACTIVE_2019.get(row, ()), *PROACTIVE_2021.get(row, ()))))
    for row in PROACTIVE_ITEMS
}
# An amount is stored as printed, its unit and in yuan.
AMOUNT_FIELDS = (
    ("amount_text", "TEXT", "amount as printed", "金额（原文）"),
    ("amount_unit", "TEXT", "amount's unit found (元, 万元)", "金额单位"),
    ("amount_yuan", "REAL", "amount in yuan (NULL when the unit is unknown)", "金额（元）"),
)


def proactive_fields(row: str) -> tuple[tuple[str, str, str, str], ...]:
    """(field, type, English, Chinese) of each wide column of one 表二 row."""
    out: list[tuple[str, str, str, str]] = []
    for metric in PROACTIVE_METRICS[row]:
        if metric in MONEY_METRICS:
            out.extend(AMOUNT_FIELDS)
        else:
            en = PROACTIVE_METRIC_EN[metric]
            out.append((metric, "INTEGER", en, PROACTIVE_METRIC_LABELS[metric]))
    return tuple(out)


PROACTIVE_VALUE_COLUMNS = tuple(
    C(
        proactive_column(row, field),
        kind,
        f"Table 2 · {row} · {en}",
        f"表二 · {PROACTIVE_ROW_LABELS[row]} · {zh}",
    )
    for row in PROACTIVE_ITEMS
    for field, kind, en, zh in proactive_fields(row)
)

# Columns every per-report table repeats, so facets and filters need no join.
REPORT_CONTEXT = (
    C("report_id", "TEXT", "The report (reports.id)", "报告"),
    C("body_id", "TEXT", "The publishing body (bodies.id)", "发布机关编号"),
    C("body_name", "TEXT", "The publishing body's name", "发布机关"),
    C("year", "INTEGER", "Report year (the year reported on)", "报告年度"),
    C("province", "TEXT", "Province (全国 for national bodies)", "省份"),
    C("level", "TEXT", "Administrative level of the body", "层级"),
    C("template", "TEXT", "Template: 2019, 2021, hybrid or pre2019", "模板"),
)
# Facets and filters people use: a year first, then a province, level or template.
# Year-first pairs make "facet by X within a year" a covering range scan; the
# X-first pairs serve the unfiltered facets and filters on X alone. A year, a
# province and a level together (the county bureaus of one province) are one
# seek: counting them read ~20k rows (60 ms at 700k) through (year, level).
# That index ends with the table's key (``context_indexes``), so their page in
# the default order (year, ties by key) reads only its rows.
CONTEXT_INDEXES: tuple[tuple[str, ...], ...] = (
    ("year", "level"),
    ("year", "template"),
    ("province", "year"),
    ("level", "year"),
    ("template", "year"),
    ("body_id", "year"),
)


def context_indexes(key: str) -> tuple[tuple[str, ...], ...]:
    """``CONTEXT_INDEXES`` and (year, province, level, ``key``) for a table keyed by ``key``."""
    return (("year", "province", "level", key), *CONTEXT_INDEXES)


SOURCES = Table(
    "sources",
    "Portals the crawler collects from (crawler/sources/*.yml)",
    "采集来源网站",
    ("id",),
    (
        C("id", "TEXT", "Source id (pinyin, file stem of its YAML)", "来源编号"),
        C("name", "TEXT", "Official name of the portal's body", "网站主办机关"),
        C("level", "TEXT", "national, province, city, county, township or department", "层级"),
        C("division_code", "TEXT", "6-digit administrative division code", "行政区划代码"),
        C("province", "TEXT", "Province", "省份"),
        C("start_url", "TEXT", "Where the crawl starts", "起始网址"),
        C("family", "TEXT", "CMS family the spider handles it as", "网站系统类型"),
    ),
    indexes=(("province",), ("level",)),
    label_column="name",
)

BODIES = Table(
    "bodies",
    "Bodies that publish annual reports (one per province and normalised name)",
    "发布年度报告的机关",
    ("id",),
    (
        C(
            "id",
            "TEXT",
            "Body id, stable across builds (hash of province and normalised name)",
            "机关编号",
        ),
        C("name", "TEXT", "Name as printed (normalised spacing and brackets)", "机关名称"),
        C("level", "TEXT", "national, province, city, county, township or department", "层级"),
        C("province", "TEXT", "Province (全国 for national bodies)", "省份"),
        C(
            "division_code",
            "TEXT",
            "Division code of the portal the body was found on",
            "行政区划代码",
        ),
        C("source_id", "TEXT", "Portal it was found on", "来源网站"),
        C("reports", "INTEGER", "Number of reports archived", "已归档报告数"),
        C("first_year", "INTEGER", "Earliest report year", "最早年度"),
        C("last_year", "INTEGER", "Latest report year", "最近年度"),
    ),
    indexes=(("province", "level"), ("level",), ("source_id",)),
    foreign_keys=(("source_id", "sources", "id"),),
    label_column="name",
)

DOCUMENTS = Table(
    "documents",
    "Every archived document (one per SHA-256 of its bytes) and how parsing went",
    "归档文件及解析结果",
    ("sha256",),
    (
        C(
            "sha256",
            "TEXT",
            "SHA-256 of the bytes; the archived copy is raw/<sha256[:2]>/<sha256>",
            "文件哈希",
        ),
        C(
            "format",
            "TEXT",
            "Sniffed format: html, pdf, docx, doc, wps, xlsx, xls, image, text",
            "格式",
        ),
        C("size", "INTEGER", "Size in bytes", "字节数"),
        C("content_type", "TEXT", "Content-Type it was served with", "内容类型"),
        C("name", "TEXT", "File name (for documents added from a folder)", "文件名"),
        C("url", "TEXT", "First URL it was fetched from", "原始网址"),
        C("source_id", "TEXT", "Portal it was fetched from", "来源网站"),
        C("fetched_at", "TEXT", "First fetch time (ISO 8601, UTC)", "首次抓取时间"),
        C("captures", "INTEGER", "Number of captures with these bytes", "抓取次数"),
        C("parse_status", "TEXT", "parsed or failed", "解析状态"),
        C("error_type", "TEXT", "Error class when parsing failed", "错误类型"),
        C("error", "TEXT", "Error message when parsing failed", "错误信息"),
        C("parser_version", "TEXT", "Parser version that produced the result", "解析器版本"),
        C("title", "TEXT", "Title found in the document", "标题"),
        C("organization", "TEXT", "Body named by the document (or its page)", "发布机关"),
        C("year", "INTEGER", "Report year found", "报告年度"),
        C("template", "TEXT", "Template recognised", "模板"),
        C("report_id", "TEXT", "The report this document belongs to", "所属报告"),
        C(
            "chosen",
            "INTEGER",
            "1 if it is the document the report's numbers come from",
            "是否采用",
        ),
        C("cells", "INTEGER", "Table cells read", "单元格数"),
        C("warnings", "INTEGER", "Parser warnings", "警告数"),
        C("checks_failing", "INTEGER", "Consistency checks failing", "未通过校验数"),
    ),
    indexes=(("parse_status",), ("format",), ("report_id",), ("source_id",)),
    foreign_keys=(("report_id", "reports", "id"), ("source_id", "sources", "id")),
    label_column="title",
)

CAPTURES = Table(
    "captures",
    "Every fetch of a report page or attachment (provenance from the crawler's ledger)",
    "抓取记录",
    ("id",),
    (
        C("id", "INTEGER", "Capture id in the crawl ledger", "抓取编号"),
        C("run_id", "TEXT", "Crawl run", "抓取批次"),
        C("source_id", "TEXT", "Portal", "来源网站"),
        C("url", "TEXT", "URL requested", "请求网址"),
        C("final_url", "TEXT", "URL after redirects", "最终网址"),
        C("status", "INTEGER", "HTTP status", "HTTP状态码"),
        C("fetched_at", "TEXT", "Fetch time (ISO 8601, UTC)", "抓取时间"),
        C("sha256", "TEXT", "Bytes received (documents.sha256)", "文件哈希"),
        C("size", "INTEGER", "Size in bytes", "字节数"),
        C("content_type", "TEXT", "Content-Type header", "内容类型"),
        C("declared_encoding", "TEXT", "Encoding the page declared", "声明编码"),
        C("used_encoding", "TEXT", "Encoding used to decode it", "实际编码"),
        C("kind", "TEXT", "list, report, attachment, robots or other", "类型"),
        C("parent_url", "TEXT", "Page the link was found on", "来源页面"),
        C("title", "TEXT", "Page or link title", "标题"),
        C(
            "change",
            "TEXT",
            "new, changed, unchanged, not_modified, gone, failed or blocked",
            "变化",
        ),
        C("error", "TEXT", "Fetch error, if any", "错误"),
    ),
    indexes=(("sha256",), ("source_id",), ("kind",)),
    foreign_keys=(("source_id", "sources", "id"),),
)

REPORTS = Table(
    "reports",
    "Annual reports: one per body and year, with headline numbers",
    "政府信息公开工作年度报告",
    ("id",),
    (
        C("id", "TEXT", "Report id: <body id>-<year>", "报告编号"),
        C("body_id", "TEXT", "Publishing body", "发布机关编号"),
        C("body_name", "TEXT", "Publishing body's name", "发布机关"),
        C("year", "INTEGER", "Report year (the year reported on)", "报告年度"),
        C("province", "TEXT", "Province (全国 for national bodies)", "省份"),
        C("level", "TEXT", "Administrative level of the body", "层级"),
        C("division_code", "TEXT", "Division code", "行政区划代码"),
        C("template", "TEXT", "Template: 2019, 2021, hybrid or pre2019", "模板"),
        C("title", "TEXT", "Title", "标题"),
        C("url", "TEXT", "Original URL of the chosen document", "原文网址"),
        C("page_url", "TEXT", "The portal page the report was published on", "发布页面"),
        C("document_sha256", "TEXT", "Chosen document (our archived copy)", "采用文件"),
        C("document_format", "TEXT", "Format of the chosen document", "采用文件格式"),
        C(
            "documents",
            "INTEGER",
            "Documents found for this report (page, attachments)",
            "相关文件数",
        ),
        C("sections", "INTEGER", "Sections found (of 6)", "章节数"),
        C("new_requests", "INTEGER", "表三 new requests received (total column)", "本年新收申请数"),
        C("carried_over", "INTEGER", "表三 requests carried over from last year", "上年结转申请数"),
        C("processed", "INTEGER", "表三 （七）总计: requests handled", "办理总数"),
        C("granted", "INTEGER", "表三 （一）予以公开", "予以公开"),
        C("partially_granted", "INTEGER", "表三 （二）部分公开", "部分公开"),
        C("denied", "INTEGER", "表三 （三）不予公开, all reasons", "不予公开"),
        C("unavailable", "INTEGER", "表三 （四）无法提供, all reasons", "无法提供"),
        C("rejected", "INTEGER", "表三 （五）不予处理, all reasons", "不予处理"),
        C("other_handling", "INTEGER", "表三 （六）其他处理", "其他处理"),
        C("carried_forward", "INTEGER", "表三 结转下年度继续办理", "结转下年度"),
        C(
            "denied_share",
            "REAL",
            "denied / processed (NULL when nothing was processed)",
            "不予公开占比",
        ),
        C("reviews", "INTEGER", "表四 行政复议 total", "行政复议总数"),
        C("reviews_corrected", "INTEGER", "表四 行政复议 结果纠正", "复议纠正数"),
        C("suits", "INTEGER", "表四 行政诉讼 total (direct + after review)", "行政诉讼总数"),
        C("suits_corrected", "INTEGER", "表四 行政诉讼 结果纠正", "诉讼纠正数"),
        C("checks_failing", "TEXT", "Failing consistency checks, comma-separated", "未通过的校验"),
        C("checks_failing_count", "INTEGER", "Number of failing checks", "未通过校验数"),
        C("warnings", "INTEGER", "Parser warnings", "警告数"),
    ),
    # "Top N in a year" (canned queries, sorted table pages): year first, then the measure.
    indexes=(
        *context_indexes("id"),
        ("year", "new_requests"),
        ("year", "processed"),
        ("year", "denied_share"),
        ("year", "suits"),
        ("new_requests",),
        ("denied_share",),
        ("checks_failing_count", "year"),
        # A year's reports in the order the failure lists print them (reports_failing_checks).
        ("year", "province", "body_name"),
        # The table's default sort (year, newest first) in the order its pages follow:
        # ties by key (datasette/plugins/sorted_paging.py), so a page reads only its rows.
        ("year DESC", "id"),
    ),
    unique_indexes=(),
    foreign_keys=(("body_id", "bodies", "id"), ("document_sha256", "documents", "sha256")),
    label_column="title",
)

REQUESTS = Table(
    "requests",
    "表三 as one row per report: 26 rows × 7 applicant columns, named <row>__<column>",
    "表三 收到和处理政府信息公开申请情况（每份报告一行）",
    ("report_id",),
    (*REPORT_CONTEXT, *REQUEST_VALUE_COLUMNS),
    indexes=(
        *context_indexes("report_id"),
        ("new_received__total",),
        ("total__total",),
        ("year DESC", "report_id"),  # the default sort, ties by key (as on reports)
    ),
    foreign_keys=(("report_id", "reports", "id"), ("body_id", "bodies", "id")),
)

REVIEW_LITIGATION = Table(
    "review_litigation",
    "表四 as one row per report: 3 groups × 5 outcomes, named <group>__<outcome>",
    "表四 行政复议、行政诉讼情况（每份报告一行）",
    ("report_id",),
    (*REPORT_CONTEXT, *REVIEW_VALUE_COLUMNS),
    indexes=(
        *context_indexes("report_id"),
        ("year DESC", "report_id"),  # the default sort, ties by key (as on reports)
    ),
    foreign_keys=(("report_id", "reports", "id"), ("body_id", "bodies", "id")),
)

PROACTIVE = Table(
    "proactive",
    "表二 as one row per report: each template row's metrics, named <row>__<metric>",
    "表二 主动公开政府信息情况（每份报告一行）",
    ("report_id",),
    (
        *REPORT_CONTEXT,
        C(
            "missing_rows",
            "TEXT",
            "Rows of the report's template (all 8 for hybrid and pre2019) not in this row's "
            "columns, comma-separated: not printed, or kept in proactive_other_rows "
            "(NULL: every row is here)",
            "不在本行的模板行（未印出，或见 proactive_other_rows）",
        ),
        C(
            "printed_labels",
            "TEXT",
            'Row labels the report prints otherwise than its template, as JSON {"row": "label"} '
            "(NULL: the template's own)",
            "与模板不同的行标签（JSON）",
        ),
        *PROACTIVE_VALUE_COLUMNS,
    ),
    indexes=(
        *context_indexes("report_id"),
        ("year DESC", "report_id"),  # the default sort, ties by key (as on reports)
    ),
    foreign_keys=(("report_id", "reports", "id"), ("body_id", "bodies", "id")),
)

# The long form's value columns (``proactive_other_rows``, ``proactive_long``): every
# metric of either template, the amount as its three fields last. The parse cache's
# 表二 rows hold their values in this order (``archive.rows``).
PROACTIVE_LONG_FIELDS: dict[str, tuple[str, str, str]] = {
    **{
        metric: ("INTEGER", PROACTIVE_METRIC_EN[metric], label)
        for metric, label in PROACTIVE_METRIC_LABELS.items()
        if metric not in MONEY_METRICS
    },
    **{field: (kind, en, zh) for field, kind, en, zh in AMOUNT_FIELDS},
}

PROACTIVE_OTHER_ROWS = Table(
    "proactive_other_rows",
    "表二 rows the wide table cannot hold, with their printed labels: rows a body adds under "
    "a template row (other_services/行政检查), and template rows printed with another "
    "label, a metric their row lacks, twice, or outside the report's template",
    "表二 其他行（机关自行增加的子项等，保留原标签）",
    ("report_id", "row_key"),
    (
        *REPORT_CONTEXT,
        C("row_key", "TEXT", "Row key (other_services/<label> for a body's sub-row)", "行"),
        C("base_row", "TEXT", "Template row key without the sub-row", "模板行"),
        C("label", "TEXT", "Row label as printed", "信息内容"),
        C("item", "TEXT", "Article 20 item", "第二十条项"),
        *(C(field, kind, en, zh) for field, (kind, en, zh) in PROACTIVE_LONG_FIELDS.items()),
    ),
    indexes=(
        ("year", "base_row"),
        ("base_row",),
        ("year DESC", "report_id", "row_key"),  # the default sort, ties by key
    ),
    foreign_keys=(("report_id", "reports", "id"),),
)

CELLS = Table(
    "cells",
    "Table cells whose printed text is more than the plain value (units, separators, "
    "full-width digits, dashes, absent cells, page or OCR provenance); every other cell "
    "printed exactly its value, as in the wide tables",
    "原文与数值写法不同的表格单元格（其余单元格原文即数值本身）",
    ("report_id", "table_key", "row_key", "column_key"),
    (
        C("report_id", "TEXT", "The report", "报告"),
        C(
            "table_key",
            "TEXT",
            "proactive (表二), requests (表三) or review_litigation (表四)",
            "表",
        ),
        C("row_key", "TEXT", "Row key", "行"),
        C("column_key", "TEXT", "Column (metric or outcome) key", "列"),
        C("text", "TEXT", "Printed text ('' when blank, NULL when absent)", "原文"),
        C("value", "REAL", "Value read (NULL when blank: never 0)", "数值"),
        C("unit", "TEXT", "Unit found", "单位"),
        C("page", "INTEGER", "Page of the document", "页码"),
        C("confidence", "REAL", "OCR confidence", "识别置信度"),
    ),
    foreign_keys=(("report_id", "reports", "id"),),
    without_rowid=True,
)

SECTIONS = Table(
    "sections",
    "The six text sections of each report",
    "报告正文章节",
    ("id",),
    (
        C("id", "INTEGER", "Section row id", "编号"),
        *REPORT_CONTEXT,
        C(
            "section",
            "TEXT",
            "Section key: overview, proactive, requests, review_litigation, problems, other",
            "章节",
        ),
        C("heading", "TEXT", "The template's heading for the section", "章节标题"),
        C("text", "TEXT", "Section text", "正文"),
        C("chars", "INTEGER", "Length in characters", "字数"),
    ),
    # By report: the unique (report_id, section) index below.
    indexes=(
        ("year", "section"),
        ("section", "year"),
        ("year", "province"),
        ("province", "year"),
        ("level", "year"),
    ),
    unique_indexes=(("report_id", "section"),),
    foreign_keys=(("report_id", "reports", "id"),),
)

FAILED_CHECKS = Table(
    "failed_checks",
    "Consistency checks (勾稽关系) a report fails; the report is archived all the same",
    "未通过的勾稽关系校验",
    ("id",),
    (
        C("id", "INTEGER", "Row id", "编号"),
        *REPORT_CONTEXT,
        C(
            "check_id",
            "TEXT",
            "T3_BALANCE, T3_TOTAL, T3_COLUMNS, T4_TOTAL, T2_CHANGE, X_CARRY",
            "校验",
        ),
        C("scope", "TEXT", "Column, row or group checked", "范围"),
        C("expected", "REAL", "Value the rule expects", "应为"),
        C("actual", "REAL", "Value printed", "实为"),
        C("severity", "TEXT", "error or warning", "严重程度"),
    ),
    indexes=(("report_id",), ("check_id", "year"), ("province", "year")),
    foreign_keys=(("report_id", "reports", "id"),),
)

WARNINGS = Table(
    "warnings",
    "Anything odd a parser saw in a document and did not silently absorb",
    "解析警告",
    ("id",),
    (
        C("id", "INTEGER", "Row id", "编号"),
        C("document_sha256", "TEXT", "Document", "文件"),
        C("report_id", "TEXT", "Report the document belongs to", "报告"),
        C("code", "TEXT", "Warning code", "警告代码"),
        C("message", "TEXT", "Message", "说明"),
        C("table_key", "TEXT", "Table concerned", "表"),
        C("row_key", "TEXT", "Row concerned", "行"),
    ),
    indexes=(("document_sha256",), ("report_id",), ("code",)),
    foreign_keys=(("document_sha256", "documents", "sha256"), ("report_id", "reports", "id")),
)

EXTRA_FACTS = Table(
    "extra_facts",
    "Rows bodies added outside the template, kept with their own labels",
    "模板外的附加数据",
    ("id",),
    (
        C("id", "INTEGER", "Row id", "编号"),
        C("report_id", "TEXT", "The report", "报告"),
        C("label", "TEXT", "Label as printed", "名称"),
        C("value", "REAL", "Value", "数值"),
    ),
    indexes=(("report_id",), ("label",)),
    foreign_keys=(("report_id", "reports", "id"),),
)

SUMMARY_COLUMNS = (
    C("reports", "INTEGER", "Reports", "报告数"),
    C("bodies", "INTEGER", "Bodies with a report", "机关数"),
    C("new_requests", "INTEGER", "New requests received", "本年新收申请数"),
    C("processed", "INTEGER", "Requests handled", "办理总数"),
    C("granted", "INTEGER", "Granted", "予以公开"),
    C("partially_granted", "INTEGER", "Partially granted", "部分公开"),
    C("denied", "INTEGER", "Denied", "不予公开"),
    C("unavailable", "INTEGER", "Unavailable", "无法提供"),
    C("rejected", "INTEGER", "Not processed", "不予处理"),
    C("denied_share", "REAL", "denied / processed", "不予公开占比"),
    C("reviews", "INTEGER", "Administrative reviews", "行政复议总数"),
    C("reviews_corrected", "INTEGER", "Reviews with result corrected", "复议纠正数"),
    C("suits", "INTEGER", "Lawsuits", "行政诉讼总数"),
    C("suits_corrected", "INTEGER", "Lawsuits with result corrected", "诉讼纠正数"),
    C(
        "reports_failing_checks",
        "INTEGER",
        "Reports failing a consistency check",
        "未通过校验的报告数",
    ),
)
SUMMARY_GROUPINGS: dict[str, tuple[str, ...]] = {
    "summary_year": ("year",),
    "summary_province_year": ("province", "year"),
    "summary_level_year": ("level", "year"),
    "summary_province_level_year": ("province", "level", "year"),
}
_GROUP_COLUMNS = {
    "year": C("year", "INTEGER", "Report year", "报告年度"),
    "province": C("province", "TEXT", "Province", "省份"),
    "level": C("level", "TEXT", "Administrative level", "层级"),
}
SUMMARIES = tuple(
    Table(
        name,
        f"Totals by {', '.join(keys)}, computed at build time",
        "按" + "、".join(_GROUP_COLUMNS[k].zh for k in keys) + "汇总",
        keys,
        (*(_GROUP_COLUMNS[k] for k in keys), *SUMMARY_COLUMNS),
    )
    for name, keys in SUMMARY_GROUPINGS.items()
)

BUILD_INFO = Table(
    "build_info",
    "How and when this database was built",
    "构建信息",
    ("key",),
    (C("key", "TEXT", "Key", "项"), C("value", "TEXT", "Value", "值")),
)

TABLES: tuple[Table, ...] = (
    SOURCES,
    BODIES,
    DOCUMENTS,
    CAPTURES,
    REPORTS,
    REQUESTS,
    REVIEW_LITIGATION,
    PROACTIVE,
    PROACTIVE_OTHER_ROWS,
    CELLS,
    SECTIONS,
    FAILED_CHECKS,
    WARNINGS,
    EXTRA_FACTS,
    *SUMMARIES,
    BUILD_INFO,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}

FTS: tuple[FtsIndex, ...] = (
    FtsIndex(
        "sections_fts",
        "sections",
        ("text",),
        "Bigram search index over section texts (use with ?_search= on sections)",
        "章节正文全文检索（二元切分）",
    ),
    FtsIndex(
        "reports_fts",
        "reports",
        ("title", "body_name"),
        "Bigram search index over report titles and body names (?_search= on reports)",
        "报告标题与机关名称全文检索（二元切分）",
    ),
)


def _requests_long_sql() -> str:
    selects = []
    for row in REQUEST_ROW_KEYS:
        cols = ", ".join(f"{request_column(row, c)} AS {c}" for c in COLUMNS)
        selects.append(
            f"SELECT report_id, body_id, body_name, year, province, level, template, "
            f"'{row}' AS row_key, {cols} FROM requests"
        )
    return "\nUNION ALL\n".join(selects)


def _proactive_long_sql() -> str:
    """Each template row held in the wide table (its template's rows but ``missing_rows``,
    labelled as printed), then ``proactive_other_rows``; every metric column in each,
    NULL where absent."""
    context = "report_id, body_id, body_name, year, province, level, template"
    selects = []
    for row, item in PROACTIVE_ITEMS.items():
        own = {field for field, *_ in proactive_fields(row)}
        values = ", ".join(
            (proactive_column(row, f) if f in own else "NULL") + f" AS {f}"
            for f in PROACTIVE_LONG_FIELDS
        )
        label = f"'{PROACTIVE_ROW_LABELS[row]}'"
        if PROACTIVE_ROW_LABELS_2021[row] != PROACTIVE_ROW_LABELS[row]:
            label = f"CASE template WHEN '2021' THEN '{PROACTIVE_ROW_LABELS_2021[row]}' ELSE {label} END"
        label_sql = f"coalesce(json_extract(printed_labels, '$.{row}'), {label})"
        lacking = [t for t in ("2019", "2021") if row not in proactive_layout(t)]
        held = f"instr(',' || coalesce(missing_rows, '') || ',', ',{row},') = 0"
        if lacking:
            held = (
                f"coalesce(template, '') NOT IN ({', '.join(repr(t) for t in lacking)}) AND {held}"
            )
        selects.append(
            f"SELECT {context}, '{row}' AS row_key, '{row}' AS base_row, {label_sql} AS label, "
            f"'{item}' AS item, {values} FROM proactive WHERE {held}"
        )
    selects.append(
        f"SELECT {context}, row_key, base_row, label, item, "
        f"{', '.join(PROACTIVE_LONG_FIELDS)} FROM proactive_other_rows"
    )
    return "\nUNION ALL\n".join(selects)


def _review_long_sql() -> str:
    selects = []
    for group in GROUPS:
        cols = ", ".join(f"{review_column(group, o)} AS {o}" for o in OUTCOMES)
        selects.append(
            f"SELECT report_id, body_id, body_name, year, province, level, template, "
            f"'{group}' AS group_key, {cols} FROM review_litigation"
        )
    return "\nUNION ALL\n".join(selects)


VIEWS: tuple[View, ...] = (
    View(
        "requests_long",
        "表三 in long form: one row per report and row key, the 7 applicant columns typed",
        "表三（长表）：每份报告每行一条",
        _requests_long_sql(),
    ),
    View(
        "proactive_long",
        "表二 in long form: one row per report and 表二 row (template rows, then a body's own "
        "rows from proactive_other_rows), every metric typed",
        "表二（长表）：每份报告每行一条",
        _proactive_long_sql(),
    ),
    View(
        "review_litigation_long",
        "表四 in long form: one row per report and group (review, suit_direct, suit_after_review)",
        "表四（长表）：每份报告每类一条",
        _review_long_sql(),
    ),
    View(
        "default_year",
        "The year the canned queries and charts show when none is asked: the newest year "
        "with at least half as many reports as the best-covered year (the newest year is "
        "often still being published)",
        "默认年度：报告数不少于最多年度一半的最近年度（最新年度往往尚未发布完毕）",
        "SELECT year FROM summary_year "
        "WHERE reports * 2 >= (SELECT max(reports) FROM summary_year) "
        "ORDER BY year DESC LIMIT 1",
        (C("year", "INTEGER", "Default year", "默认年度"),),
    ),
    View(
        "parse_failures",
        "Documents no parser could read, with the error and where they came from",
        "解析失败的文件",
        "SELECT sha256, format, size, url, name, source_id, fetched_at, error_type, error, "
        "parser_version FROM documents WHERE parse_status = 'failed'",
    ),
)


def column_descriptions(lang: str = "both") -> dict[str, dict[str, str]]:
    """Per table and view, column → description (``zh``, ``en`` or ``both`` as "中文 · English")."""
    out: dict[str, dict[str, str]] = {}
    for table in TABLES:
        out[table.name] = {c.name: _describe(c, lang) for c in table.columns}
    return out


def _describe(column: Column, lang: str) -> str:
    if lang == "zh":
        return column.zh
    if lang == "en":
        return column.en
    return f"{column.zh} · {column.en}"


def create_table_sql(table: Table, schema_name: str | None = None) -> str:
    """The CREATE TABLE statement for one table (primary and foreign keys included),
    in the attached database ``schema_name`` if given."""
    lines = [f"  [{c.name}] {c.type}" for c in table.columns]
    lines.append("  PRIMARY KEY (" + ", ".join(f"[{k}]" for k in table.pk) + ")")
    for column, other, other_column in table.foreign_keys:
        lines.append(f"  FOREIGN KEY ([{column}]) REFERENCES [{other}]([{other_column}])")
    suffix = " WITHOUT ROWID" if table.without_rowid else ""
    name = f"[{schema_name}].[{table.name}]" if schema_name else f"[{table.name}]"
    return f"CREATE TABLE {name} (\n" + ",\n".join(lines) + f"\n){suffix}"


def create_index_sql(table: Table, schema_name: str | None = None) -> list[str]:
    """CREATE INDEX statements (run after the bulk load: faster than maintaining them),
    in the attached database ``schema_name`` if given (SQLite puts an index whose name
    is not qualified in ``main``, wherever its table is)."""
    prefix = f"[{schema_name}]." if schema_name else ""
    statements = []
    for unique, groups in ((False, table.indexes), (True, table.unique_indexes)):
        for cols in groups:
            # "year DESC": a column the index keeps in descending order.
            name = f"idx_{table.name}_{'_'.join(c.replace(' DESC', '_desc') for c in cols)}"
            kind = "UNIQUE INDEX" if unique else "INDEX"
            statements.append(
                f"CREATE {kind} {prefix}[{name}] ON [{table.name}] ("
                + ", ".join(
                    f"[{c.removesuffix(' DESC')}]" + (" DESC" if c.endswith(" DESC") else "")
                    for c in cols
                )
                + ")"
            )
    return statements


def create_fts_sql(fts: FtsIndex) -> str:
    """A contentless FTS5 table; its rows are bigram strings (see archive/bigram.py)."""
    cols = ", ".join(fts.columns)
    return f"CREATE VIRTUAL TABLE [{fts.name}] USING fts5({cols}, content='', columnsize=0, tokenize='ascii')"


def create_terms_sql(fts: FtsIndex) -> list[str]:
    """Fill ``fts.terms_table``: each token of the index, and the number of rows holding it.

    A search of one token (a two-character word, a Latin word) is then counted
    by one lookup, not by walking its doclist (``archive/fts_count.py``). Read
    from the finished index through ``fts5vocab``; the table's name starts
    with the FTS table's, so Datasette hides it with the index.
    """
    vocab = f"{fts.name}_vocab"
    return [
        f"CREATE TABLE [{fts.terms_table}] (term TEXT PRIMARY KEY, rows INTEGER NOT NULL)"
        " WITHOUT ROWID",
        f"CREATE VIRTUAL TABLE temp.[{vocab}] USING fts5vocab(main, [{fts.name}], row)",
        f"INSERT INTO [{fts.terms_table}] SELECT term, doc FROM temp.[{vocab}]",
        f"DROP TABLE temp.[{vocab}]",
    ]


def create_view_sql(view: View) -> str:
    return f"CREATE VIEW [{view.name}] AS\n{view.sql}"
