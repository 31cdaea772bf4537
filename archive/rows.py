"""One report record (``Report.to_json()`` shape) → the rows of the published tables.

Pure functions, no database, in two steps: ``prepare`` does the work that
depends only on the record (sums, the cells worth keeping, failing checks, the
narrative's contradictions) and ``prepare_sections`` the section rows with
their bigram text for search; both are cached with the parse result, in two
parts, because the build's two processes each read one (the search process
the sections, which are most of the bytes). ``assemble`` adds
the report's context (id, body, region, provenance) and returns plain tuples in
the column order of ``archive/schema.py``, ready for ``executemany``. Blank cells stay NULL (never 0); sums treat NULL as 0 but are
NULL when every cell summed is blank.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import lz4.frame

from archive import bigram, narrative, schema
from parsers.template import COLUMNS, GROUPS, OUTCOMES, PROACTIVE_ITEMS, REQUEST_ROW_KEYS

Row = tuple[Any, ...]

_TOTAL = COLUMNS.index("total")
_REQUEST_COLUMNS = tuple(c.name for c in schema.REQUEST_VALUE_COLUMNS)
_OUTCOME_TOTAL = OUTCOMES.index("total")
_CORRECTED = OUTCOMES.index("corrected")
_DENIED = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("denied_"))
_UNAVAILABLE = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("unavailable_"))
_REJECTED = tuple(k for k in REQUEST_ROW_KEYS if k.startswith("rejected_"))
_OTHER = ("other", "other_no_correction", "other_unpaid_fee", "other_other")
# A 表二 row in the parse cache: (row key, base row, label, item, *the long fields).
_PROACTIVE_METRICS = tuple(f for f in schema.PROACTIVE_LONG_FIELDS if not f.startswith("amount_"))
_PROACTIVE_FIELD_AT = {field: 4 + i for i, field in enumerate(schema.PROACTIVE_LONG_FIELDS)}


class _WideSlots(NamedTuple):
    """Where one template row's values go in the wide ``proactive`` row."""

    start: int  # its first column among the value columns
    inside: tuple[int, ...]  # the cached row's indexes of its wide columns, in order
    outside: tuple[int, ...]  # the cached row's indexes of fields its row has no column for


def _wide_slots() -> dict[str, _WideSlots]:
    slots = {}
    start = 0
    for row in PROACTIVE_ITEMS:
        own = [field for field, *_ in schema.proactive_fields(row)]
        slots[row] = _WideSlots(
            start,
            tuple(_PROACTIVE_FIELD_AT[f] for f in own),
            tuple(i for f, i in _PROACTIVE_FIELD_AT.items() if f not in own),
        )
        start += len(own)
    return slots


_PROACTIVE_SLOTS = _wide_slots()
_PROACTIVE_WIDTH = len(schema.PROACTIVE_VALUE_COLUMNS)


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
    """The rows one report contributes, per table."""

    report: Row
    requests: Row | None
    review_litigation: Row | None
    proactive: Row | None = None
    proactive_other_rows: list[Row] = field(default_factory=list)
    cells: list[Row] = field(default_factory=list)
    failed_checks: list[Row] = field(default_factory=list)
    extra_facts: list[Row] = field(default_factory=list)
    narrative: list[Row] = field(default_factory=list)  # cross_checks rows (X_NARRATIVE)


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


# Bump when ``Prepared``'s layout or content changes: cached preparations are then redone.
PREPARED_VERSION = "5"

# One ``sections`` row before its context: (section, heading, text, bigram index text).
SectionRow = tuple[str, str, str, str]

# The same row as the parse cache stores it and the search process inserts it:
# (section, heading, text as UTF-8, its length in characters, index text as UTF-8).
# Bytes bind to SQLite without being decoded into Python strings and encoded
# back (``search_writer`` casts the text to TEXT; FTS5 reads bytes as text).
StoredSection = tuple[str, str, bytes, int, bytes]


@dataclass
class Prepared:
    """A report's rows without who and where (cacheable per document and parser version).

    Tuples only (``marshal``-able): the build prepends the report's context.
    """

    title: str | None
    numbers: Row  # the reports columns from ``sections`` to ``checks_failing_count``
    requests: Row | None
    review_litigation: Row | None
    proactive: list[Row]
    cells: list[Row]  # without report_id
    failed_checks: list[Row]  # (check_id, scope, expected, actual, severity)
    extra_facts: list[Row]  # (label, value)
    warnings: list[Row]  # (code, message, table, row)
    narrative: list[Row]  # (column, printed, stated, sentence): ``archive.narrative``

    def dump(self) -> bytes:
        return lz4.frame.compress(marshal.dumps(astuple_shallow(self)))

    @classmethod
    def load(cls, blob: bytes) -> Prepared:
        return cls(*marshal.loads(lz4.frame.decompress(blob)))


