"""One report record (``Report.to_json()`` shape) → the rows of the published tables.

Pure functions, no database: ``report_rows`` returns plain tuples in the column
order of ``archive/schema.py``, so the build can bulk-insert them with
``executemany``. Blank cells stay NULL (never 0); sums treat NULL as 0 but are
NULL when every cell summed is blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive import schema
from parsers.template import COLUMNS, GROUPS, OUTCOMES, PROACTIVE_ITEMS, REQUEST_ROW_KEYS

Row = tuple[Any, ...]

_TOTAL = COLUMNS.index("total")
_OUTCOME_TOTAL = OUTCOMES.index("total")
_CORRECTED = OUTCOMES.index("corrected")
_DENIED = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("denied_"))
_UNAVAILABLE = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("unavailable_"))
_REJECTED = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("rejected_"))
_OTHER = ("other", "other_no_correction", "other_unpaid_fee", "other_other")
_PROACTIVE_METRICS = (
    "made",
    "published",
    "total_published",
    "prev_count",
    "change",
    "decisions",
    "issued",
    "repealed",
    "in_force",
    "projects",
)


@dataclass
class ReportContext:
    """Who and when, repeated on every per-report row (``schema.REPORT_CONTEXT``)."""

    report_id: str
    body_id: str
    body_name: str
    year: int | None
    province: str | None
    level: str | None
    template: str | None
    division_code: str | None = None

    def values(self) -> Row:
        return (
            self.report_id,
            self.body_id,
            self.body_name,
            self.year,
            self.province,
            self.level,
            self.template,
        )


@dataclass
class ReportRows:
    """The rows one report contributes, per table (sections as (section, heading, text))."""

    report: Row
    requests: Row | None
    review_litigation: Row | None
    proactive: list[Row] = field(default_factory=list)
    cells: list[Row] = field(default_factory=list)
    sections: list[tuple[str, str, str]] = field(default_factory=list)
    failed_checks: list[Row] = field(default_factory=list)
    extra_facts: list[Row] = field(default_factory=list)


@dataclass
class Provenance:
    """Where the report's chosen document came from."""

    document_sha256: str
    document_format: str | None
    url: str | None
    page_url: str | None
    documents: int
    warnings: int


