"""``xxgk build`` on real documents: seeds and rendered portal pages → a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import parsers
from archive import schema
from archive.build import build
from archive.cli import cli
from archive.ledger import Capture, Ledger
from archive.regions import PROVINCES, province_from_name
from archive.rows import PREPARED_VERSION
from archive.store import RawStore
from parsers.template import COLUMNS, GROUPS, OUTCOMES
from tests.archive.conftest import open_archive, write_html_reports
from tests.conftest import SEEDS


def _gold(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SEEDS / name.replace(".txt", ".gold.json")).read_text("utf-8")
    )
    return data


def _report_for(conn: sqlite3.Connection, document_name: str) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute(
        "SELECT r.* FROM reports r JOIN documents d ON d.sha256 = r.document_sha256 WHERE d.name = ?",
        (document_name,),
    ).fetchone()
    assert row is not None, f"no report for {document_name}"
    return row


def test_seed_reports_are_published_with_every_number(seed_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    stats = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert stats.reports == 5
    conn = open_archive(data)
    assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 5
    for path in sorted(SEEDS.glob("*.txt")):
        gold = _gold(path.name)
        report = _report_for(conn, path.name)
        assert report["year"] == gold["year"]
        assert report["template"] == gold["template"]
        requests = conn.execute(
            "SELECT * FROM requests WHERE report_id = ?", (report["id"],)
        ).fetchone()
        for row_key, values in gold["requests"].items():
            printed = [requests[schema.request_column(row_key, c)] for c in COLUMNS]
            assert printed == values, f"{path.name} 表三 {row_key}"
        review = conn.execute(
            "SELECT * FROM review_litigation WHERE report_id = ?", (report["id"],)
        ).fetchone()
        for group in GROUPS:
            printed = [review[schema.review_column(group, o)] for o in OUTCOMES]
            assert printed == gold["review_litigation"][group], f"{path.name} 表四 {group}"
        # 表二 in its long form (the view over the wide table and the other rows) ...
        proactive = {
            r["row_key"]: r
            for r in conn.execute(
                "SELECT * FROM proactive_long WHERE report_id = ?", (report["id"],)
            )
        }
        assert set(proactive) >= {entry["key"] for entry in gold["proactive"]}
        # ... and each template row's values in the wide table, one row per report.
        wide = conn.execute("SELECT * FROM proactive WHERE report_id = ?", (report["id"],))
        wide = wide.fetchone()
        for entry in gold["proactive"]:
            key = entry["key"]
            for metric, value in entry["values"].items():
                if isinstance(value, dict):  # an amount: its text and yuan
                    fields = {"amount_text": value["text"], "amount_yuan": value["yuan"]}
                else:
                    fields = {metric: value}
                for field, expected in fields.items():
                    assert proactive[key][field] == expected, f"{path.name} {key} {field}"
                    if "/" not in key:  # a template row
                        column = schema.proactive_column(key, field)
                        assert wide[column] == expected, f"{path.name} {column}"
        failing = report["checks_failing"].split(",") if report["checks_failing"] else []
        assert sorted(failing) == sorted(gold["checks_failing"])
        _assert_every_printed_cell_is_kept(conn, report["id"], path)
        # Headline numbers agree with the wide table.
        assert report["new_requests"] == gold["requests"]["new_received"][-1]


def _assert_every_printed_cell_is_kept(
    conn: sqlite3.Connection, report_id: str, path: Path
) -> None:
    """Each cell the parser read is in ``cells`` with its text, or printed exactly its value."""
    record = parsers.parse_document(
        path.read_bytes(), parsers.DocumentMeta(name=path.name)
    ).to_json()
    kept = {
        (r["table_key"], r["row_key"], r["column_key"]): r["text"]
        for r in conn.execute("SELECT * FROM cells WHERE report_id = ?", (report_id,))
    }
    wide = conn.execute("SELECT * FROM requests WHERE report_id = ?", (report_id,)).fetchone()
    assert record["cells"]
    for cell in record["cells"]:
        key = (cell["table"], cell["row"], cell["column"])
        if key in kept:
            assert kept[key] == cell["text"]
        else:
            plain = "" if cell["value"] is None else str(cell["value"])
            assert cell["text"].strip() == plain, key
            if cell["table"] == "requests":
                assert wide[schema.request_column(cell["row"], cell["column"])] == cell["value"]


def test_documents_that_fail_are_listed_with_their_error(seed_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    conn = open_archive(data)
    failures = {r["name"]: r for r in conn.execute("SELECT * FROM parse_failures")}
    assert set(failures) == {"broken.bin", "empty.txt"}
    for row in failures.values():
        assert row["error"] and row["error_type"]
        assert row["sha256"] in RawStore(data)  # the bytes are archived all the same
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 7
    assert (
        conn.execute("SELECT count(*) FROM documents WHERE parse_status = 'parsed'").fetchone()[0]
        == 5
    )


def test_blank_cells_stay_null_not_zero(tmp_path: Path, html_specs: list[dict[str, Any]]) -> None:
    spec = next(s for s in html_specs if any(v is None for v in s["requests"]["new_received"]))
    write_html_reports([spec], tmp_path / "in")
    data = tmp_path / "data"
    build(data, from_dirs=[tmp_path / "in"], use_ledger=False)
    conn = open_archive(data)
    row = conn.execute("SELECT * FROM requests").fetchone()
    printed = [row[schema.request_column("new_received", c)] for c in COLUMNS]
    assert printed == spec["requests"]["new_received"]
    assert None in printed


def test_rendered_portal_pages_match_their_specs(
    tmp_path: Path, html_specs: list[dict[str, Any]]
) -> None:
    write_html_reports(html_specs, tmp_path / "in")
    data = tmp_path / "data"
    build(data, from_dirs=[tmp_path / "in"], use_ledger=False)
    conn = open_archive(data)
    assert conn.execute("SELECT count(*) FROM parse_failures").fetchone()[0] == 0
    for i, spec in enumerate(html_specs):
        report = _report_for(conn, f"report_{i:03d}.html")
        assert report["body_name"] == spec["organization"]
        assert report["year"] == spec["year"]
        requests = conn.execute(
            "SELECT * FROM requests WHERE report_id = ?", (report["id"],)
        ).fetchone()
        for row_key, values in spec["requests"].items():
            assert [requests[schema.request_column(row_key, c)] for c in COLUMNS] == values
        review = conn.execute(
            "SELECT * FROM review_litigation WHERE report_id = ?", (report["id"],)
        ).fetchone()
        for group, values in spec["review_litigation"].items():
            assert [review[schema.review_column(group, o)] for o in OUTCOMES] == values
        sections = {
            r["section"]: r["text"]
            for r in conn.execute("SELECT * FROM sections WHERE report_id = ?", (report["id"],))
        }
        for key, text in spec["section_texts"].items():
            if text:
                assert key in sections
                assert text[:20] in sections[key]


def test_incremental_build_reparses_only_what_changed(seed_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert first.parsed_now == 7
    again = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert again.parsed_now == 0
    assert again.reports == first.reports
    (seed_dir / "copy_of_000.txt").write_bytes((seed_dir / "000_b93710927e83dd00.txt").read_bytes())
    assert build(data, from_dirs=[seed_dir], use_ledger=False).parsed_now == 0  # same bytes
    (seed_dir / "changed.txt").write_bytes(
        (seed_dir / "001_285d970d78ed64f5.txt").read_bytes() + "\n补充说明。\n".encode()
    )
    assert build(data, from_dirs=[seed_dir], use_ledger=False).parsed_now == 1


def test_a_new_parser_version_reparses_everything(
    seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    monkeypatch.setattr(parsers, "PARSER_VERSION", parsers.PARSER_VERSION + "-next")
    stats = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert stats.parsed_now == 7
    conn = open_archive(data)
    versions = {r[0] for r in conn.execute("SELECT DISTINCT parser_version FROM documents")}
    assert versions == {parsers.PARSER_VERSION}


def test_the_best_parsed_document_of_a_report_is_chosen(
    tmp_path: Path, html_specs: list[dict[str, Any]]
) -> None:
    spec = html_specs[0]
    broken = json.loads(json.dumps(spec))
    broken["requests"]["total"] = [v + 1 if v is not None else 1 for v in spec["requests"]["total"]]
    broken["checks_failing"] = ["T3_BALANCE", "T3_TOTAL"]
    write_html_reports([spec], tmp_path / "in" / "good")
    write_html_reports([broken], tmp_path / "in" / "worse")
    data = tmp_path / "data"
    build(data, from_dirs=[tmp_path / "in"], use_ledger=False)
    conn = open_archive(data)
    (report,) = conn.execute("SELECT * FROM reports").fetchall()
    assert report["documents"] == 2
    chosen = conn.execute(
        "SELECT name FROM documents WHERE sha256 = ?", (report["document_sha256"],)
    ).fetchone()[0]
    assert chosen == "good/report_000.html"
    docs = conn.execute("SELECT name, report_id, chosen FROM documents ORDER BY name").fetchall()
    assert [(d["name"], d["report_id"], d["chosen"]) for d in docs] == [
        ("good/report_000.html", report["id"], 1),
        ("worse/report_000.html", report["id"], 0),
    ]


def test_ledger_captures_give_provenance_and_the_source_gives_the_region(
    tmp_path: Path, html_specs: list[dict[str, Any]]
) -> None:
    from crawler.fixture_portals.render_html import render_report_html

    spec = next(s for s in html_specs if "人民政府" in s["organization"])
    province = province_from_name(spec["organization"]) or "广东"
    code = next(k for k, v in PROVINCES.items() if v == province) + "0106"
    data = tmp_path / "data"
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "ceshi_portal.yml").write_text(
        f"name: {spec['organization']}\nlevel: county\ndivision_code: '{code}'\n"
        "start_url: http://127.0.0.1:18080/xxgk/ndbg/\n",
        encoding="utf-8",
    )
    body = render_report_html(spec)
    sha = RawStore(data).put(body)
    ledger = Ledger.open(data)
    ledger.start_run("run-1", spider="test", sources=["ceshi_portal"])
    list_url = "http://127.0.0.1:18080/xxgk/ndbg/"
    page_url = "http://127.0.0.1:18080/xxgk/ndbg/2024/t1.html"
    ledger.record_capture(
        Capture(run_id="run-1", url=list_url, source_id="ceshi_portal", status=200, kind="list")
    )
    ledger.record_capture(
        Capture(
            run_id="run-1",
            url=page_url,
            final_url=page_url,
            source_id="ceshi_portal",
            status=200,
            sha256=sha,
            size=len(body),
            content_type="text/html; charset=utf-8",
            headers={"Content-Type": ["text/html; charset=utf-8"]},
            kind="report",
            parent_url=list_url,
            title=spec["title"],
        )
    )
    ledger.close()
    build(data, sources_dir=sources)
    conn = open_archive(data)
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 2
    (report,) = conn.execute("SELECT * FROM reports").fetchall()
    assert report["url"] == page_url
    assert report["page_url"] == page_url
    assert report["province"] == province
    assert report["level"] == "county"
    assert report["division_code"] == code
    document = conn.execute("SELECT * FROM documents").fetchone()
    assert document["url"] == page_url and document["source_id"] == "ceshi_portal"
    assert conn.execute("SELECT name FROM sources").fetchone()[0] == spec["organization"]


def test_summaries_add_up_to_the_reports(tmp_path: Path, html_specs: list[dict[str, Any]]) -> None:
    write_html_reports(html_specs, tmp_path / "in")
    data = tmp_path / "data"
    build(data, from_dirs=[tmp_path / "in"], use_ledger=False)
    conn = open_archive(data)
    by_year = {r["year"]: r for r in conn.execute("SELECT * FROM summary_year")}
    for year, row in by_year.items():
        expected = conn.execute(
            "SELECT count(*), sum(new_requests), sum(denied) FROM reports WHERE year = ?", (year,)
        ).fetchone()
        assert (row["reports"], row["new_requests"], row["denied"]) == tuple(expected)
    assert sum(r["reports"] for r in by_year.values()) == len(html_specs)


def test_build_command_reports_and_publishes(seed_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli,
        [
            "build",
            "--data-dir",
            str(data),
            "--from-dir",
            str(seed_dir),
            "--no-ledger",
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "5 reports from 7 documents (2 failed to parse" in result.output
    inspect = json.loads((data / "inspect.json").read_text())
    assert inspect["archive"]["tables"]["reports"]["count"] == 5
    assert inspect["archive"]["file"] == str(data / "archive.db")
    assert not (data / "archive.db.new").exists()
    conn = sqlite3.connect(data / "archive.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_build_command_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["build", "--data-dir", str(tmp_path), "--from-dir", str(tmp_path / "nope")]
    )
    assert result.exit_code != 0
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    "outdate",
    [
        "UPDATE preparations SET prepared_version = 'old'",
        "DELETE FROM preparations",
    ],
    ids=["older-version", "missing"],
)
def test_outdated_or_missing_preparations_are_redone_from_the_cached_record(
    seed_dir: Path, tmp_path: Path, outdate: str
) -> None:
    state = _rebuilt_after_changing_the_cache(seed_dir, tmp_path / "data", outdate)
    assert state.execute("SELECT DISTINCT prepared_version FROM preparations").fetchall() == [
        (PREPARED_VERSION,)
    ]


def test_a_cache_written_before_the_preparations_table_is_moved_over(
    seed_dir: Path, tmp_path: Path
) -> None:
    # The layout of earlier builds: the preparation in parse_cache's own columns.
    state = _rebuilt_after_changing_the_cache(
        seed_dir,
        tmp_path / "data",
        "UPDATE parse_cache SET (summary, prepared, prepared_sections, prepared_version) ="
        " (SELECT summary, prepared, sections, prepared_version FROM preparations p"
        "  WHERE p.sha256 = parse_cache.sha256"
        "  AND p.parser_version = parse_cache.parser_version)",
        "DROP TABLE preparations",
    )
    assert state.execute("SELECT count(*) FROM preparations").fetchone()[0] == 5
    assert state.execute(
        "SELECT count(*) FROM parse_cache WHERE prepared IS NOT NULL OR summary IS NOT NULL"
    ).fetchone() == (0,)


def _rebuilt_after_changing_the_cache(
    seed_dir: Path, data: Path, *statements: str
) -> sqlite3.Connection:
    """Build, change the parse cache with ``statements``, build again: nothing is parsed
    again and the tables are the same. Returns a connection to the cache."""
    build(data, from_dirs=[seed_dir], use_ledger=False)
    before = _tables(data)
    state = sqlite3.connect(data / "build-state.db")
    with state:
        for statement in statements:
            state.execute(statement)
    state.close()
    stats = build(data, from_dirs=[seed_dir], use_ledger=False)
    assert stats.parsed_now == 0
    assert _tables(data) == before
    return sqlite3.connect(data / "build-state.db")


def _tables(data: Path) -> dict[str, list[tuple[object, ...]]]:
    """The rows of the per-report tables, in a stable order (both processes' tables)."""
    conn = open_archive(data)
    return {
        table: [tuple(r) for r in conn.execute(f"SELECT * FROM [{table}] ORDER BY {order}")]
        for table, order in (
            ("reports", "id"),
            ("requests", "report_id"),
            ("proactive", "report_id"),
            ("proactive_other_rows", "report_id, row_key"),
            ("sections", "id"),
            ("cross_checks", "report_id, check_id, scope"),
        )
    }


def test_parallel_parsing_gives_the_same_archive(seed_dir: Path, tmp_path: Path) -> None:
    one = build(tmp_path / "one", from_dirs=[seed_dir], use_ledger=False, jobs=1)
    two = build(tmp_path / "two", from_dirs=[seed_dir], use_ledger=False, jobs=2)
    assert (one.reports, one.failed_documents) == (two.reports, two.failed_documents) == (5, 2)
    rows = [
        [tuple(r) for r in open_archive(d).execute("SELECT * FROM requests ORDER BY report_id")]
        for d in (tmp_path / "one", tmp_path / "two")
    ]
    assert rows[0] == rows[1]


def test_documents_come_from_successful_report_and_attachment_captures(tmp_path: Path) -> None:
    from archive.build import ledger_documents, open_ledger
    from archive.ledger import Ledger

    page = "http://127.0.0.1:18080/ndbg/t1.html"
    pdf = "http://127.0.0.1:18080/ndbg/down.jsp?id=9"
    captures = [
        {"kind": "list", "url": "http://127.0.0.1:18080/ndbg/", "sha256": "a" * 64, "status": 200},
        {"kind": "report", "url": page, "sha256": "b" * 64, "status": 200, "title": "某县2023年报告"},
        {"kind": "attachment", "url": pdf, "sha256": "c" * 64, "status": 200, "parent_url": page,
         "headers": '{"Content-Type": ["application/pdf"]}'},
        {"kind": "attachment", "url": pdf, "sha256": "c" * 64, "status": 200, "parent_url": page},
        {"kind": "report", "url": page + "?gone", "sha256": None, "status": 404},
        {"kind": "report", "url": page + "?err", "sha256": "d" * 64, "status": 500},
        {"kind": "report", "url": page + "?later", "sha256": "e" * 64, "status": 200},
    ]  # fmt: skip
    ledger = Ledger.open(tmp_path)
    for n, cap in enumerate(captures):
        cap = {"run_id": "r1", "fetched_at": f"2026-01-01T00:00:{n:02d}Z", **cap}
        names = ", ".join(cap)
        ledger.db.execute(
            f"INSERT INTO captures ({names}) VALUES ({', '.join('?' * len(cap))})",
            tuple(cap.values()),
        )
    snapshot = open_ledger(tmp_path)
    assert snapshot is not None
    # A capture recorded after the build took its snapshot (a crawl going on) is left out.
    ledger.db.execute(
        "INSERT INTO captures (run_id, fetched_at, kind, url, sha256, status)"
        " VALUES ('r2', '2026-01-02T00:00:00Z', 'report', ?, ?, 200)",
        (page + "?new", "f" * 64),
    )
    ledger.close()
    docs = {d.sha256[0]: d for d in ledger_documents(snapshot)}
    assert list(docs) == ["b", "c", "e"]  # in the order of their first capture
    assert docs["b"].page_url == page and docs["b"].page_title == "某县2023年报告"
    assert docs["c"].page_url == page and docs["c"].page_title == "某县2023年报告"
    assert docs["c"].captures == 2 and docs["b"].captures == 1
    assert docs["c"].headers == {"Content-Type": "application/pdf"}


def test_results_stored_already_encoded_read_back_like_parsed_ones(
    seed_dir: Path, tmp_path: Path
) -> None:
    from archive.build_state import BuildState

    build(tmp_path / "data", from_dirs=[seed_dir], use_ledger=False)
    version = str(parsers.PARSER_VERSION)
    with BuildState.open(tmp_path / "data") as parsed:
        rows = parsed.conn.execute(
            "SELECT c.sha256, c.parser_version, c.format, c.report, p.summary, p.prepared,"
            " p.sections FROM parse_cache c JOIN preparations p USING (sha256, parser_version)"
        ).fetchall()
        with BuildState.open(tmp_path / "copy") as copy:
            copy.put_encoded(rows)
            assert len(rows) == 5
            digests = [row[0] for row in rows]
            assert copy.outcomes(version) == {
                sha: outcome for sha, outcome in parsed.outcomes(version).items() if sha in digests
            }
            assert list(copy.prepared(digests, version)) == list(parsed.prepared(digests, version))
            assert list(copy.sections(digests, version)) == list(parsed.sections(digests, version))


@pytest.mark.parametrize("left_to_the_search_process", [(), (schema.PROACTIVE,)])
def test_every_index_the_schema_declares_is_in_the_published_file(
    seed_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    left_to_the_search_process: tuple[schema.Table, ...],
) -> None:
    """Whichever process builds an index (``build.INDEXED_BY_THE_SEARCH_PROCESS``)."""
    import re

    from archive import build as build_module

    monkeypatch.setattr(build_module, "INDEXED_BY_THE_SEARCH_PROCESS", left_to_the_search_process)
    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    conn = open_archive(data)
    published = {
        (name, table)
        for name, table in conn.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"
        )
    }
    declared = {
        (re.search(r"INDEX \[(\w+)\] ON \[(\w+)\]", sql).groups())  # type: ignore[union-attr]
        for table in schema.TABLES
        for sql in schema.create_index_sql(table)
    }
    assert declared <= published
    assert {"idx_proactive_other_rows_base_row", "idx_reports_year_denied_share"} <= {
        n for n, _ in declared
    }


def test_the_published_file_has_the_builds_page_size(seed_dir: Path, tmp_path: Path) -> None:
    """16 KiB pages (``search_writer.PAGE_SIZE``), not SQLite's 4 KiB default: the tables
    copied in from the build process's side files are written in the published file's pages."""
    from archive import search_writer

    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    conn = open_archive(data)
    assert search_writer.PAGE_SIZE == 16384
    assert conn.execute("PRAGMA page_size").fetchone()[0] == search_writer.PAGE_SIZE
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 5
