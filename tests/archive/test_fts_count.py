"""Counting a search on the FTS index in rowid ranges gives the count of the whole index."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from archive import bigram, schema
from archive.fts_count import PARTS, count_matches, rowid_ranges, single_token

TEXTS = [
    "信息公开工作",
    "行政复议和行政诉讼",
    "公开",
    "规范性文件的公开",
    "无关的内容",
    "依申请公开与主动公开",
]


class Rows(NamedTuple):
    rows: list[tuple[Any, ...]]


def archive_file(path: Path, rows: int, terms: bool = True) -> Path:
    """``sections``/``sections_fts`` (and its terms table) as the build makes them."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE sections (id INTEGER PRIMARY KEY, text TEXT)")
    fts = next(fts for fts in schema.FTS if fts.name == "sections_fts")
    conn.execute(schema.create_fts_sql(fts))
    for rowid in range(1, rows + 1):
        text = TEXTS[rowid % len(TEXTS)]
        conn.execute("INSERT INTO sections VALUES (?, ?)", (rowid, text))
        conn.execute(
            "INSERT INTO sections_fts (rowid, text) VALUES (?, ?)",
            (rowid, bigram.index_text(text)),
        )
    if terms:
        for statement in schema.create_terms_sql(fts):
            conn.execute(statement)
    conn.commit()
    conn.close()
    return path


def threaded_execute(path: Path, statements: list[str]) -> Any:
    """Like Datasette's ``Database.execute``: each statement on a thread, its own connection."""

    def run(sql: str, params: dict[str, Any]) -> Rows:
        statements.append(sql)
        conn = sqlite3.connect(path)
        try:
            return Rows(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    async def execute(sql: str, params: dict[str, Any]) -> Rows:
        return await asyncio.to_thread(run, sql, params)

    return execute


@pytest.mark.parametrize("max_rowid", [None, 0, 1, 2, 3, 7, 1000, 1001])
def test_the_ranges_cover_every_rowid_once(max_rowid: int | None) -> None:
    ranges = rowid_ranges(max_rowid)
    covered = [rowid for low, high in ranges for rowid in range(low, high)]
    assert covered == list(range(0, (max_rowid or 0) + 1))
    if max_rowid and max_rowid >= PARTS:
        assert len(ranges) == PARTS


@pytest.mark.parametrize("terms", [True, False], ids=["terms table", "no terms table"])
@pytest.mark.parametrize("rows", [0, 1, 2, 5, 101])
@pytest.mark.parametrize(
    "query", ["公开", "复议", "规范性文件", "信息公开工作", "年报", "公开 复议", "公", "内容"]
)
def test_the_count_is_the_whole_count(tmp_path: Path, rows: int, query: str, terms: bool) -> None:
    path = archive_file(tmp_path / "archive.db", rows, terms)
    match = bigram.fts_query(query)
    conn = sqlite3.connect(path)
    whole = conn.execute(
        "SELECT count(*) FROM sections_fts WHERE sections_fts MATCH ?", (match,)
    ).fetchone()[0]
    like = conn.execute(
        "SELECT count(*) FROM sections WHERE " + " AND ".join("text LIKE ?" for _ in query.split()),
        [f"%{term}%" for term in query.split()],
    ).fetchone()[0]
    conn.close()
    statements: list[str] = []
    counted = asyncio.run(
        count_matches(
            threaded_execute(path, statements),
            "sections",
            "sections_fts",
            query,
            ":m",
            {"m": match},
        )
    )
    assert counted == whole == like
    looked_up = any("sections_fts_terms" in sql for sql in statements)
    walked = sum("rowid >= :xxgk_low" in sql for sql in statements)
    if single_token(query) is not None:  # a two-character word: one bigram
        assert looked_up
        assert walked == (0 if terms else len(rowid_ranges(rows)))
    else:
        assert not looked_up
        assert walked == len(rowid_ranges(rows))


def test_single_tokens_are_what_the_index_holds() -> None:
    assert single_token("公开") == "公开"
    assert single_token(" XXGK ") == "xxgk"
    assert single_token("公") is None  # a prefix: every bigram it starts
    assert single_token("公开工作") is None
    assert single_token("公开 复议") is None
    assert single_token("") is None
