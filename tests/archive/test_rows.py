"""表二 in the wide shape: which cached rows go into ``proactive`` and which are kept aside."""

from __future__ import annotations

import json
from typing import Any

from archive import schema
from archive.rows import Provenance, ReportContext, proactive_wide, report_rows

FIELDS = list(schema.PROACTIVE_LONG_FIELDS)
WIDE = [c.name for c in schema.PROACTIVE.columns[len(schema.REPORT_CONTEXT) :]]


def cached(key: str, label: str, **values: Any) -> tuple[Any, ...]:
    """A 表二 row as the parse cache holds it."""
    base = key.split("/", 1)[0]
    return (key, base, label, "（五）", *(values.get(f) for f in FIELDS))


def as_dict(wide: tuple[Any, ...] | None) -> dict[str, Any]:
    assert wide is not None and len(wide) == len(WIDE)
    return dict(zip(WIDE, wide, strict=True))


def test_template_rows_fill_their_columns_and_the_rest_stay_null() -> None:
    wide, other = proactive_wide(
        [
            cached("licensing", "行政许可", decisions=120),
            cached(
                "fees",
                "行政事业性收费",
                amount_text="12.5",
                amount_unit="万元",
                amount_yuan=125000.0,
            ),
        ],
        "2021",
    )
    assert other == []
    values = as_dict(wide)
    assert values["licensing__decisions"] == 120
    assert values["fees__amount_text"] == "12.5"
    assert values["fees__amount_unit"] == "万元"
    assert values["fees__amount_yuan"] == 125000.0
    assert values["missing_rows"] == "rules,normative_docs,penalty,enforcement"
    assert values["printed_labels"] is None
    filled = {"licensing__decisions", "fees__amount_text", "fees__amount_unit", "fees__amount_yuan"}
    assert all(v is None for k, v in values.items() if k not in filled | {"missing_rows"})


def test_a_label_printed_otherwise_is_kept_beside_the_values() -> None:
    wide, other = proactive_wide(
        [cached("normative_docs", "规范性文件", issued=2, repealed=0, in_force=30)], "2021"
    )
    values = as_dict(wide)
    assert other == []
    assert values["normative_docs__in_force"] == 30
    assert json.loads(values["printed_labels"]) == {"normative_docs": "规范性文件"}


def test_rows_the_wide_shape_cannot_hold_are_kept_whole_aside() -> None:
    sub_row = cached("other_services/行政检查", "行政检查", prev_count=0, change=2, decisions=2)
    foreign = cached("rules", "规章", made=1, decisions=4)  # rules has no decisions column
    outside = cached("procurement", "政府集中采购", projects=3)  # not a 2021 row
    twice = cached("penalty", "行政处罚", decisions=1)
    wide, other = proactive_wide(
        [cached("penalty", "行政处罚", decisions=9), sub_row, foreign, outside, twice], "2021"
    )
    assert other == [sub_row, foreign, outside, twice]
    values = as_dict(wide)
    assert values["penalty__decisions"] == 9
    assert values["rules__made"] is None  # the foreign row is not split between the two tables
    assert values["missing_rows"] == "rules,normative_docs,licensing,enforcement,fees"


def test_a_report_of_neither_template_may_hold_every_row() -> None:
    rows = [cached(k, schema.PROACTIVE_ROW_LABELS[k]) for k in schema.PROACTIVE_ITEMS]
    wide, other = proactive_wide(rows, "hybrid")
    assert other == [] and as_dict(wide)["missing_rows"] is None


def test_a_report_without_a_table_two_has_no_proactive_row() -> None:
    assert proactive_wide([], "2019") == (None, [])


def test_the_assembled_rows_carry_the_reports_context() -> None:
    record = {
        "proactive": [
            {"key": "licensing", "label": "行政许可", "values": {"decisions": 5}},
            {"key": "other_services/行政确认", "label": "行政确认", "values": {"decisions": 1}},
        ]
    }
    context = ("b1-2024", "b1", "某局", 2024, "江西省", "county", "2019")
    rows = report_rows(
        record, ReportContext(*context), Provenance("0" * 64, "html", None, None, 1, 0)
    )
    assert rows.proactive is not None and rows.proactive[:7] == context
    assert len(rows.proactive) == len(schema.PROACTIVE.columns)
    assert as_dict(rows.proactive[7:])["licensing__decisions"] == 5
    [sub_row] = rows.proactive_other_rows
    assert sub_row[:9] == (*context, "other_services/行政确认", "other_services")
    assert len(sub_row) == len(schema.PROACTIVE_OTHER_ROWS.columns)