def astuple_shallow(prepared: Prepared) -> tuple[Any, ...]:
    return tuple(getattr(prepared, f.name) for f in fields(prepared))


def prepare_sections(record: dict[str, Any]) -> list[SectionRow]:
    """The report's ``sections`` rows (in template order) with the bigram text FTS5 indexes."""
    texts: dict[str, str] = record.get("section_texts") or {}
    return [
        (key, heading, texts[key], bigram.index_text(texts[key]))
        for key, heading in schema.SECTION_HEADINGS.items()
        if texts.get(key)
    ]


def dump_sections(sections: list[SectionRow]) -> bytes:
    """The sections as the parse cache keeps them: ``StoredSection`` tuples, compressed.

    LZ4, not zlib: written once, decompressed by every build, in the search process,
    which is the longer of the build's two. The bigram text makes a report's sections
    ~13 KB; decompressing 40k reports' took 1.59 CPU-s with zlib (level 6) and 0.26
    with LZ4 (0.2–1.6 with zstd levels 1–9), ~24 s less at 700k reports, for a
    cache 1.5× as large (187 MB against 125 for those 40k).
    """
    stored = [
        (key, heading, text.encode(), len(text), index.encode())
        for key, heading, text, index in sections
    ]
    return lz4.frame.compress(marshal.dumps(stored))


def unpack_sections(blob: bytes) -> bytes:
    """``dump_sections``'s output decompressed: what the search process reads (``read_stored``)."""
    return lz4.frame.decompress(blob)


def read_stored(unpacked: bytes) -> list[StoredSection]:
    stored: list[StoredSection] = marshal.loads(unpacked)
    return stored


def load_sections(blob: bytes) -> list[SectionRow]:
    """``dump_sections``'s output as ``SectionRow`` strings again."""
    return [
        (key, heading, text.decode(), index.decode())
        for key, heading, text, _, index in read_stored(unpack_sections(blob))
    ]


def prepare(record: dict[str, Any]) -> Prepared:
    """Everything of a report record the build writes that does not depend on its context."""
    requests: dict[str, Sequence[Any]] = record.get("requests") or {}
    review: dict[str, Sequence[Any]] = record.get("review_litigation") or {}
    processed = _cell(requests, "total", _TOTAL)
    denied = _sum(_cell(requests, k, _TOTAL) for k in _DENIED)
    failing = list(record.get("checks_failing") or [])
    sections_text: dict[str, str] = record.get("section_texts") or {}
    numbers = (
        sum(1 for key in schema.SECTION_HEADINGS if sections_text.get(key)),
        _cell(requests, "new_received", _TOTAL),
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
        _cell(review, "review", _OUTCOME_TOTAL),
        _cell(review, "review", _CORRECTED),
        _sum(_cell(review, g, _OUTCOME_TOTAL) for g in ("suit_direct", "suit_after_review")),
        _sum(_cell(review, g, _CORRECTED) for g in ("suit_direct", "suit_after_review")),
        ",".join(failing) or None,
        len(failing),
    )
    cells = [
        (
            cell.get("table"),
            cell.get("row"),
            cell.get("column"),
            cell.get("text"),
            cell.get("value"),
            cell.get("unit"),
            cell.get("page"),
            cell.get("confidence"),
        )
        for cell in record.get("cells") or []
        if not printed_as_value(cell)
    ]
    checks = record.get("checks")
    if checks is not None:
        failed = [
            (
                c.get("id"),
                c.get("scope"),
                c.get("expected"),
                c.get("actual"),
                c.get("severity", "error"),
            )
            for c in checks
            if not c.get("passed", True)
        ]
    else:  # a record that lists failing check ids only (the gold shape)
        failed = [(check_id, None, None, None, "error") for check_id in failing]
    wide_requests = _wide(requests, REQUEST_ROW_KEYS, len(COLUMNS)) if requests else None
    printed = narrative.printed_totals(_REQUEST_COLUMNS, wide_requests) if wide_requests else None
    return Prepared(
        title=record.get("title"),
        numbers=numbers,
        requests=wide_requests,
        review_litigation=_wide(review, GROUPS, len(OUTCOMES)) if review else None,
        proactive=[_proactive_values(entry) for entry in record.get("proactive") or []],
        cells=cells,
        failed_checks=failed,
        extra_facts=[(e.get("label"), e.get("value")) for e in record.get("extra") or []],
        warnings=[
            (w.get("code"), w.get("message"), w.get("table"), w.get("row"))
            for w in record.get("warnings") or []
        ],
        # Only a report with a 表三 is checked against its text (as the table is what it states).
        narrative=narrative.contradictions(sections_text, printed) if printed is not None else [],
    )


