"""The across-report stage on the fixture network, end to end: crawl, edit, crawl, build.

Two portals of 江西 (``zhangshu_shi`` and ``yichun_shi``, whose ``cases`` in
network.yml add a republished township report, a late report, a skipped year,
a carry-over mismatch and a narrative that contradicts 表三) are crawled by the
real crawler; between two crawls the newest zhangshu page is edited in place.
The build then runs the stage; every table is compared with the ground truth
``tests/across/truth.py`` derives from the portals' items: each case found, and
nothing else flagged.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.build import build
from crawler.run import crawl_command
from tests.across.truth import Truth, truth_for

pytestmark = pytest.mark.slow

PORTALS = ["zhangshu_shi", "yichun_shi"]
SETTINGS = ["DOWNLOAD_DELAY=0.1", "DOWNLOAD_DELAY_JITTER=0", "AUTOTHROTTLE_START_DELAY=0.1"]
ROOT = Path(__file__).resolve().parents[2]


def crawl(data: Path, sources: Path) -> None:
    command = crawl_command("--data-dir", str(data), "--sources-dir", str(sources), "--quiet")
    for setting in SETTINGS:
        command += ["-s", setting]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from crawler.fixture_portals.server import FixtureNetwork

    tmp = tmp_path_factory.mktemp("across")
    data, sources = tmp / "data", tmp / "sources"
    sources.mkdir()
    with FixtureNetwork(port=0) as net:
        texts = net.sources()
        for pid in PORTALS:
            (sources / f"{pid}.yml").write_text(texts[pid], encoding="utf-8")
            portal = net.portal(pid)
            for item in portal.items:
                portal.documents_of(item)  # render attachments before the crawl asks
        crawl(data, sources)
        zhangshu = net.portal("zhangshu_shi")
        edited = zhangshu.editable()
        assert edited is not None
        edited_url = zhangshu.base_url() + edited.path
        net.set_switch("zhangshu_shi", "edit_report", 1)
        try:
            crawl(data, sources)
        finally:
            net.reset_switches()
        truth = truth_for(list(net.portals.values()), PORTALS)
    build(data, sources_dir=sources, jobs=2)
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield {
        "conn": conn,
        "truth": truth,
        "edited_url": edited_url,
        "edited": edited,
        "data": data,
        "sources": sources,
    }
    conn.close()


def rows(built: dict[str, Any], sql: str) -> list[sqlite3.Row]:
    return list(built["conn"].execute(sql).fetchall())


def test_every_report_is_attached_to_its_body_and_division(built: dict[str, Any]) -> None:
    truth: Truth = built["truth"]
    reports = {(r["body_name"], r["year"]) for r in rows(built, "SELECT * FROM reports")}
    assert reports == truth.reports
    divisions = {
        r["body_name"]: r["division_code"] for r in rows(built, "SELECT * FROM body_divisions")
    }
    assert divisions == truth.divisions
    weak = rows(built, "SELECT * FROM body_divisions WHERE confidence < 0.9")
    assert not [dict(r) for r in weak]
    codes = rows(built, "SELECT r.body_name, r.division_code FROM reports r")
    assert all(r["division_code"] == truth.divisions[r["body_name"]] for r in codes)
    # The short form of a township's name is an alias of it.
    alias = rows(built, "SELECT * FROM body_aliases WHERE alias = '临江镇'")
    assert [r["body_name"] for r in alias] == ["樟树市临江镇人民政府"]


def test_late_reports_are_exactly_those_past_their_deadline(built: dict[str, Any]) -> None:
    truth: Truth = built["truth"]
    table = rows(built, "SELECT * FROM report_publication")
    late = {(r["body_name"], r["year"]) for r in table if r["late"] == 1}
    on_time = {(r["body_name"], r["year"]) for r in table if r["late"] == 0}
    assert late == truth.late
    assert on_time == truth.on_time
    case = next(r for r in table if (r["body_name"], r["year"]) == ("宜春市财政局", 2023))
    assert (case["published"], case["deadline"], case["kind"]) == (
        "2025-06-18",
        "2024-01-31",
        "department",
    )
    assert case["days_late"] == 504


def test_a_page_is_read_for_its_date_once(built: dict[str, Any], tmp_path: Path) -> None:
    """The build state keeps each page's date: a rebuild without the pages gives the same dates."""
    import shutil

    from archive.store import RawStore

    published = rows(
        built,
        "SELECT report_id, page_sha256, published, how, late FROM report_publication"
        " ORDER BY report_id",
    )
    pages = {r["page_sha256"] for r in published if r["published"]}
    assert pages and any(r["late"] for r in published)
    data = tmp_path / "data"
    shutil.copytree(built["data"], data)
    state = sqlite3.connect(data / "build-state.db")
    stated = dict(state.execute("SELECT sha256, published FROM page_dates").fetchall())
    state.close()
    assert {sha: stated[sha] for sha in pages} == {
        r["page_sha256"]: r["published"] for r in published if r["published"]
    }
    for sha in pages:
        RawStore(data).path(sha).unlink()
    build(data, sources_dir=built["sources"])
    conn = sqlite3.connect(data / "archive.db")
    again = conn.execute(
        "SELECT report_id, page_sha256, published, how, late FROM report_publication"
        " ORDER BY report_id"
    ).fetchall()
    conn.close()
    assert again == [tuple(r) for r in published]


