"""The build's second process (``archive/search_writer.py``): its failures and its output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archive.search_writer
from archive.bigram import fts_query
from archive.build import BuildError, build
from tests.archive.conftest import open_archive


def test_a_failing_search_process_fails_the_build_and_publishes_nothing(
    seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    before = (data / "archive.db").read_bytes()

    def broken(*args: object) -> None:  # runs in the forked child
        raise RuntimeError("simulated failure in the search process")

    monkeypatch.setattr(archive.search_writer, "_write", broken)
    with pytest.raises(BuildError, match="simulated failure in the search process"):
        build(data, from_dirs=[seed_dir], use_ledger=False)
    assert (data / "archive.db").read_bytes() == before
    assert sorted(p.name for p in data.glob("archive.db*")) == ["archive.db"]


def test_the_search_process_writes_sections_and_search_tables_into_the_published_file(
    seed_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    stats = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert any(name.startswith("search process: ") for name in stats.phases)
    conn = open_archive(data)
    # Every section is indexed under its own rowid, every report title under the report's.
    sections = conn.execute("SELECT id, text FROM sections").fetchall()
    assert len(sections) >= 10
    for row in sections:
        pairs = re.findall(r"[\u4e00-\u9fff]{2}", row["text"])
        term = pairs[len(pairs) // 2] if pairs else row["text"][0]  # "无": a one-character section
        hits = {
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?", (fts_query(term),)
            )
        }
        assert row["id"] in hits, term
    titles = conn.execute("SELECT rowid, title FROM reports WHERE title IS NOT NULL").fetchall()
    assert titles
    for rowid, title in titles:
        hits = {
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                (fts_query(re.findall(r"[\u4e00-\u9fff]{2}", title)[-1]),),
            )
        }
        assert rowid in hits
    # Each index's terms table holds every token with the number of rows holding it.
    for fts in ("sections_fts", "reports_fts"):
        terms = dict(conn.execute(f"SELECT term, rows FROM {fts}_terms").fetchall())
        assert len(terms) >= 20
        for token in sorted(terms)[:: max(1, len(terms) // 25)]:
            (matching,) = conn.execute(
                f"SELECT count(*) FROM {fts} WHERE {fts} MATCH ?", (f'"{token}"',)
            ).fetchone()
            assert terms[token] == matching, (fts, token)
    # The FTS tables are back at SQLite's default flush size, the side files are gone.
    for fts in ("sections_fts", "reports_fts"):
        hashsize = conn.execute(f"SELECT v FROM {fts}_config WHERE k = 'hashsize'").fetchone()
        assert hashsize[0] == archive.search_writer.FTS_DEFAULT_HASHSIZE
    assert sorted(p.name for p in data.glob("archive.db*")) == ["archive.db"]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_the_search_process_stops_waiting_for_tables_when_its_parent_is_gone() -> None:
    import multiprocessing
    import os

    from archive.search_writer import ParentGone, _wait_for_tables

    receive, send = multiprocessing.Pipe(duplex=False)
    # Nothing is ever sent; the "parent" named is not this process's parent.
    with pytest.raises(ParentGone):
        _wait_for_tables(receive, parent=os.getppid() + 1_000_000)
    send.send((Path("/tmp/tables"), ["CREATE INDEX i ON t (c)"]))
    assert _wait_for_tables(receive, parent=os.getppid()) == (
        Path("/tmp/tables"),
        ["CREATE INDEX i ON t (c)"],
    )


def test_the_across_stage_cannot_change_the_tables_it_reads(
    seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build hands the across stage the file of its final tables read-only: a step
    that tried to change one would fail the build instead of being silently lost."""
    import sqlite3

    import archive.across.quality

    def changes_a_final_table(conn: sqlite3.Connection) -> int:
        conn.execute("UPDATE requests SET year = year")
        return 0

    monkeypatch.setattr(archive.across.quality, "add", changes_a_final_table)
    data = tmp_path / "data"
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        build(data, from_dirs=[seed_dir], use_ledger=False)
    assert not list(data.glob("archive.db*"))


def test_sections_are_read_ahead_in_plan_order_and_a_read_error_reaches_the_writer(
    seed_dir: Path, tmp_path: Path
) -> None:
    from archive.build_state import BuildState
    from archive.search_writer import SearchPlan, read_ahead

    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    state = data / "build-state.db"
    with BuildState.open(data) as cache:
        version = cache.conn.execute("SELECT max(parser_version) FROM preparations").fetchone()[0]
        digests = [r[0] for r in cache.conn.execute("SELECT sha256 FROM preparations")]
    reports = [(i, sha, (), None) for i, sha in enumerate(digests * 3, 1)]

    class SmallBatches(SearchPlan):
        BATCH = 2  # several batches from a small cache

    batches = list(read_ahead(SmallBatches(state, version, reports)))
    assert [r for batch, _ in batches for r in batch] == reports
    assert all(set(stored) == {sha for _, sha, _, _ in batch} for batch, stored in batches)
    # A parse cache that cannot be read fails the search process, not silently.
    (tmp_path / "broken.db").write_bytes(b"not a database" * 100)
    with pytest.raises(Exception, match="not a database"):
        list(read_ahead(SearchPlan(tmp_path / "broken.db", version, reports)))
