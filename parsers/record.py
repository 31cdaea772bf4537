"""The report record: what a parser returns, and its JSON shape.

``Report.to_json()`` gives the shape of the gold files in
``tests/fixtures/seeds/*.gold.json`` (same top-level keys and value conventions)
plus the parser's own keys: ``title``, ``checks``, ``checks_failing``,
``warnings``, ``section_texts`` and ``cells`` (every table cell with its printed
text and provenance, one entry per cell: the long form the archive build loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Number = int | float


@dataclass
class DocumentMeta:
    """What is known about a document from where it was found (all optional)."""

    name: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    page_title: str | None = None
    organization: str | None = None
    year: int | None = None


@dataclass(slots=True)
class Cell:
    """One table cell: its printed text and the value read from it.

    ``text`` is what the document printed (``None`` when the cell is absent,
    ``""`` when present but blank); ``value`` is ``None`` for a blank cell and is
    never invented. ``unit`` is the unit found in the cell or its column header.
    ``page`` and ``confidence`` are provenance for paged and OCR'd formats.
    """

    text: str | None = None
    value: Number | None = None
    unit: str | None = None
    page: int | None = None
    confidence: float | None = None

    @property
    def yuan(self) -> Number | None:
        """The amount in yuan, when the unit is known (or the amount is zero)."""
        if self.value is None:
            return None
        if self.value == 0:
            return 0
        factor = {"元": 1, "万元": 10_000, "亿元": 100_000_000}.get(self.unit or "")
        if factor is None:
            return None
        return as_number(self.value * factor)


@dataclass
class ProactiveRow:
    """A row of 表二: ``key`` (``other_services/行政检查`` for a body's sub-row)."""

    key: str
    label: str
    item: str | None
    cells: dict[str, Cell]


@dataclass
class ExtraFact:
    """A row a body added outside the template, kept with its own label."""

    label: str
    value: Number | None
    text: str
    table: str | None = None
    values: list[Cell] | None = None


@dataclass
class Check:
    """One consistency check (勾稽关系) on one scope (a column, row or group)."""

    id: str
    scope: str
    expected: Number | None
    actual: Number | None
    passed: bool
    severity: str = "error"  # "error" or "warning" (T2_CHANGE, X_IN_FORCE)
    rule: str = ""


@dataclass
class Warning:
    """Anything odd the parser saw and did not silently absorb."""

    code: str
    message: str
    table: str | None = None
    row: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.table:
            out["table"] = self.table
        if self.row:
            out["row"] = self.row
        return out


@dataclass
class Report:
    """A normalised annual report."""

    document: str | None = None
    format: str = "text"
    title: str | None = None
    organization: str | None = None
    organization_source: str | None = None  # "title", "meta", "page", or None
    year: int | None = None
    year_source: str | None = None
    template: str | None = None  # "2019", "2021", "hybrid", "pre2019" or None
    proactive_template: str | None = None
    requests_template: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    proactive: list[ProactiveRow] = field(default_factory=list)
    requests: dict[str, list[Cell]] = field(default_factory=dict)
    review_litigation: dict[str, list[Cell]] = field(default_factory=dict)
    extra: list[ExtraFact] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    tables_found: dict[str, bool] = field(default_factory=dict)

    def warn(
        self, code: str, message: str, table: str | None = None, row: str | None = None
    ) -> None:
        self.warnings.append(Warning(code, message, table, row))

    @property
    def checks_failing(self) -> list[str]:
        return sorted({c.id for c in self.checks if not c.passed})

    def to_json(self) -> dict[str, Any]:
        """The record in the gold files' shape, plus the parser's own keys."""
        from parsers.template import COLUMNS, OUTCOMES, money_metric

        proactive = []
        for row in self.proactive:
            values: dict[str, Any] = {}
            for metric, cell in row.cells.items():
                if money_metric(metric):
                    values[metric] = (
                        None
                        if cell.text is None or cell.text.strip() == ""
                        else {"text": cell.text.strip(), "unit": cell.unit, "yuan": cell.yuan}
                    )
                else:
                    values[metric] = cell.value
            proactive.append({"key": row.key, "label": row.label, "values": values})

        cells: list[dict[str, Any]] = []
        for row in self.proactive:
            for metric, cell in row.cells.items():
                cells.append(_cell_json("proactive", row.key, metric, cell))
        for key, row_cells in self.requests.items():
            for column, cell in zip(COLUMNS, row_cells, strict=True):
                cells.append(_cell_json("requests", key, column, cell))
        for group, group_cells in self.review_litigation.items():
            for outcome, cell in zip(OUTCOMES, group_cells, strict=True):
                cells.append(_cell_json("review_litigation", group, outcome, cell))

        return {
            "document": self.document,
            "format": self.format,
            "title": self.title,
            "organization": self.organization,
            "organization_source": self.organization_source,
            "year": self.year,
            "year_source": self.year_source,
            "template": self.template,
            "sections": list(self.sections),
            "proactive": proactive,
            "requests": {k: [c.value for c in v] for k, v in self.requests.items()},
            "review_litigation": {
                k: [c.value for c in v] for k, v in self.review_litigation.items()
            },
            "extra": [{"label": e.label, "value": e.value} for e in self.extra],
            "checks_failing": self.checks_failing,
            "checks": [
                {
                    "id": c.id,
                    "scope": c.scope,
                    "expected": c.expected,
                    "actual": c.actual,
                    "passed": c.passed,
                    "severity": c.severity,
                }
                for c in self.checks
            ],
            "warnings": [w.to_json() for w in self.warnings],
            "section_texts": dict(self.sections),
            "cells": cells,
        }


def _cell_json(table: str, row: str, column: str, cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {
        "table": table,
        "row": row,
        "column": column,
        "text": cell.text,
        "value": cell.value,
    }
    if cell.unit:
        out["unit"] = cell.unit
    if cell.page is not None:
        out["page"] = cell.page
    if cell.confidence is not None:
        out["confidence"] = cell.confidence
    return out


def as_number(value: float) -> Number:
    """An int when the value is integral, else a float rounded to 6 places."""
    if float(value).is_integer():
        return int(value)
    return round(float(value), 6)
