"""Recovering cells that ran together with no separator ("…申请数量230 000023").

Crawler text dumps lose the separators between table cells. The digits alone
admit many splits, but the template's own identities cut them down: in 表三 each
row's six applicant columns sum to its total column, and the columns obey
一+二 = （七）+四 and （七） = the sum of the outcome rows; in 表四 each group's four
outcomes sum to its total.

A blank cell prints nothing at all, so it may sit anywhere in a run; a space
is a hard boundary between two numbers (or an artefact, tried last). Every
split consistent with the identities is kept, and a cell is recovered only when
all of them agree on it (a number, or blank); a cell they disagree on stays
unknown, and the parser says so. Nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from itertools import product

MAX_DIGITS = 9  # a single cell never prints more digits than this
MAX_COMBINATIONS = 200_000
# A 表四 run longer than this is not split (15 cells of two digits on average):
# the search takes seconds at 30 digits and minutes at 45 (found by fuzzing).
MAX_REVIEW_DIGITS = 30

Split = tuple[int | None, ...]  # None: a blank cell


class _Unknown:
    """A cell the consistent splits disagree on."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Agreed = tuple["int | None | _Unknown", ...]


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


MAX_FILLS = 100_000


def _fills(
    run: str, start: int, cells: int, memo: dict[tuple[int, int], list[tuple[Split, int]]]
) -> list[tuple[Split, int]]:
    """Every way to fill ``cells`` cells from ``run[start:]``: (values, where it stopped).

    Each cell is blank (reads nothing) or one number that does not cross a space.
    """
    key = (start, cells)
    if key in memo:
        return memo[key]
    out: list[tuple[Split, int]] = []
    if cells == 0:
        out.append(((), start))
    else:
        for rest, end in _fills(run, start, cells - 1, memo):
            out.append(((None, *rest), end))
        i = start
        while i < len(run) and run[i] == " ":
            i += 1
        group_end = run.find(" ", i)
        group = run[i:] if group_end < 0 else run[i:group_end]
        for value, text in _numbers(group):
            for rest, end in _fills(run, i + len(text), cells - 1, memo):
                out.append(((value, *rest), end))
                if len(out) > MAX_FILLS:
                    raise OverflowError("too many splits")
    memo[key] = out
    return out


def _complete(run: str, fills: list[tuple[Split, int]]) -> list[Split]:
    return [values for values, end in fills if not run[end:].strip()]


def _normalised(run: str) -> str | None:
    run = " ".join(run.split())
    return run if run and all(part.isdigit() for part in run.split(" ")) else None


def _z(v: int | None) -> int:
    return v if v is not None else 0


def _row_sum(c: Split) -> bool:
    return sum(_z(v) for v in c[:-1]) == _z(c[-1])


def row_candidates(run: str, parts: int, row_sum: bool) -> list[Split]:
    """Splits of a run into ``parts`` cells; with ``row_sum``, the last is the sum of the others."""
    norm = _normalised(run)
    if norm is None:
        return []
    if len(norm.split(" ")) == parts:  # separated by spaces after all ("5 0 0 0 0 0 5")
        return [tuple(int(g) for g in norm.split(" "))]
    for text in (norm, norm.replace(" ", "")):
        try:
            candidates = _complete(text, _fills(text, 0, parts, {}))
        except OverflowError:
            return []
        if row_sum:
            candidates = [c for c in candidates if _row_sum(c)]
        if candidates:
            return candidates
    return []


def review_candidates(run: str) -> list[Split]:
    """Splits of a 表四 run into 15 cells: three groups of four outcomes and their total."""
    norm = _normalised(run)
    if norm is None:
        return []
    if len(norm.replace(" ", "")) > MAX_REVIEW_DIGITS:
        return []  # the search grows exponentially with the digits: stays unknown
    if len(norm.split(" ")) == 15:
        return [tuple(int(g) for g in norm.split(" "))]
    for text in (norm, norm.replace(" ", "")):
        memo: dict[tuple[int, int], list[tuple[Split, int]]] = {}
        try:
            solutions = _review_groups(text, 0, 3, memo)
        except OverflowError:
            return []
        if solutions:
            return solutions
    return []


def _review_groups(
    run: str,
    start: int,
    groups: int,
    memo: dict[tuple[int, int], list[tuple[Split, int]]],
    solved: dict[tuple[int, int], list[Split]] | None = None,
) -> list[Split]:
    # ``solved`` memoises each (start, groups): without it a long digit run took
    # exponential time (a hostile document held a build for minutes).
    solved = {} if solved is None else solved
    if (start, groups) in solved:
        return solved[(start, groups)]
    if groups == 0:
        return [()] if not run[start:].strip() else []
    out: list[Split] = []
    steps = 0
    for values, end in _fills(run, start, 5, memo):
        steps += 1
        if steps > MAX_FILLS:
            raise OverflowError("too many splits")
        if not _row_sum(values):
            continue
        for rest in _review_groups(run, end, groups - 1, memo, solved):
            out.append((*values, *rest))
            if len(out) > MAX_FILLS:
                raise OverflowError("too many splits")
    solved[(start, groups)] = out
    return out


def agree(splits: list[Split]) -> Agreed:
    """Each cell's value where every split agrees on it, else ``UNKNOWN``."""
    if not splits:
        return ()
    return tuple(
        column[0] if all(v == column[0] for v in column) else UNKNOWN
        for column in zip(*splits, strict=True)
    )


def solve_requests(
    rows: dict[str, list[Split]], outcome_rows: tuple[str, ...]
) -> tuple[dict[str, Agreed], bool]:
    """Cells of 表三 rows that every split consistent with the column identities agrees on.

    ``rows`` maps each row key to its candidate splits (a row printed normally has
    exactly one). Returns the agreed cells per row (``UNKNOWN`` where splits
    disagree) and whether any consistent combination existed; with none, each
    row falls back to what its own candidates agree on.
    """
    keys = list(rows)
    total_combinations = 1
    for k in keys:
        total_combinations *= max(len(rows[k]), 1)
    solutions: list[dict[str, Split]] = []
    if all(rows[k] for k in keys) and total_combinations <= MAX_COMBINATIONS:
        for combo in product(*(rows[k] for k in keys)):
            chosen = dict(zip(keys, combo, strict=True))
            if _columns_hold(chosen, outcome_rows):
                solutions.append(chosen)
    if not solutions:
        return {k: agree(rows[k]) for k in keys if rows[k]}, False
    return {k: agree([s[k] for s in solutions]) for k in keys}, True


def _columns_hold(chosen: dict[str, Split], outcome_rows: tuple[str, ...]) -> bool:
    zero: Split = (0,) * 7
    for col in range(7):
        new = _z(chosen.get("new_received", zero)[col])
        carried = _z(chosen.get("carried_over", zero)[col])
        total = _z(chosen.get("total", zero)[col])
        forward = _z(chosen.get("carried_forward", zero)[col])
        if new + carried != total + forward:
            return False
        if sum(_z(chosen[k][col]) for k in outcome_rows if k in chosen) != total:
            return False
    return True
