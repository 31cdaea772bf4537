"""The spec's consistency checks (勾稽关系) on one report; blank cells count as 0.

Each check is evaluated per scope (a column, a row or a group) and recorded with
the expected and the actual value, passing or not: a report that breaks a rule
is archived all the same, with the failure published beside it.
"""

from __future__ import annotations

from parsers.record import Cell, Check, Number, Report, as_number
from parsers.template import CHECKS, COLUMNS, GROUPS, OUTCOME_ROWS


def _v(cell: Cell | None) -> Number:
    return cell.value if cell is not None and cell.value is not None else 0


def _printed(cells: list[Cell]) -> bool:
    return any(c.value is not None for c in cells)


def run_checks(report: Report) -> list[Check]:
    """Every within-report check that applies to what the report printed."""
    checks: list[Check] = []
    req = report.requests
    if req and any(_printed(cells) for cells in req.values()):
        outcome_keys = [k for k in OUTCOME_ROWS if k in req]
        numbers = {key: [_v(c) for c in cells] for key, cells in req.items()}
        zero = [0] * len(COLUMNS)
        new, carried, total, forward = (
            numbers.get(key) or zero
            for key in ("new_received", "carried_over", "total", "carried_forward")
        )
        for col, column in enumerate(COLUMNS):
            scope = f"column:{column}"
            checks.append(
                _check("T3_BALANCE", scope, new[col] + carried[col], total[col] + forward[col])
            )
            outcomes = sum(numbers[k][col] for k in outcome_keys)
            checks.append(_check("T3_TOTAL", scope, outcomes, total[col]))
        for key, values in numbers.items():
            checks.append(_check("T3_COLUMNS", f"row:{key}", sum(values[:6]), values[6]))
    rl = report.review_litigation
    if rl and any(_printed(cells) for cells in rl.values()):
        for group in GROUPS:
            group_cells = rl.get(group)
            if not group_cells:
                continue
            expected = sum(_v(c) for c in group_cells[:4])
            checks.append(_check("T4_TOTAL", f"group:{group}", expected, _v(group_cells[4])))
    for row in report.proactive:
        c = row.cells
        if {"prev_count", "change", "decisions"} <= c.keys() and _printed(list(c.values())):
            expected = _v(c["prev_count"]) + _v(c["change"])
            checks.append(
                _check("T2_CHANGE", f"row:{row.key}", expected, _v(c["decisions"]), "warning")
            )
    return checks


def _check(
    check_id: str, scope: str, expected: Number, actual: Number, severity: str = "error"
) -> Check:
    expected, actual = as_number(expected), as_number(actual)
    return Check(
        id=check_id,
        scope=scope,
        expected=expected,
        actual=actual,
        passed=abs(expected - actual) < 1e-9,
        severity=severity,
        rule=CHECKS[check_id],
    )
