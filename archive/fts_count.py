"""Counting a search's matches on its FTS5 index, one rowid range per core, at once.

The site counts a search on the index alone (``sections_fts``, ``reports_fts``),
never on the table. For the archive's most common terms that still walks long
doclists: at 700k reports 规范性文件 is a phrase of four bigrams found in 556k
sections, and its first count took 126-154 ms of one core (a count is kept
once made, the database being immutable). SQLite releases the GIL while it
runs a statement, and FTS5 seeks a rowid range within a doclist, so
``count_matches`` counts ``PARTS`` consecutive rowid ranges at once, each on
one of Datasette's SQL threads, and adds them up. Measured on the 700k
archive served by ``xxgk serve`` (first count of each term, two runs each):
规范性文件 126-154 → 88-96 ms, 政务新媒体 138-142 → 81-106, 征地拆迁 96-103 →
47; a single bigram gained nothing (公开, 4.06M sections: 128-139 → 129-176),
its halves costing 0.7× the whole each.

A search of a single token (a two-character word: one bigram; a Latin word)
needs no doclist at all: the build keeps each index's tokens with the number
of rows holding each (``<fts>_terms``, ``schema.create_terms_sql``), and its
count is one lookup there.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from archive.bigram import term_tokens
from archive.schema import terms_table

# One range per core of the machines the site runs on (2 here): more ranges would
# queue on the same cores and add each range's fixed cost.
PARTS = 2

Execute = Callable[[str, dict[str, Any]], Awaitable[Any]]


def rowid_ranges(max_rowid: int | None, parts: int = PARTS) -> list[tuple[int, int]]:
    """``parts`` consecutive half-open ranges [low, high) covering rowids 1…``max_rowid``.

    One range (everything) when the table is empty or smaller than ``parts``.
    """
    if not max_rowid or max_rowid < parts:
        return [(0, (max_rowid or 0) + 1)]
    step = max_rowid // parts
    bounds = [0, *(step * i for i in range(1, parts)), max_rowid + 1]
    return list(zip(bounds, bounds[1:], strict=False))


def single_token(query: str) -> str | None:
    """The one index token a search is made of (``archive.bigram``'s cut), or None."""
    terms = query.split()
    if len(terms) != 1:
        return None
    tokens, prefix = term_tokens(terms[0])
    return tokens[0] if len(tokens) == 1 and not prefix else None


async def count_matches(
    execute: Execute, table: str, fts: str, query: str, match: str, params: dict[str, Any]
) -> int:
    """The number of rows of ``fts`` matching the user's search ``query``.

    ``match`` is the MATCH operand for it, an SQL expression over ``params``
    (e.g. ``escape_fts(:search)``). ``table`` is the FTS table's content table
    (its rows have the same rowids): its largest rowid bounds the ranges.
    ``execute`` runs one statement (e.g. Datasette's ``Database.execute``,
    which runs it on a thread of its own).
    """
    token = single_token(query)
    if token is not None:
        try:
            found = await execute(
                f"select rows from [{terms_table(fts)}] where term = :xxgk_term",
                {"xxgk_term": token},
            )
        except sqlite3.OperationalError:  # an archive built before the terms tables
            pass
        else:
            return int(found.rows[0][0]) if found.rows else 0
    table_sql, fts_sql = f"[{table}]", f"[{fts}]"
    top = await execute(f"select max(rowid) from {table_sql}", {})
    ranges = rowid_ranges(top.rows[0][0])
    sql = (
        f"select count(*) from {fts_sql} where {fts_sql} match {match}"
        " and rowid >= :xxgk_low and rowid < :xxgk_high"
    )
    counts = await asyncio.gather(
        *(execute(sql, {**params, "xxgk_low": low, "xxgk_high": high}) for low, high in ranges)
    )
    return sum(int(counted.rows[0][0]) for counted in counts)
