"""The crawler against the fixture portal network, end to end, as the operator runs it.

Real Scrapy in a subprocess (``xxgk crawl``; the reactor cannot restart) against
the real fixture portals on loopback (``FixtureNetwork``); assertions read the
crawl ledger, the raw store and the portals' own request log. Politeness delays
are small (0.2 s, no jitter) so the module stays within a few minutes.

The runs build on each other in file order: a first full crawl, a second with
nothing changed, a third after one attachment is replaced and one report added.
Failure modes (WAF, robots.txt, chaos, kill -9) each crawl into a fresh data dir.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from crawler.run import crawl_command

pytestmark = pytest.mark.slow

DELAY = 0.2
SERVER_NOISE = 0.2
SETTINGS = [
    f"DOWNLOAD_DELAY={DELAY}",
    "DOWNLOAD_DELAY_JITTER=0",
    f"AUTOTHROTTLE_START_DELAY={DELAY}",
    "DOWNLOAD_TIMEOUT=4",
    "RETRY_TIMES=2",
]
ROOT = Path(__file__).resolve().parents[2]


# -- helpers ---------------------------------------------------------------------------


def crawl(
    data: Path, sources: Path, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    command = crawl_command("--data-dir", str(data), "--sources-dir", str(sources), "--quiet")
    for setting in SETTINGS:
        command += ["-s", setting]
    return subprocess.run(
        [*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def ledger(data: Path) -> sqlite3.Connection:
    db = sqlite3.connect(data / "crawl.db")
    db.row_factory = sqlite3.Row
    return db


def last_run_id(data: Path) -> str:
    with ledger(data) as db:
        return str(
            db.execute("SELECT id FROM runs ORDER BY started_at DESC, rowid DESC").fetchone()[0]
        )


def archived_sha256s(data: Path) -> set[str]:
    with ledger(data) as db:
        return {r[0] for r in db.execute("SELECT sha256 FROM captures WHERE sha256 IS NOT NULL")}


def assert_complete(data: Path, expected: list[dict[str, Any]]) -> None:
    """Every expected document's exact bytes are in the archive (and the raw store)."""
    got = archived_sha256s(data)
    missing = [f"{e['portal']} {e['kind']} {e['url']}" for e in expected if e["sha256"] not in got]
    assert not missing, f"{len(missing)} of {len(expected)} not archived: {missing[:10]}"
    for e in expected:
        blob = data / "raw" / e["sha256"][:2] / e["sha256"]
        assert blob.stat().st_size == e["size"]


def assert_no_duplicate_captures(data: Path, run_id: str) -> None:
    """Within a run, no request was successfully fetched twice (resumes included)."""
    with ledger(data) as db:
        rows = db.execute(
            "SELECT fingerprint, url, COUNT(*) AS n FROM captures WHERE run_id=?"
            " AND change NOT IN ('failed', 'blocked') GROUP BY fingerprint HAVING n > 1",
            (run_id,),
        ).fetchall()
    assert not rows, [dict(r) for r in rows]


