"""Recovering cells that ran together with no separator ("…申请数量230 000023").

Crawler text dumps lose the separators between table cells. The digits alone
admit many splits, but the template's own identities cut them down: in 表三 each
row's six applicant columns sum to its total column, and the columns obey
一+二 = （七）+四 and （七） = the sum of the outcome rows; in 表四 each group's four
outcomes sum to its total. A split is recovered only when it is the only one
consistent with those identities; otherwise the cells stay unknown and the
parser says so.

Spaces in a run are read as real boundaries first ("230 000023" → "230" and
"000023" hold whole numbers); if that admits no split they are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from itertools import product

MAX_DIGITS = 9  # a single cell never prints more digits than this
MAX_COMBINATIONS = 200_000


def _numbers(digits: str) -> Iterator[tuple[int, str]]:
    """Every leading number of ``digits``: (value, its text); no leading zeros."""
    if not digits:
        return
    if digits[0] == "0":
        yield 0, "0"
        return
    for end in range(1, min(len(digits), MAX_DIGITS) + 1):
        yield int(digits[:end]), digits[:end]


@cache
def _splits(digits: str, parts: int) -> tuple[tuple[int, ...], ...]:
    """Every split of a digit string into exactly ``parts`` numbers."""
    if parts == 0:
        return ((),) if not digits else ()
    if len(digits) < parts:
        return ()
    out: list[tuple[int, ...]] = []
    for value, text in _numbers(digits):
        for rest in _splits(digits[len(text) :], parts - 1):
            out.append((value, *rest))
    return tuple(out)


def _grouped_splits(groups: tuple[str, ...], parts: int) -> list[tuple[int, ...]]:
    """Splits where each whitespace-separated group holds at least one whole number."""
    if not groups:
        return [()] if parts == 0 else []
    out: list[tuple[int, ...]] = []
    head, rest = groups[0], groups[1:]
    for k in range(1, parts - len(rest) + 1):
        for first in _splits(head, k):
            for tail in _grouped_splits(rest, parts - k):
                out.append(first + tail)
    return out


def row_candidates(run: str, parts: int, row_sum: bool) -> list[tuple[int, ...]]:
    """Splits of a run into ``parts`` numbers; with ``row_sum``, the last is the sum of the others."""
    groups = tuple(run.split())
    if not groups or not all(g.isdigit() for g in groups):
        return []
    if len(groups) == parts:  # separated by spaces after all ("5 0 0 0 0 0 5")
        return [tuple(int(g) for g in groups)]
    for candidates in (
        _grouped_splits(groups, parts),
        list(_splits("".join(groups), parts)),
    ):
        if row_sum:
            candidates = [c for c in candidates if sum(c[:-1]) == c[-1]]
        if candidates:
            return candidates
    return []


def review_candidates(run: str) -> list[tuple[int, ...]]:
    """Splits of a 表四 run into 15 numbers: three groups of four outcomes and their total."""
    groups = tuple(run.split())
    if not groups or not all(g.isdigit() for g in groups):
        return []
    if len(groups) == 15:
        return [tuple(int(g) for g in groups)]
    for candidates in (_grouped_splits(groups, 15), list(_splits("".join(groups), 15))):
        candidates = [
            c for c in candidates if all(sum(c[i : i + 4]) == c[i + 4] for i in (0, 5, 10))
        ]
        if candidates:
            return candidates
    return []


def solve_requests(
    rows: dict[str, list[tuple[int | None, ...]]],
    outcome_rows: tuple[str, ...],
) -> tuple[dict[str, tuple[int | None, ...]], bool]:
    """Choose one candidate per 表三 row so that the column identities hold.

    ``rows`` maps each row key to its candidates (a row printed normally has one).
    Returns the rows whose value is the same in every consistent combination, and
    whether any consistent combination existed at all. With none, rows that had a
    single candidate of their own are still returned.
    """
    keys = list(rows)
    sizes = [len(rows[k]) for k in keys]
    total_combinations = 1
    for size in sizes:
        total_combinations *= max(size, 1)
    if 0 in sizes or total_combinations > MAX_COMBINATIONS:
        return {k: rows[k][0] for k in keys if len(rows[k]) == 1}, False

    def val(row: tuple[int | None, ...], col: int) -> int:
        v = row[col]
        return v if v is not None else 0

    solutions: list[dict[str, tuple[int | None, ...]]] = []
    for combo in product(*(rows[k] for k in keys)):
        chosen = dict(zip(keys, combo, strict=True))
        if _columns_hold(chosen, outcome_rows, val):
            solutions.append(chosen)
    if not solutions:
        return {k: rows[k][0] for k in keys if len(rows[k]) == 1}, False
    agreed = {k: solutions[0][k] for k in keys if all(s[k] == solutions[0][k] for s in solutions)}
    return agreed, True


def _columns_hold(chosen, outcome_rows, val) -> bool:  # type: ignore[no-untyped-def]
    zero = (0,) * 7
    for col in range(7):
        new = val(chosen.get("new_received", zero), col)
        carried = val(chosen.get("carried_over", zero), col)
        total = val(chosen.get("total", zero), col)
        forward = val(chosen.get("carried_forward", zero), col)
        if new + carried != total + forward:
            return False
        if sum(val(chosen[k], col) for k in outcome_rows if k in chosen) != total:
            return False
    return True
