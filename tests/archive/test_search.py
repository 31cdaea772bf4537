"""Bigram full-text search finds exactly what a LIKE scan finds, for any ≥ 2-character term."""

from __future__ import annotations

import random
import re
import sqlite3

import pytest

from archive.bigram import fts_query, index_text, term_tokens
from archive.build import build
from tests.archive.conftest import open_archive, write_html_reports

CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    from crawler.fixture_portals.reports import synthetic_reports

    root = tmp_path_factory.mktemp("search")
    write_html_reports(synthetic_reports(20, seed=11), root / "in")
    build(root / "data", from_dirs=[root / "in"], use_ledger=False)
    return open_archive(root / "data")


def _terms(conn: sqlite3.Connection, count: int) -> list[str]:
    """Real terms from the texts (2, 3 and 4 characters), plus terms found nowhere."""
    rng = random.Random(7)
    runs = [
        m.group()
        for (text,) in conn.execute("SELECT text FROM sections")
        for m in CJK_RUN.finditer(text)
    ]
    terms = set()
    while len(terms) < count:
        run = rng.choice(runs)
        size = rng.choice((2, 2, 2, 3, 4))
        if len(run) >= size:
            start = rng.randrange(len(run) - size + 1)
            terms.add(run[start : start + size])
    return sorted(terms) + ["火箭", "量子计算", "熊猫"]


def _fts(conn: sqlite3.Connection, query: str) -> set[int]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?", (fts_query(query),)
        )
    }


def _like(conn: sqlite3.Connection, *terms: str) -> set[int]:
    where = " AND ".join("instr(text, ?) > 0" for _ in terms)
    return {r[0] for r in conn.execute(f"SELECT id FROM sections WHERE {where}", terms)}


def test_every_two_character_term_matches_a_like_scan(archive: sqlite3.Connection) -> None:
    terms = _terms(archive, 200)
    found_somewhere = 0
    for term in terms:
        expected = _like(archive, term)
        assert _fts(archive, term) == expected, term
        found_somewhere += bool(expected)
    assert found_somewhere >= 200  # the comparison is not vacuous


def test_several_terms_are_anded(archive: sqlite3.Connection) -> None:
    assert _fts(archive, "公开 复议") == _like(archive, "公开", "复议")
    assert _fts(archive, "公开 复议")


def test_report_titles_are_searchable(archive: sqlite3.Connection) -> None:
    (title,) = archive.execute(
        "SELECT title FROM reports WHERE title IS NOT NULL LIMIT 1"
    ).fetchone()
    term = CJK_RUN.findall(title)[0][:2]
    hits = {
        r[0]
        for r in archive.execute(
            "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?", (fts_query(term),)
        )
    }
    expected = {
        r[0]
        for r in archive.execute(
            "SELECT rowid FROM reports WHERE instr(title, ?) > 0 OR instr(body_name, ?) > 0",
            (term, term),
        )
    }
    assert hits == expected and hits


def test_single_characters_match_a_like_scan(archive: sqlite3.Connection) -> None:
    for term in ("年", "复", "诉", "镇", "（一）"):
        like = term.strip("（）")
        assert _fts(archive, term) == _like(archive, like), term


def test_index_text_and_queries() -> None:
    assert index_text("信息公开") == "信息 息公 公开 开"
    assert index_text("PDF文件，公开") == "pdf 文件 件 公开 开"
    assert index_text("COVID-19疫情 Ｗｏｒｄ") == "covid 19 疫情 情 ｗｏｒｄ"
    assert fts_query("Covid-19") == '"covid 19"'
    assert term_tokens("2023年") == (["2023", "年"], True)
    assert fts_query("行政 诉讼") == '"行政" "诉讼"'
    assert fts_query("信息公开") == '"信息 息公 公开"'
    assert fts_query("年") == '"年" *'
    assert fts_query("，。 ") == '""'


@pytest.mark.parametrize("query", ['"', "AND", "公开 OR", "NEAR(", "*", "-复议"])
def test_odd_queries_never_raise(archive: sqlite3.Connection, query: str) -> None:
    _fts(archive, query)


@pytest.mark.parametrize(
    ("text", "query", "found"),
    [
        ("依法公开，申请人", "公开申请", False),
        ("依法公开，申请人", "申请", True),
        ("公开，开始", "公开始", False),  # bigrams of two runs are never adjacent
        ("2023年报告", "2023年", True),
        ("新年2023", "年2023", True),
        ("PDF文件", "pdf文件", True),
    ],
)
def test_phrases_respect_runs(text: str, query: str, found: bool) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, content='', tokenize='ascii')")
    conn.execute("INSERT INTO t (rowid, text) VALUES (1, ?)", (index_text(text),))
    hits = list(conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query(query),)))
    assert bool(hits) == found