def assemble(prepared: Prepared, ctx: ReportContext, prov: Provenance) -> ReportRows:
    """The rows of one report: its prepared rows with its context."""
    context = ctx.values()
    report = (
        ctx.report_id,
        ctx.body_id,
        ctx.body_name,
        ctx.year,
        ctx.province,
        ctx.level,
        ctx.division_code,
        ctx.template,
        prepared.title,
        prov.url,
        prov.page_url,
        prov.document_sha256,
        prov.document_format,
        prov.documents,
        *prepared.numbers,
        prov.warnings,
    )
    rid = (ctx.report_id,)
    proactive, other_rows = proactive_wide(prepared.proactive, ctx.template)
    return ReportRows(
        report=report,
        requests=context + tuple(prepared.requests) if prepared.requests else None,
        review_litigation=(
            context + tuple(prepared.review_litigation) if prepared.review_litigation else None
        ),
        proactive=context + proactive if proactive is not None else None,
        proactive_other_rows=[context + tuple(p) for p in other_rows],
        cells=[rid + tuple(c) for c in prepared.cells],
        failed_checks=[context + tuple(c) for c in prepared.failed_checks],
        extra_facts=[rid + tuple(e) for e in prepared.extra_facts],
        narrative=[
            (
                "X_NARRATIVE",
                ctx.report_id,
                ctx.report_id,
                *context[1:6],
                column,
                printed,
                stated,
                "error",
                sentence,
            )
            for column, printed, stated, sentence in prepared.narrative
        ],  # fmt: skip
    )


def proactive_wide(rows: Sequence[Row], template: str | None) -> tuple[Row | None, list[Row]]:
    """A report's 表二 rows (as cached) as its wide ``proactive`` values (``missing_rows``
    and ``printed_labels`` first; None without a 表二), and the rows for
    ``proactive_other_rows``.

    The wide row holds each row of the report's template (``schema.proactive_layout``)
    printed with only the metrics its columns have, once; a label printed otherwise
    than the template's is noted in ``printed_labels``. Every other row is kept whole,
    with its printed label, in the other rows: a body's own sub-rows, and template rows
    with a foreign metric, printed twice or outside the template. ``missing_rows`` names
    the template's rows the wide row does not hold, so the long form is the printed table.
    """
    if not rows:
        return None, []
    layout = schema.proactive_layout(template)
    values: list[Any] = [None] * _PROACTIVE_WIDTH
    held: set[str] = set()
    labels: dict[str, str] = {}
    other: list[Row] = []
    for row in rows:
        key = row[0]
        slots = _PROACTIVE_SLOTS.get(key)
        if (
            slots is None
            or key in held
            or key not in layout
            or any(row[i] is not None for i in slots.outside)
        ):
            other.append(row)
            continue
        held.add(key)
        if row[2] != schema.proactive_row_label(key, template):
            labels[key] = row[2]
        start = slots.start
        for offset, i in enumerate(slots.inside):
            values[start + offset] = row[i]
    missing = ",".join(k for k in layout if k not in held) or None
    printed = json.dumps(labels, ensure_ascii=False) if labels else None
    return (missing, printed, *values), other


def report_rows(record: dict[str, Any], ctx: ReportContext, prov: Provenance) -> ReportRows:
    """All rows of one report, from its record (``Report.to_json()`` shape)."""
    return assemble(prepare(record), ctx, prov)


def printed_as_value(cell: dict[str, Any]) -> bool:
    """Whether a cell's printed text is just its value written plainly ("12"; "" for blank).

    Such cells are not repeated in the ``cells`` table: the wide tables hold the
    value, and the text is the value as written. Every other cell (units,
    separators, full-width digits, dashes, absent cells, page or OCR provenance)
    is kept there with its printed text.
    """
    text = cell.get("text")
    value = cell.get("value")
    if text is None or cell.get("unit") or cell.get("page") is not None:
        return False
    if cell.get("confidence") is not None:
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
