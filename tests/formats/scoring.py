"""Cell-by-cell scoring of a parsed record against its spec, with OCR confidence.

``score(got, spec)`` lists every table cell of the spec (表二 metrics, 表三, 表四)
with the parsed value and the parsed cell's confidence, and says whether a
wrong cell was flagged: by a low confidence, or by an identity (勾稽关系) that
fails in the parse but not in the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsers.ocr import REVIEW_CONFIDENCE
from parsers.template import COLUMNS, OUTCOMES


@dataclass
class CellScore:
    path: str
    expected: Any
    got: Any
    confidence: float | None

    @property
    def right(self) -> bool:
        """Equal values; an amount's printed text may differ in spacing only ("3400660 元")."""
        if isinstance(self.expected, dict) and isinstance(self.got, dict):

            def squeeze(value: dict[str, Any]) -> dict[str, Any]:
                return {**value, "text": "".join(str(value.get("text")).split())}

            return squeeze(self.expected) == squeeze(self.got)
        return self.expected == self.got


@dataclass
class Score:
    cells: list[CellScore]
    new_failing_checks: list[str]

    @property
    def wrong(self) -> list[CellScore]:
        return [c for c in self.cells if not c.right]

    @property
    def accuracy(self) -> float:
        return 1 - len(self.wrong) / len(self.cells)

    @property
    def silent(self) -> list[CellScore]:
        """Wrong cells that neither their confidence nor a failing identity flags."""
        if self.new_failing_checks:
            return []
        # a cell of a row the parser did not find has no confidence: it is not flagged
        return [c for c in self.wrong if c.confidence is None or c.confidence >= REVIEW_CONFIDENCE]


def score(got: dict[str, Any], spec: dict[str, Any]) -> Score:
    confidence = {
        (c["table"], c["row"], c["column"]): c.get("confidence") for c in got.get("cells", [])
    }
    cells: list[CellScore] = []
    parsed_rows = {r["key"]: r["values"] for r in got.get("proactive") or []}
    for row in spec["proactive"]:
        for metric, expected in row["values"].items():
            actual = parsed_rows.get(row["key"], {}).get(metric, "<missing>")
            conf = confidence.get(("proactive", row["key"], metric))
            cells.append(CellScore(f"proactive.{row['key']}.{metric}", expected, actual, conf))
    for table, names in (("requests", COLUMNS), ("review_litigation", OUTCOMES)):
        parsed = got.get(table) or {}
        for key, values in spec[table].items():
            actual_values = parsed.get(key) or ["<missing>"] * len(values)
            for i, expected in enumerate(values):
                actual = actual_values[i] if i < len(actual_values) else "<missing>"
                conf = confidence.get((table, key, names[i]))
                cells.append(CellScore(f"{table}.{key}[{i}]", expected, actual, conf))
    new_failing = sorted(set(got.get("checks_failing") or []) - set(spec["checks_failing"]))
    return Score(cells, new_failing)
