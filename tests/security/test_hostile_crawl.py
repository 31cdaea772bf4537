"""The crawler against the hostile portal, beside a normal portal, end to end.

One real crawl (``xxgk crawl`` in a subprocess, real Scrapy) of two sources: the
hostile portal (``crawler/fixture_portals/families/hostile.py``) and a normal
portal of the fixture network. The configured limits are small so the run is
short: 20 s per download, 20 MB per response, 25 list pages and 150 documents per
source. Assertions read the network's request log, the crawl ledger and the
raw store; then the archive is built, and the site serves it (see
``test_hostile_archive.py``).
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crawler.fixture_portals.families import hostile
from crawler.run import crawl_command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NORMAL = "yanan_shi_jiaoyu_ju"  # a small normal portal: 9 reports, GBK pages
MAX_LIST_PAGES = 25
MAX_DOCUMENTS = 150
MAX_BYTES = 20 * 1024 * 1024
SETTINGS = [
    "DOWNLOAD_DELAY=0",
    "DOWNLOAD_DELAY_JITTER=0",
    "AUTOTHROTTLE_ENABLED=false",
    "DOWNLOAD_TIMEOUT=20",
    f"DOWNLOAD_MAXSIZE={MAX_BYTES}",
    f"DOWNLOAD_WARNSIZE={MAX_BYTES // 2}",
    "RETRY_TIMES=0",
    f"XXGK_MAX_LIST_PAGES={MAX_LIST_PAGES}",
    f"XXGK_MAX_DOCUMENTS={MAX_DOCUMENTS}",
    "XXGK_MAX_LINKS_PER_PAGE=500",
    "CLOSESPIDER_TIMEOUT=400",
]


def ledger(data: Path) -> sqlite3.Connection:
    db = sqlite3.connect(data / "crawl.db")
    db.row_factory = sqlite3.Row
    return db


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from crawler.fixture_portals.server import FixtureNetwork

    data = tmp_path_factory.mktemp("hostile-data")
    sources = tmp_path_factory.mktemp("hostile-sources")
    hostile.gzip_bomb(), hostile.docx_bomb(), hostile.xss_report_page()  # built before serving
    with FixtureNetwork(port=0, log_path=data / "portals.jsonl") as net:
        portal = net.portal("hostile_portal")
        assert isinstance(portal, hostile.HostilePortal)
        (sources / "hostile_portal.yml").write_text(portal.source_yaml(net.port), encoding="utf-8")
        (sources / f"{NORMAL}.yml").write_text(net.sources()[NORMAL], encoding="utf-8")
        normal_pages = {item.path for item in net.portal(NORMAL).listed_items()}
        net.expected_documents([NORMAL])  # renders its attachments before the crawl asks
        command = crawl_command(
            "--data-dir",
            str(data),
            "--sources-dir",
            str(sources),
            "--quiet",
            "hostile_portal",
            NORMAL,
        )
        for setting in SETTINGS:
            command += ["-s", setting]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        log = list(net.log)
    yield {"data": data, "done": done, "log": log, "normal_pages": normal_pages}


def requests_to(crawled: dict[str, Any], portal: str) -> list[dict[str, Any]]:
    return [e for e in crawled["log"] if e["portal"] == portal]


def captures(crawled: dict[str, Any], source: str) -> list[sqlite3.Row]:
    with ledger(crawled["data"]) as db:
        return db.execute("SELECT * FROM captures WHERE source_id=?", (source,)).fetchall()


def test_the_crawl_finishes_and_reports_the_hostile_source_as_failed(
    crawled: dict[str, Any],
) -> None:
    done = crawled["done"]
    assert done.returncode in (0, 1), done.stdout + done.stderr[-3000:]
    with ledger(crawled["data"]) as db:
        rows = {r["source_id"]: r for r in db.execute("SELECT * FROM run_sources")}
    assert rows[NORMAL]["status"] == "ok", dict(rows[NORMAL])
    assert rows["hostile_portal"]["status"] == "failed"
    assert rows["hostile_portal"]["note"]


def test_the_other_source_is_crawled_completely(crawled: dict[str, Any]) -> None:
    fetched = {e["path"] for e in requests_to(crawled, NORMAL) if e["status"] == 200}
    missing = crawled["normal_pages"] - fetched
    assert not missing, sorted(missing)
    archived = {r["url"].split(":", 2)[-1].split("/", 1)[-1] for r in captures(crawled, NORMAL)}
    assert all(p.lstrip("/") in archived for p in crawled["normal_pages"])


def test_no_request_leaves_the_allow_list(crawled: dict[str, Any]) -> None:
    # Redirects (302, meta refresh, JavaScript) point at the other loopback host.
    assert requests_to(crawled, "hostile_elsewhere") == []
    # Everything the crawl asked for was on loopback, on a host of one of its sources.
    hosts = {e["host"] for e in crawled["log"]}
    assert hosts <= {"127.0.0.30", "127.0.0.8"}


def test_refusals_are_recorded_with_their_reasons(crawled: dict[str, Any]) -> None:
    rows = captures(crawled, "hostile_portal")
    errors = {r["url"].rsplit("/", 1)[-1]: (r["error"] or "") for r in rows if r["error"]}
    assert "allow-list" in errors["art_offsite.html"], errors
    assert "allow-list" in errors["art_file.html"]
    assert "allow-list" in errors["art_refresh.html"]
    assert "redirect loop" in errors["art_loop_a.html"]
    # 2 GiB inflated: cut at DOWNLOAD_MAXSIZE while decompressing (or by the timeout on a busy machine).
    assert "DOWNLOAD_MAXSIZE" in errors["art_gzip.html"] or "took longer" in errors["art_gzip.html"]
    assert "larger than download max size" in errors["art_huge.pdf"]  # its Content-Length
    # Endless: cut at DOWNLOAD_MAXSIZE while streaming (Scrapy gives no message; we do).
    assert (
        "DOWNLOAD_MAXSIZE" in errors["art_endless.html"]
        or "took longer" in errors["art_endless.html"]
    )
    assert errors["art_slow.html"]
    budget = [e for e in errors.values() if "budget" in e]
    assert budget, "the 10,000-link page and the calendar trap must hit the budgets"
    run_log = "".join(p.read_text() for p in (crawled["data"] / "logs").glob("*.log"))
    assert "10000 links on one list page; only the first 500 followed" in run_log
    assert "document budget of 150 per source reached" in run_log


def test_traps_stop_at_the_configured_budgets(crawled: dict[str, Any]) -> None:
    hits = requests_to(crawled, "hostile_portal")
    lists = [e for e in hits if e["path"].startswith("/nb/")]
    documents = {e["path"] for e in hits if e["path"].startswith("/art/")}
    assert len(lists) <= MAX_LIST_PAGES
    assert len(documents) <= MAX_DOCUMENTS + 2  # + the loop's second page, + the DOCX attachment
    assert any(e["path"].startswith("/nb/cal/") for e in lists)  # it did enter the calendar
    # Bodies stay within the size limit: the endless answer is cut, the 2 GB one never read.
    assert all(e["bytes"] <= MAX_BYTES * 4 for e in hits if e["path"] != "/art/2023/art_gzip.html")


def test_the_slow_and_endless_answers_were_cut_by_the_timeout(crawled: dict[str, Any]) -> None:
    hits = {e["path"]: e for e in requests_to(crawled, "hostile_portal")}
    slow = hits["/art/2023/art_slow.html"]
    assert slow["bytes"] < 60  # one byte a second; the crawler hung up after its 20 s timeout


def test_no_file_ftp_or_data_url_was_fetched(crawled: dict[str, Any]) -> None:
    with ledger(crawled["data"]) as db:
        urls = [r[0] for r in db.execute("SELECT url FROM captures")]
        urls += [r[0] for r in db.execute("SELECT url FROM url_state")]
    assert not [u for u in urls if not u.startswith("http://")]
    passwd = Path("/etc/passwd").read_bytes()
    import hashlib

    blob = crawled["data"] / "raw" / hashlib.sha256(passwd).hexdigest()[:2]
    assert not (blob / hashlib.sha256(passwd).hexdigest()).exists()


# -- the archive built from the hostile crawl, served -----------------------------------

MARKERS = (
    "<script>document.title='PWNED'",
    "<img src=x onerror",
    "<script>window.PWNED",
    'href="javascript:',
    "<script>fetch(",
)


@pytest.fixture(scope="module")
def hostile_site(crawled: dict[str, Any]) -> Iterator[str]:
    from archive.build import build
    from archive.site import running_site

    data = crawled["data"]
    build(data, jobs=1)
    with running_site(("serve", "--data-dir", str(data)), log=data / "serve.log") as site:
        yield site.url


def archive_db(crawled: dict[str, Any]) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{crawled['data'] / 'archive.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def test_the_docx_bomb_is_a_failed_document_with_its_reason(
    crawled: dict[str, Any], hostile_site: str
) -> None:
    with archive_db(crawled) as db:
        rows = db.execute("SELECT url, error FROM parse_failures").fetchall()
    bomb = [r for r in rows if r["url"].endswith("/bomb.docx")]
    assert bomb and "zip bomb" in bomb[0]["error"], [dict(r) for r in rows]


def test_scraped_text_is_escaped_on_every_page(crawled: dict[str, Any], hostile_site: str) -> None:
    with archive_db(crawled) as db:
        xss = db.execute(
            "SELECT sha256, title FROM documents WHERE url LIKE '%art_xss.html'"
        ).fetchone()
        reports = [r[0] for r in db.execute("SELECT id FROM reports")]
    assert xss is not None and "{{ 7*7 }}" in (xss["title"] or "") + hostile.HOSTILE_TITLE
    pages = [
        "/archive/documents",
        "/archive/documents?_search=恶意县",
        "/archive/captures",
        "/archive/parse_failures",
        "/archive/reports",
        f"/archive/documents/{xss['sha256']}",
        *(f"/archive/reports/{rid}" for rid in reports[:5]),
    ]
    with httpx.Client(base_url=hostile_site, timeout=30) as http:
        for path in pages:
            answer = http.get(path)
            if answer.status_code == 404:
                continue
            assert answer.status_code == 200, path
            for marker in MARKERS:
                assert marker not in answer.text, (path, marker)


def test_archived_hostile_page_runs_no_script_in_a_browser(
    crawled: dict[str, Any], hostile_site: str
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.site.test_browser import CHROMIUM, CHROMIUM_FLAGS

    with archive_db(crawled) as db:
        sha = db.execute("SELECT sha256 FROM documents WHERE url LIKE '%art_xss.html'").fetchone()[
            0
        ]
        reports = [r[0] for r in db.execute("SELECT id FROM reports")]
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(hostile_site) else route.abort()
            ),
        )
        for path in [
            f"/-/archived/{sha}",
            "/archive/documents",
            *(f"/archive/reports/{r}" for r in reports[:3]),
        ]:
            page.goto(hostile_site + path, wait_until="load")
            page.wait_for_timeout(300)
            assert page.title() != "PWNED", path
            assert page.evaluate("() => typeof window.PWNED") == "undefined", path
        browser.close()
    assert dialogs == []