def by_host(log: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    hosts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in sorted(log, key=lambda e: e["time_start"]):
        hosts[entry["host"]].append(entry)
    return hosts


# -- the network and the runs that build on each other --------------------------------


@pytest.fixture(scope="module")
def first_run(network: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("data")
    network.reset_switches()
    network.clear_log()
    expected = network.expected_documents()
    done = crawl(data, network.sources_dir)
    return {"data": data, "result": done, "log": list(network.log), "expected": expected}


@pytest.fixture(scope="module")
def second_run(network: Any, first_run: dict[str, Any]) -> dict[str, Any]:
    network.clear_log()
    done = crawl(first_run["data"], network.sources_dir)
    return {"result": done, "log": list(network.log), "run_id": last_run_id(first_run["data"])}


@pytest.fixture(scope="module")
def third_run(network: Any, first_run: dict[str, Any], second_run: Any) -> dict[str, Any]:
    portal = "zhangshu_shi"
    before = {e["url"]: e["sha256"] for e in network.expected_documents([portal])}
    network.set_switch(portal, "replace_attachment", 1)
    network.set_switch(portal, "add_report", 1)
    try:
        after = network.expected_documents()
        changed = {
            e["url"] for e in after if e["portal"] == portal and before.get(e["url"]) != e["sha256"]
        }
        network.clear_log()
        done = crawl(first_run["data"], network.sources_dir)
    finally:
        network.reset_switches()
    return {
        "result": done,
        "changed": changed,
        "expected": after,
        "run_id": last_run_id(first_run["data"]),
    }


# -- a complete first crawl ---------------------------------------------------------------


def test_first_run_archives_every_document_exactly_once(first_run: dict[str, Any]) -> None:
    done, data = first_run["result"], first_run["data"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert_complete(data, first_run["expected"])
    run_id = last_run_id(data)
    assert_no_duplicate_captures(data, run_id)
    with ledger(data) as db:
        new_per_url = Counter(
            r["url"]
            for r in db.execute(
                "SELECT url FROM captures WHERE run_id=? AND change='new'", (run_id,)
            )
        )
        sources = db.execute("SELECT * FROM run_sources WHERE run_id=?", (run_id,)).fetchall()
    assert max(new_per_url.values()) == 1
    documents = {e["url"] for e in first_run["expected"]}
    assert documents <= set(new_per_url)
    assert {s["status"] for s in sources} == {"ok"}
    assert sum(s["new"] for s in sources) >= len(first_run["expected"])
    assert "run " in done.stdout and "finished" in done.stdout


def test_captures_record_what_each_fetch_was(network: Any, first_run: dict[str, Any]) -> None:
    with ledger(first_run["data"]) as db:
        rows = db.execute("SELECT * FROM captures").fetchall()
    kinds = Counter(r["kind"] for r in rows)
    assert (
        kinds["robots"] == len(network.portals)
        and kinds["list"] >= 2 * len(network.portals)
        and kinds["attachment"] > 50
    )
    for row in rows:
        assert row["fetched_at"].endswith("Z") and row["status"] and row["headers"]
        if row["status"] == 200:
            assert row["sha256"] and row["size"] is not None
    html = [r for r in rows if r["content_type"] and "html" in r["content_type"]]
    assert all(r["used_encoding"] for r in html)
    # The GBK portal whose header says utf-8 is read as GB18030, and says so.
    yanan = [r for r in html if "127.0.0.8" in r["url"] and r["kind"] == "report"]
    assert yanan and all(r["used_encoding"] == "gb18030" for r in yanan)
    assert any(r["declared_encoding"] == "utf-8|gbk" for r in yanan)
    titled = [r for r in rows if r["kind"] == "report" and r["title"]]
    assert titled and all("年" in r["title"] for r in titled)


def test_politeness_seen_from_the_servers_log(network: Any, first_run: dict[str, Any]) -> None:
    hosts = by_host(first_run["log"])
    # Every portal was crawled, and nothing else: report pages link off-domain
    # mirrors (127.0.0.20), which are never followed.
    assert set(hosts) == {p.spec.host for p in network.portals.values()}
    for host, entries in hosts.items():
        assert entries[0]["path"] == "/robots.txt", host
        assert sum(e["path"] == "/robots.txt" for e in entries) == 1
        gaps = []
        for before, after in zip(entries, entries[1:], strict=False):
            assert after["time_start"] >= before["time_end"], f"{host}: two requests at once"
            gaps.append(after["time_start"] - before["time_start"])
        # The server sees each request somewhat after the crawler sent it (a new
        # connection on a loaded 2-core machine: up to ~0.2 s), so one gap can look
        # shorter by that much; over any 5 requests that noise is paid only once.
        starts = [e["time_start"] for e in entries]
        for i in range(len(starts) - 4):
            span = starts[i + 4] - starts[i]
            assert span >= 4 * DELAY - SERVER_NOISE, f"{host}: 5 requests in {span:.3f}s"
        assert sum(gaps) / len(gaps) >= DELAY, f"{host}: delay not held on average"
        assert all("xxgk-archive" in e["headers"].get("User-Agent", "") for e in entries)


# -- incremental runs ---------------------------------------------------------------------


def test_second_run_downloads_no_body_again(
    first_run: dict[str, Any], second_run: dict[str, Any]
) -> None:
    done = second_run["result"]
    assert done.returncode == 0, done.stdout + done.stderr
    data, run_id = first_run["data"], second_run["run_id"]
    with ledger(data) as db:
        changes = Counter(
            r["change"]
            for r in db.execute(
                "SELECT change FROM captures WHERE run_id=? AND kind IN"
                " ('report', 'attachment', 'other')",
                (run_id,),
            )
        )
        bodies = db.execute("SELECT COUNT(DISTINCT sha256) FROM captures").fetchone()[0]
        without_validators = db.execute(
            "SELECT COUNT(*) FROM url_state WHERE kind IN ('report', 'attachment', 'other')"
            " AND etag IS NULL AND last_modified IS NULL"
        ).fetchone()[0]
    assert changes["new"] == 0 and changes["changed"] == 0 and changes["failed"] == 0
    # Every document was re-checked with a conditional request (304), except those
    # whose server sends no validators (re-checked weekly, not nightly).
    documents = {e["url"] for e in first_run["expected"]}
    assert changes["not_modified"] == len(documents) - without_validators
    assert without_validators < 0.1 * len(documents)
    with ledger(data) as db:
        downloaded = db.execute(
            "SELECT kind, COUNT(*) FROM captures WHERE run_id=? AND status=200 GROUP BY kind",
            (run_id,),
        ).fetchall()
    assert dict(downloaded).keys() <= {"robots", "list"}, dict(downloaded)
    answered_with_body = sum(1 for e in second_run["log"] if e["status"] == 200)
    assert answered_with_body == sum(n for _kind, n in downloaded)
    requests = len(second_run["log"])
    assert requests <= 1.1 * bodies, f"{requests} requests for {bodies} bodies"


def test_replaced_attachment_and_added_report_are_exactly_the_new_ones(
    first_run: dict[str, Any], third_run: dict[str, Any]
) -> None:
    done = third_run["result"]
    assert done.returncode == 0, done.stdout + done.stderr
    data, run_id = first_run["data"], third_run["run_id"]
    with ledger(data) as db:
        fresh = {
            r["url"]: r["change"]
            for r in db.execute(
                "SELECT url, change FROM captures WHERE run_id=? AND change IN ('new', 'changed')"
                " AND kind IN ('report', 'attachment', 'other')",
                (run_id,),
            )
        }
        versions = {
            r["url"]: r["versions"]
            for r in db.execute(
                "SELECT url, versions FROM url_state WHERE versions > 1 AND kind <> 'list'"
            )
        }
    assert set(fresh) == third_run["changed"]
    assert sorted(fresh.values()) in (["changed", "new"], ["changed", "new", "new"])
    replaced = next(url for url, change in fresh.items() if change == "changed")
    assert versions == {replaced: 2}  # the old version stays, the new one is added
    assert_complete(data, third_run["expected"])


# -- failure modes ------------------------------------------------------------------------


def only(network: Any, tmp: Path, *portals: str) -> Path:
    directory = tmp / "sources"
    directory.mkdir()
    for pid in portals:
        (directory / f"{pid}.yml").write_text(network.sources()[pid], encoding="utf-8")
    return directory


def test_waf_challenge_blocks_the_host_for_the_run(network: Any, tmp_path: Path) -> None:
    sources = only(network, tmp_path, "zhangshu_shi", "shaoyang_shi")
    network.reset_switches()
    network.set_switch("zhangshu_shi", "waf", "jsl521")
    network.set_switch("zhangshu_shi", "waf_after", 4)
    network.clear_log()
    try:
        done = crawl(tmp_path / "data", sources)
    finally:
        network.reset_switches()
    assert done.returncode == 1
    assert "blocked" in done.stdout and "Jiasule" in done.stdout
    entries = by_host(network.log)["127.0.0.2"]
    first_challenge = next(
        i for i, e in enumerate(entries) if (e["failure"] or "").startswith("waf")
    )
    assert first_challenge == len(entries) - 1, "requests were sent after the challenge"
    with ledger(tmp_path / "data") as db:
        block = db.execute("SELECT * FROM blocks").fetchone()
        statuses = {r["source_id"]: r["status"] for r in db.execute("SELECT * FROM run_sources")}
        dropped = db.execute("SELECT COUNT(*) FROM captures WHERE change='blocked'").fetchone()[0]
    assert block["host"] == "127.0.0.2" and block["status"] == 521
    assert "__jsl_clearance" in block["snippet"] or "document.cookie" in block["snippet"]
    assert (tmp_path / "data" / "raw" / block["sha256"][:2] / block["sha256"]).exists()
    assert statuses == {"zhangshu_shi": "blocked", "shaoyang_shi": "ok"}
    assert dropped >= 1


@pytest.mark.parametrize("robots", ["5xx", "challenge", "disallow_all"])
def test_robots_txt_is_obeyed_and_an_error_means_not_tonight(
    network: Any, tmp_path: Path, robots: str
) -> None:
    sources = only(network, tmp_path, "shaoyang_shi")
    network.reset_switches()
    network.set_switch("shaoyang_shi", "robots", robots)
    network.clear_log()
    try:
        done = crawl(tmp_path / "data", sources)
    finally:
        network.reset_switches()
    assert done.returncode == 1
    paths = {e["path"] for e in network.log}
    assert paths == {"/robots.txt"}, paths
    with ledger(tmp_path / "data") as db:
        status = db.execute("SELECT status, note FROM run_sources").fetchone()
    assert status["status"] == ("failed" if robots == "disallow_all" else "blocked")
    assert "robots" in (status["note"] or "")


def test_random_failures_then_resume_archive_everything(network: Any, tmp_path: Path) -> None:
    network.reset_switches()
    for pid in network.portals:
        network.set_switch(pid, "chaos", 0.1)
        network.set_switch(pid, "chaos_seed", 7)
        network.set_switch(pid, "chaos_timeout", 5)
    data = tmp_path / "data"
    try:
        expected = network.expected_documents()
        network.clear_log()
        # No retries in the first run, so plenty is left for the resume to mend. The
        # resume retries up to 5 times so that the test never depends on luck (a
        # document is lost only when every attempt fails: 0.1^6 here; with the
        # default 2 retries in both runs, 0.1^6 as well).
        first = crawl(data, network.sources_dir, "-s", "RETRY_TIMES=0")
        failures = Counter(e["failure"] for e in network.log if e["failure"])
        after_first = archived_sha256s(data)
        resumed = crawl(data, network.sources_dir, "--resume", "-s", "RETRY_TIMES=5")
    finally:
        network.reset_switches()
    assert set(failures) >= {"5xx", "reset", "timeout", "truncate"}, failures
    assert first.returncode == 1 and "errors" in first.stdout
    assert any(e["sha256"] not in after_first for e in expected)
    assert_complete(data, expected)
    run_id = last_run_id(data)
    assert_no_duplicate_captures(data, run_id)
    with ledger(data) as db:
        runs = db.execute("SELECT id, attempts FROM runs").fetchall()
    assert [tuple(r) for r in runs] == [(run_id, 2)], "the resume continued the same run"
    assert resumed.returncode in (0, 1)


def test_kill_9_mid_run_then_resume_loses_nothing(network: Any, tmp_path: Path) -> None:
    network.reset_switches()
    data = tmp_path / "data"
    expected = network.expected_documents()
    command = crawl_command(
        "--data-dir", str(data), "--sources-dir", str(network.sources_dir), "--quiet"
    )
    for setting in SETTINGS:
        command += ["-s", setting]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (data / "crawl.db").exists():
                with ledger(data) as db:
                    try:
                        count = db.execute("SELECT COUNT(*) FROM captures").fetchone()[0]
                    except sqlite3.OperationalError:
                        continue
                if count >= 120:
                    break
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    with ledger(data) as db:
        assert db.execute("SELECT status FROM runs").fetchone()[0] == "running"
    before = archived_sha256s(data)
    assert len(before) < len(expected)
    resumed = crawl(data, network.sources_dir, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_complete(data, expected)
    assert_no_duplicate_captures(data, last_run_id(data))
    with ledger(data) as db:
        summary = json.loads(db.execute("SELECT summary FROM runs").fetchone()[0])
    assert summary["replayed"] >= 100  # what the killed process fetched was not fetched again


# -- content failure modes: named, never archived as content ------------------------------


@pytest.mark.parametrize(
    ("switch", "value", "note"),
    [
        ("path_drift", "redirect_home", "redirected to the home page"),
        ("path_drift", "404", "HTTP 404"),
        ("layout_change", True, "no items"),
    ],
)
def test_a_broken_column_fails_the_source_loudly(
    network: Any, tmp_path: Path, switch: str, value: Any, note: str
) -> None:
    sources = only(network, tmp_path, "zhangshu_shi")
    network.reset_switches()
    network.set_switch("zhangshu_shi", switch, value)
    try:
        done = crawl(tmp_path / "data", sources)
    finally:
        network.reset_switches()
    assert done.returncode == 1
    with ledger(tmp_path / "data") as db:
        row = db.execute("SELECT * FROM run_sources").fetchone()
        walked = db.execute("SELECT COUNT(*) FROM source_state").fetchone()[0]
    assert row["status"] == "failed" and note in (row["note"] or ""), dict(row)
    assert walked == 0  # an incomplete walk never lets paging stop early later


def test_soft_404_pages_are_errors_not_reports(network: Any, tmp_path: Path) -> None:
    sources = only(network, tmp_path, "beijing_shi_chaoyang_qu")
    network.reset_switches()
    network.set_switch("beijing_shi_chaoyang_qu", "soft404", "error_text")
    try:
        done = crawl(tmp_path / "data", sources)
    finally:
        network.reset_switches()
    assert done.returncode == 1
    with ledger(tmp_path / "data") as db:
        reports = db.execute(
            "SELECT change, error, sha256 FROM captures WHERE kind='report'"
        ).fetchall()
        states = db.execute(
            "SELECT COUNT(*) FROM url_state WHERE kind='report' AND sha256 IS NOT NULL"
        ).fetchone()[0]
    assert reports and all(r["change"] == "failed" for r in reports)
    assert all(r["error"].startswith("soft 404") for r in reports)
    assert all(r["sha256"] for r in reports)  # the error page itself is kept as evidence
    assert states == 0  # but it is never taken for the report


def test_catalogue_total_changing_mid_walk_loses_nothing(network: Any, tmp_path: Path) -> None:
    sources = only(network, tmp_path, "ningbo_shi_jiangbei_qu")
    network.reset_switches()
    network.set_switch("ningbo_shi_jiangbei_qu", "total_change", True)
    try:
        done = crawl(tmp_path / "data", sources)
        expected = network.expected_documents(["ningbo_shi_jiangbei_qu"])
    finally:
        network.reset_switches()
    assert done.returncode == 0, done.stdout
    assert_complete(tmp_path / "data", expected)


def test_items_dropping_out_of_the_list_stay_archived(network: Any, tmp_path: Path) -> None:
    sources = only(network, tmp_path, "guojia_shichang_jiandu_guanli_zongju")
    network.reset_switches()
    expected = network.expected_documents(["guojia_shichang_jiandu_guanli_zongju"])
    assert crawl(tmp_path / "data", sources).returncode == 0
    network.set_switch("guojia_shichang_jiandu_guanli_zongju", "drop_items", 5)
    network.set_switch("guojia_shichang_jiandu_guanli_zongju", "edit_report", 1)
    try:
        edited = network.expected_documents(["guojia_shichang_jiandu_guanli_zongju"])
        done = crawl(tmp_path / "data", sources)
    finally:
        network.reset_switches()
    assert done.returncode == 0, done.stdout
    assert_complete(tmp_path / "data", expected)  # the old versions and the dropped items
    assert_complete(tmp_path / "data", edited)  # and the edited page's new version
    with ledger(tmp_path / "data") as db:
        changed = db.execute(
            "SELECT COUNT(*) FROM captures WHERE change='changed' AND kind='report'"
        ).fetchone()[0]
        listed = db.execute("SELECT COUNT(*) FROM listings").fetchone()[0]
    assert changed == 1
    assert listed >= len({e["url"] for e in expected if e["kind"] == "report"})
