"""The report page: one annual report with its three tables as the template prints them.

The row page of ``reports`` (``/archive/reports/<id>``, where every link to a
report already leads) is rendered by ``templates/row-archive-reports.html`` with
the variables this plugin adds: 表二 in its Article 20 item blocks, 表三 with
the template's nested row labels (rowspans computed from the label paths
below), 表四 as one row of fifteen cells, the failing consistency checks with
the cells they concern highlighted, the six sections, extra rows, and links to
the original URL and our archived copies (``/-/archived/<sha256>``).

``/-/report/<id>.json`` returns the same report in the project's report-spec
shape (the gold files' shape: ``requests`` as 7-value lists, ``review_litigation``
as 5-value lists, ``None`` for a blank cell).

Every query binds its parameters; the report id comes from the URL only as a
bound value.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.utils.asgi import NotFound, Response

from archive.schema import (
    COLUMN_LABELS,
    GROUP_LABELS,
    OUTCOME_LABELS,
    PROACTIVE_METRIC_LABELS,
    PROACTIVE_ROW_LABELS,
    SECTION_HEADINGS,
    request_column,
    review_column,
)
from parsers.template import (
    COLUMNS,
    GROUPS,
    OUTCOMES,
    PROACTIVE_2019,
    PROACTIVE_2021,
    PROACTIVE_ITEMS,
    REQUEST_ROW_KEYS,
    REQUEST_ROWS_2019,
    REQUEST_ROWS_2021,
    SECTIONS,
)

RESULTS = "三、本年度办理结果"
DENIED = "（三）不予公开"
UNAVAILABLE = "（四）无法提供"
REJECTED = "（五）不予处理"
OTHER = "（六）其他处理"
# 表三's row labels as the template prints them: the path of nested label cells.
REQUEST_LABELS: dict[str, tuple[str, ...]] = {
    "new_received": ("一、本年新收政府信息公开申请数量",),
    "carried_over": ("二、上年结转政府信息公开申请数量",),
    "granted": (RESULTS, "（一）予以公开"),
    "partially_granted": (RESULTS, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied_state_secret": (RESULTS, DENIED, "1.属于国家秘密"),
    "denied_law_prohibited": (RESULTS, DENIED, "2.其他法律行政法规禁止公开"),
    "denied_security_stability": (RESULTS, DENIED, "3.危及“三安全一稳定”"),
    "denied_third_party": (RESULTS, DENIED, "4.保护第三方合法权益"),
    "denied_internal_affairs": (RESULTS, DENIED, "5.属于三类内部事务信息"),
    "denied_process_info": (RESULTS, DENIED, "6.属于四类过程性信息"),
    "denied_enforcement_file": (RESULTS, DENIED, "7.属于行政执法案卷"),
    "denied_query_matter": (RESULTS, DENIED, "8.属于行政查询事项"),
    "unavailable_not_held": (RESULTS, UNAVAILABLE, "1.本机关不掌握相关政府信息"),
    "unavailable_needs_creation": (RESULTS, UNAVAILABLE, "2.没有现成信息需要另行制作"),
    "unavailable_unclear": (RESULTS, UNAVAILABLE, "3.补正后申请内容仍不明确"),
    "rejected_petition": (RESULTS, REJECTED, "1.信访举报投诉类申请"),
    "rejected_duplicate": (RESULTS, REJECTED, "2.重复申请"),
    "rejected_publication": (RESULTS, REJECTED, "3.要求提供公开出版物"),
    "rejected_excessive": (RESULTS, REJECTED, "4.无正当理由大量反复申请"),
    "rejected_confirmation": (RESULTS, REJECTED, "5.要求行政机关确认或重新出具已获取信息"),
    "other": (RESULTS, OTHER),
    "other_no_correction": (
        RESULTS,
        OTHER,
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    "other_unpaid_fee": (
        RESULTS,
        OTHER,
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    "other_other": (RESULTS, OTHER, "3.其他"),
    "total": (RESULTS, "（七）总计"),
    "carried_forward": ("四、结转下年度继续办理",),
}
LABEL_DEPTH = 3
# 表二 labels as the archive schema names them; the 2019 template heads its amount
# column 采购总金额 (the 2021 one's is in METRIC_LABELS_2021).
PROACTIVE_LABELS = PROACTIVE_ROW_LABELS
METRIC_LABELS = {**PROACTIVE_METRIC_LABELS, "amount": "采购总金额"}
METRIC_LABELS_2021 = {"decisions": "本年处理决定数量", "amount": "本年收费金额（单位：万元）"}
CHECK_RULES = {
    "T3_BALANCE": "新收 + 上年结转 = 总计 + 结转下年度（每列）",
    "T3_TOTAL": "总计 = 各项办理结果之和（每列）",
    "T3_COLUMNS": "总计列 = 六类申请人之和（每行）",
    "T4_TOTAL": "总计 = 维持 + 纠正 + 其他 + 尚未审结（每类）",
    "T2_CHANGE": "上一年项目数量 + 本年增/减 = 处理决定数量（提示）",
    "X_CARRY": "上年结转 = 上一年报告的结转下年度",
    "X_IN_FORCE": "现行有效件数 = 上年现行有效 + 本年制发 − 本年废止（提示）",
}


def _number(value: Any) -> Any:
    """SQLite REAL values that are whole numbers as ints (the spec's convention)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _one(rows: Any) -> dict[str, Any] | None:
    row = rows.first()
    return dict(row) if row is not None else None


def _template_rows(
    template: str | None, present: dict[str, list[Any]], printed: set[str]
) -> list[str]:
    """表三's row keys in print order: the template's, else the rows the report printed."""
    if template == "2019":
        return list(REQUEST_ROWS_2019)
    if template == "2021":
        return list(REQUEST_ROWS_2021)
    return [
        k
        for k in REQUEST_ROW_KEYS
        if k in printed or any(v is not None for v in present.get(k, []))
    ]


def _proactive_metrics(template: str | None, row: dict[str, Any]) -> tuple[str, ...]:
    base = row["base_row"] or row["row_key"].split("/", 1)[0]
    if template in ("2019", "2021"):
        layout = PROACTIVE_2019 if template == "2019" else PROACTIVE_2021
        if base in layout:
            return layout[base]

    def filled(metrics: tuple[str, ...]) -> int:
        return sum(
            1 for m in metrics if row.get("amount_text" if m == "amount" else m) not in (None, "")
        )

    options = [layout[base] for layout in (PROACTIVE_2019, PROACTIVE_2021) if base in layout]
    return max(options, key=filled) if options else ()


def _proactive_value(row: dict[str, Any], metric: str) -> Any:
    if metric == "amount":
        text = (row.get("amount_text") or "").strip()
        if not text:
            return None
        return {
            "text": text,
            "unit": row.get("amount_unit"),
            "yuan": _number(row.get("amount_yuan")),
        }
    return _number(row.get(metric))


async def load_report(db: Any, report_id: str) -> dict[str, Any] | None:
    """Everything the report page shows, read from the published database."""
    report = _one(await db.execute("select * from reports where id = :id", {"id": report_id}))
    if report is None:
        return None
    params = {"id": report_id}
    wide_requests = _one(await db.execute("select * from requests where report_id = :id", params))
    wide_review = _one(
        await db.execute("select * from review_litigation where report_id = :id", params)
    )
    # 表二's rows in long form: the wide row's template rows and the report's own rows.
    proactive = [
        dict(r)
        for r in await db.execute("select * from proactive_long where report_id = :id", params)
    ]
    printed = {
        (r["table_key"], r["row_key"], r["column_key"]): r["text"]
        for r in await db.execute(
            "select table_key, row_key, column_key, text from cells where report_id = :id",
            params,
        )
    }
    checks = [
        dict(r)
        for r in await db.execute(
            "select check_id, scope, expected, actual, severity from failed_checks "
            "where report_id = :id order by check_id, scope",
            params,
        )
    ]
    sections = {
        r["section"]: r["text"]
        for r in await db.execute(
            "select section, text from sections where report_id = :id", params
        )
    }
    extra = [
        {"label": r["label"], "value": _number(r["value"])}
        for r in await db.execute(
            "select label, value from extra_facts where report_id = :id order by id", params
        )
    ]
    documents = [
        dict(r)
        for r in await db.execute(
            "select sha256, format, url, name, fetched_at, parse_status, chosen "
            "from documents where report_id = :id or sha256 = :sha "
            "order by chosen desc, fetched_at",
            {"id": report_id, "sha": report.get("document_sha256")},
        )
    ]
    other_years = [
        dict(r)
        for r in await db.execute(
            "select id, year from reports where body_id = :body order by year",
            {"body": report.get("body_id")},
        )
    ]
    warnings = [
        dict(r)
        for r in await db.execute(
            "select code, message, table_key, row_key from warnings "
            "where document_sha256 = :sha order by id limit 200",
            {"sha": report.get("document_sha256")},
        )
    ]
    requests: dict[str, list[Any]] = {}
    if wide_requests:
        for key in REQUEST_ROW_KEYS:
            values = [_number(wide_requests.get(request_column(key, c))) for c in COLUMNS]
            requests[key] = values
        printed_rows = {row for table, row, _ in printed if table == "requests"}
        keys = _template_rows(report.get("template"), requests, printed_rows)
        requests = {k: requests[k] for k in keys}
    review: dict[str, list[Any]] = {}
    if wide_review:
        review = {
            g: [_number(wide_review.get(review_column(g, o))) for o in OUTCOMES] for g in GROUPS
        }
    order = list(PROACTIVE_ITEMS)
    proactive.sort(
        key=lambda r: (
            order.index(r["base_row"]) if r["base_row"] in order else len(order),
            r["row_key"] != r["base_row"],
            r["row_key"],
        )
    )
    return {
        "report": report,
        "requests": requests,
        "review_litigation": review,
        "proactive": proactive,
        "printed": printed,
        "checks": checks,
        "sections": sections,
        "extra": extra,
        "documents": documents,
        "warnings": warnings,
        "years": other_years,
    }


def report_spec(data: dict[str, Any]) -> dict[str, Any]:
    """The report in the project's report-spec shape (the gold files' shape)."""
    report = data["report"]
    template = report.get("template")
    proactive = []
    for row in data["proactive"]:
        metrics = _proactive_metrics(template, row)
        proactive.append(
            {
                "key": row["row_key"],
                "label": row["label"],
                "values": {m: _proactive_value(row, m) for m in metrics},
            }
        )
    return {
        "id": report["id"],
        "organization": report.get("body_name"),
        "year": report.get("year"),
        "template": template,
        "title": report.get("title"),
        "url": report.get("url"),
        "document_sha256": report.get("document_sha256"),
        "section_texts": {k: data["sections"][k] for k in SECTIONS if k in data["sections"]},
        "proactive": proactive,
        "requests": data["requests"],
        "review_litigation": data["review_litigation"],
        "extra": data["extra"],
        "checks_failing": sorted({c["check_id"] for c in data["checks"]}),
    }


def _failing_cells(checks: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Cell id (``table/row/column``) → the checks that concern it."""
    cells: dict[str, list[str]] = {}

    def mark(cell: str, check: str) -> None:
        cells.setdefault(cell, []).append(check)

    for check in checks:
        kind, _, target = (check.get("scope") or "").partition(":")
        cid = check["check_id"]
        if cid == "T3_BALANCE" and kind == "column":
            for row in ("new_received", "carried_over", "total", "carried_forward"):
                mark(f"requests/{row}/{target}", cid)
        elif cid == "T3_TOTAL" and kind == "column":
            mark(f"requests/total/{target}", cid)
        elif cid == "T3_COLUMNS" and kind == "row":
            mark(f"requests/{target}/total", cid)
        elif cid == "T4_TOTAL" and kind == "group":
            mark(f"review_litigation/{target}/total", cid)
        elif cid == "T2_CHANGE" and kind == "row":
            mark(f"proactive/{target}/decisions", cid)
        elif cid == "X_CARRY":
            mark(f"requests/carried_over/{target or 'total'}", cid)
        elif cid == "X_IN_FORCE" and kind == "row":
            mark(f"proactive/{target}/in_force", cid)
    return cells


def _cell(table: str, row: str, column: str, value: Any, data: dict[str, Any]) -> dict[str, Any]:
    cell_id = f"{table}/{row}/{column}"
    printed = data["printed"].get((table, row, column))
    if isinstance(value, dict):  # money: show the printed amount
        shown = value["text"]
    elif value is None:
        shown = ""
    else:
        shown = str(value)
    return {
        "id": cell_id,
        "value": shown,
        "blank": value is None,
        "printed": printed if printed is not None and printed.strip() != shown else None,
        "failing": data["failing"].get(cell_id, []),
    }


def _label_rows(keys: list[str]) -> list[list[dict[str, Any]]]:
    """Label cells per 表三 row, with rowspan/colspan for the nested labels."""
    paths = [REQUEST_LABELS.get(k, (k,)) for k in keys]
    rows: list[list[dict[str, Any]]] = []
    for i, path in enumerate(paths):
        cells = []
        for level, label in enumerate(path):
            if i > 0 and paths[i - 1][: level + 1] == path[: level + 1]:
                continue  # covered by the rowspan of a cell above
            span = 1
            while i + span < len(paths) and paths[i + span][: level + 1] == path[: level + 1]:
                span += 1
            last = level == len(path) - 1
            cells.append(
                {
                    "label": label,
                    "rowspan": span,
                    "colspan": LABEL_DEPTH - level if last else 1,
                }
            )
        rows.append(cells)
    return rows


def page_context(data: dict[str, Any]) -> dict[str, Any]:
    """What ``row-archive-reports.html`` renders."""
    report = data["report"]
    template = report.get("template")
    data["failing"] = _failing_cells(data["checks"])
    spec = report_spec(data)

    request_keys = list(data["requests"])
    request_rows = [
        {
            "key": key,
            "labels": labels,
            "cells": [
                _cell("requests", key, column, value, data)
                for column, value in zip(COLUMNS, data["requests"][key], strict=True)
            ],
        }
        for key, labels in zip(request_keys, _label_rows(request_keys), strict=True)
    ]
    review_cells = [
        _cell("review_litigation", group, outcome, value, data)
        for group, values in data["review_litigation"].items()
        for outcome, value in zip(OUTCOMES, values, strict=True)
    ]

    blocks: list[dict[str, Any]] = []
    metric_labels = {**METRIC_LABELS, **(METRIC_LABELS_2021 if template == "2021" else {})}
    for row, spec_row in zip(data["proactive"], spec["proactive"], strict=True):
        item = row.get("item") or PROACTIVE_ITEMS.get(row["base_row"] or "", "")
        metrics = tuple(spec_row["values"])
        if not blocks or blocks[-1]["item"] != item or blocks[-1]["metrics"] != metrics:
            blocks.append(
                {
                    "item": item,
                    "metrics": metrics,
                    "headers": [metric_labels.get(m, m) for m in metrics],
                    "rows": [],
                }
            )
        blocks[-1]["rows"].append(
            {
                "label": row["label"] or PROACTIVE_LABELS.get(row["base_row"], row["row_key"]),
                "cells": [
                    _cell("proactive", row["row_key"], m, spec_row["values"][m], data)
                    for m in metrics
                ],
            }
        )

    return {
        "xxgk_report": {
            "report": report,
            "spec": spec,
            "request_rows": request_rows,
            "has_requests": bool(request_rows),
            "review_cells": review_cells,
            "review_groups": [GROUP_LABELS[g] for g in data["review_litigation"]],
            "outcome_labels": [OUTCOME_LABELS[o] for o in OUTCOMES],
            "column_labels": [COLUMN_LABELS[c] for c in COLUMNS],
            "proactive_blocks": blocks,
            "checks": [
                {
                    **c,
                    "expected": _number(c["expected"]),
                    "actual": _number(c["actual"]),
                    "rule": CHECK_RULES.get(c["check_id"], ""),
                }
                for c in data["checks"]
            ],
            "sections": [
                {"key": k, "heading": SECTION_HEADINGS[k], "text": data["sections"][k]}
                for k in SECTIONS
                if k in data["sections"]
            ],
            "extra": data["extra"],
            "documents": data["documents"],
            "warnings": data["warnings"],
            "years": data["years"],
        }
    }


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):  # type: ignore[no-untyped-def]
    if view_name != "row" or table != "reports" or request is None:
        return {}

    async def inner() -> dict[str, Any]:
        pk_values = urlsafe_components(request.url_vars["pks"])
        data = await load_report(datasette.get_database(database), pk_values[0])
        return page_context(data) if data else {}

    return inner


async def report_json(request, datasette):  # type: ignore[no-untyped-def]
    report_id = request.url_vars["report_id"]
    data = await load_report(datasette.get_database("archive"), report_id)
    if data is None:
        raise NotFound("No report with this id")
    return Response.json(report_spec(data), headers={"Access-Control-Allow-Origin": "*"})


@hookimpl
def register_routes():  # type: ignore[no-untyped-def]
    return [(r"^/-/report/(?P<report_id>[^/]+)\.json$", report_json)]