def _sum(values: Iterable[Any]) -> Any:
    """Sum treating NULL as 0; NULL when every value is NULL."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _cell(rows: dict[str, Sequence[Any]], key: str, index: int) -> Any:
    values = rows.get(key)
    if not values or index >= len(values):
        return None
    return values[index]


def report_rows(record: dict[str, Any], ctx: ReportContext, prov: Provenance) -> ReportRows:
    """All rows of one report, from its record (``Report.to_json()`` shape)."""
    requests: dict[str, Sequence[Any]] = record.get("requests") or {}
    review: dict[str, Sequence[Any]] = record.get("review_litigation") or {}
    context = ctx.values()

    new = _cell(requests, "new_received", _TOTAL)
    processed = _cell(requests, "total", _TOTAL)
    denied = _sum(_cell(requests, k, _TOTAL) for k in _DENIED)
    reviews = _cell(review, "review", _OUTCOME_TOTAL)
    suits = _sum(_cell(review, g, _OUTCOME_TOTAL) for g in ("suit_direct", "suit_after_review"))
    suits_corrected = _sum(
        _cell(review, g, _CORRECTED) for g in ("suit_direct", "suit_after_review")
    )
    failing = list(record.get("checks_failing") or [])
    sections_text: dict[str, str] = record.get("section_texts") or {}
    sections = [
        (key, schema.SECTION_HEADINGS[key], sections_text[key])
        for key in schema.SECTION_HEADINGS
        if sections_text.get(key)
    ]
    report = (
        ctx.report_id,
        ctx.body_id,
        ctx.body_name,
        ctx.year,
        ctx.province,
        ctx.level,
        ctx.division_code,
        ctx.template,
        record.get("title"),
        prov.url,
        prov.page_url,
        prov.document_sha256,
        prov.document_format,
        prov.documents,
        len(sections),
        new,
        _cell(requests, "carried_over", _TOTAL),
        processed,
        _cell(requests, "granted", _TOTAL),
        _cell(requests, "partially_granted", _TOTAL),
        denied,
        _sum(_cell(requests, k, _TOTAL) for k in _UNAVAILABLE),
        _sum(_cell(requests, k, _TOTAL) for k in _REJECTED),
        _sum(_cell(requests, k, _TOTAL) for k in _OTHER),
        _cell(requests, "carried_forward", _TOTAL),
        round(denied / processed, 6) if processed and denied is not None else None,
        reviews,
        _cell(review, "review", _CORRECTED),
        suits,
        suits_corrected,
        ",".join(failing) or None,
        len(failing),
        prov.warnings,
    )

    requests_row = context + _wide(requests, REQUEST_ROW_KEYS, len(COLUMNS)) if requests else None
    review_row = context + _wide(review, GROUPS, len(OUTCOMES)) if review else None

    rows = ReportRows(report, requests_row, review_row, sections=sections)
    for entry in record.get("proactive") or []:
        rows.proactive.append(context + _proactive_values(entry))
    for cell in record.get("cells") or []:
        if printed_as_value(cell):
            continue
        rows.cells.append(
            (
                ctx.report_id,
                cell.get("table"),
                cell.get("row"),
                cell.get("column"),
                cell.get("text"),
                cell.get("value"),
                cell.get("unit"),
                cell.get("page"),
                cell.get("confidence"),
            )
        )
    checks = record.get("checks")
    if checks is not None:
        for check in checks:
            if not check.get("passed", True):
                rows.failed_checks.append(
                    context
                    + (
                        check.get("id"),
                        check.get("scope"),
                        check.get("expected"),
                        check.get("actual"),
                        check.get("severity", "error"),
                    )
                )
    else:  # a record that lists failing check ids only (the gold shape)
        for check_id in failing:
            rows.failed_checks.append(context + (check_id, None, None, None, "error"))
    for extra in record.get("extra") or []:
        rows.extra_facts.append((ctx.report_id, extra.get("label"), extra.get("value")))
    return rows


def printed_as_value(cell: dict[str, Any]) -> bool:
    """Whether a cell's printed text is just its value written plainly ("12"; "" for blank).

    Such cells are not repeated in the ``cells`` table: the wide tables hold the
    value, and the text is the value as written. Every other cell (units,
    separators, full-width digits, dashes, absent cells, page or OCR provenance)
    is kept there with its printed text.
    """
    text = cell.get("text")
    value = cell.get("value")
    if text is None or any(cell.get(k) is not None for k in ("unit", "page", "confidence")):
        return False
    if value is None:
        return text.strip() == ""
    return text.strip() == str(value)


def _wide(rows: dict[str, Sequence[Any]], keys: Sequence[str], width: int) -> Row:
    """The values of ``keys`` (each ``width`` long; missing or malformed rows all NULL), flat."""
    blank = (None,) * width
    out: list[Any] = []
    for key in keys:
        values = rows.get(key)
        out.extend(values if values is not None and len(values) == width else blank)
    return tuple(out)


def _proactive_values(entry: dict[str, Any]) -> Row:
    key: str = entry.get("key") or ""
    base = key.split("/", 1)[0]
    values: dict[str, Any] = entry.get("values") or {}
    amount = values.get("amount")
    if isinstance(amount, dict):
        amount_text, amount_unit, amount_yuan = (
            amount.get("text"),
            amount.get("unit"),
            amount.get("yuan"),
        )
    else:
        amount_text, amount_unit, amount_yuan = None, None, amount
    return (
        key,
        base,
        entry.get("label"),
        PROACTIVE_ITEMS.get(base),
        *(values.get(m) for m in _PROACTIVE_METRICS),
        amount_text,
        amount_unit,
        amount_yuan,
    )