def test_missing_years_are_exactly_the_uncovered_ones(built: dict[str, Any]) -> None:
    truth: Truth = built["truth"]
    found = {
        (r["source_id"], r["body_name"], r["year"])
        for r in rows(built, "SELECT * FROM missing_reports")
    }
    assert found == truth.missing
    assert ("yichun_shi", "宜春市人民政府", 2020) in found  # the skipped year


def test_cross_year_checks_find_every_case_and_nothing_else(built: dict[str, Any]) -> None:
    truth: Truth = built["truth"]
    checks = rows(built, "SELECT * FROM cross_checks")
    carry = {(r["body_name"], r["year"], r["scope"]) for r in checks if r["check_id"] == "X_CARRY"}
    in_force = {
        (r["body_name"], r["year"], r["scope"]) for r in checks if r["check_id"] == "X_IN_FORCE"
    }
    narrative = [r for r in checks if r["check_id"] == "X_NARRATIVE"]
    assert carry == truth.carry
    assert ("宜春市财政局", 2020, "natural_person") in carry  # the declared case
    assert in_force == truth.in_force
    assert {(r["body_name"], r["year"]) for r in narrative} == truth.narrative
    (case,) = narrative
    assert case["actual"] == case["expected"] + 5
    assert f"{int(case['actual'])}件" in case["text"]
    # Both reports are linked: last year's for X_CARRY.
    for r in checks:
        if r["check_id"] == "X_CARRY":
            assert r["other_report_id"].rsplit("-", 1)[1] == str(r["year"] - 1)


def test_a_report_on_two_portals_is_one_report_with_the_choice_shown(
    built: dict[str, Any],
) -> None:
    truth: Truth = built["truth"]
    ((body, year),) = truth.republished
    copies = rows(
        built,
        f"SELECT * FROM report_copies WHERE body_name = '{body}' AND year = {year} ORDER BY rank",
    )
    assert {r["source_id"] for r in copies} == set(PORTALS)
    assert copies[0]["chosen"] == 1 and copies[0]["choice_reason"]
    assert all(r["choice_reason"] is None for r in copies[1:])
    (report,) = rows(built, f"SELECT * FROM reports WHERE body_name = '{body}' AND year = {year}")
    assert report["documents"] == len(copies)


def test_the_edited_page_keeps_both_versions_and_what_changed(built: dict[str, Any]) -> None:
    versions = rows(built, "SELECT * FROM report_versions ORDER BY url, version")
    assert {r["url"] for r in versions} == {built["edited_url"]}
    assert [r["version"] for r in versions] == [1, 2]
    assert versions[1]["previous_sha256"] == versions[0]["sha256"]
    assert versions[0]["first_seen"] < versions[1]["first_seen"]
    # The edit (fixture switch edit_report) appends a note: "（本文于2025年更新1次：…）".
    changes = rows(built, "SELECT * FROM version_changes")
    assert changes and all(r["version"] == 2 for r in changes)
    assert any(r["what"] == "section" and "更新1次" in r["after"] for r in changes)
    assert not any("更新1次" in (r["before"] or "") for r in changes)
    assert versions[1]["cells_changed"] == 0 and versions[1]["sections_changed"] >= 1


def test_quality_scores_rank_every_report(built: dict[str, Any]) -> None:
    truth: Truth = built["truth"]
    quality = {(r["body_name"], r["year"]): r for r in rows(built, "SELECT * FROM report_quality")}
    assert set(quality) == truth.reports
    assert all(0 <= r["score"] <= 100 for r in quality.values())
    for key in truth.late:
        assert quality[key]["on_time"] == 0
    for key in truth.on_time:
        assert quality[key]["on_time"] == 20
    ((body, year),) = truth.narrative
    assert quality[(body, year)]["checks"] < 20
    for key in {(b, y) for b, y, _ in truth.carry}:
        assert quality[key]["consistent"] < 20
    for year in {y for _, y in truth.reports}:
        ranks = sorted(r["rank_in_year"] for r in quality.values() if r["year"] == year)
        assert ranks[0] == 1
