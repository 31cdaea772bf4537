"""The site in a real browser: Debian's Chromium driven by Playwright (no browser download).

Each page must load with no console error and no request leaving 127.0.0.1
(every non-loopback request is blocked and recorded, so a CDN dependency fails
the test instead of silently working online). Screenshots are saved under
``test-artifacts/site/`` for people to look at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from archive import schema
from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "site"


class Visit:
    """A page with its console errors and the off-loopback requests it tried."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.route("**/*", self._route)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def _route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, url

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.external == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make setup` (.ci/setup)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield Visit(context.new_page())
    context.close()


def test_home_page(visit: Visit, site_url: str) -> None:
    visit.open(site_url + "/")
    assert "政府信息公开工作年度报告档案库" in visit.page.title() + visit.page.content()
    visit.shot("home")
    visit.assert_clean()


def test_faceted_table(visit: Visit, site_url: str) -> None:
    visit.open(site_url + "/archive/reports")
    facets = visit.page.locator(".facet-info")
    assert facets.count() == 4
    assert "year" in visit.page.locator(".facet-info").first.inner_text()
    visit.page.locator(".facet-info").first.locator("a").first.click()
    visit.page.wait_for_load_state("networkidle")
    assert "year=" in visit.page.url
    visit.shot("faceted_table")
    visit.assert_clean()


def test_a_wide_table_shows_its_rows_before_its_column_descriptions(
    visit: Visit, site_url: str
) -> None:
    """requests has ~190 described columns: folded, the rows start on the first screen."""
    visit.open(site_url + "/archive/requests")
    folded = visit.page.locator("details.column-descriptions")
    assert folded.count() == 1
    columns = len(schema.TABLES_BY_NAME["requests"].columns)
    assert f"({columns})" in folded.locator("summary").inner_text()
    assert not folded.locator("dl").is_visible()
    table = visit.page.locator("table.rows-and-columns")
    box = table.bounding_box()
    assert box is not None and box["y"] < 900, box
    folded.locator("summary").click()
    assert folded.locator("dt", has_text="new_received__total").is_visible()
    visit.shot("wide_table")
    visit.assert_clean()


def test_two_character_search_from_the_search_box(
    visit: Visit, site_url: str, site_data: SiteData
) -> None:
    with sqlite3.connect(f"file:{site_data.path / 'archive.db'}?mode=ro", uri=True) as conn:
        ids = [
            r[0]
            for r in conn.execute("select id from sections where text like '%复议%' order by id")
        ]
    expected = len(ids)
    assert expected > 0
    # The home page's search box: the search page with the passages.
    visit.open(site_url + "/")
    visit.page.fill('input[name="q"]', "复议")
    visit.page.press('input[name="q"]', "Enter")
    visit.page.wait_for_load_state("networkidle")
    assert "/-/search?q=" in visit.page.url
    assert visit.page.inner_text(".search-count strong") == str(expected)
    assert visit.page.locator("mark").first.inner_text() == "复议"
    visit.shot("search_page")
    # The table's own search box, as a user types into it.
    visit.open(site_url + "/archive/sections")
    visit.page.fill('input[name="_search"]', "复议")
    visit.page.press('input[name="_search"]', "Enter")
    visit.page.wait_for_load_state("networkidle")
    assert "_search=" in visit.page.url
    # The box asks for the streamed page (no count): the first matches, in id order.
    assert "_nocount=1" in visit.page.url
    assert 'search matches "复议"' in visit.page.inner_text("h3")
    shown = [int(text) for text in visit.page.locator("td.col-id").all_inner_texts()]
    assert shown and shown == ids[: len(shown)]
    visit.shot("search_two_characters")
    visit.assert_clean()


def test_canned_query(visit: Visit, site_url: str) -> None:
    visit.open(site_url + "/archive/most_requests?year=2020&province=&level=")
    rows = visit.page.locator("table.rows-and-columns tbody tr")
    assert rows.count() > 0
    visit.page.locator("table.rows-and-columns tbody tr a").first.click()
    visit.page.wait_for_load_state("networkidle")
    assert "/archive/reports/" in visit.page.url
    visit.shot("canned_query_report")
    visit.open(site_url + "/archive/most_requests?year=2020&province=&level=")
    visit.shot("canned_query")
    visit.assert_clean()


def test_charts_render_offline(visit: Visit, site_url: str) -> None:
    visit.open(site_url + "/-/charts")
    charts = visit.page.locator(".chart[data-spec]")
    assert charts.count() == 13  # 6 + one per across-report concept (issue 6)
    visit.page.wait_for_function(
        "[...document.querySelectorAll('.chart')].every(c => c.dataset.rendered)",
        timeout=30_000,
    )
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("data-rendered") not in (None, "error", "0")
        assert chart.locator("svg .mark-rect, svg .mark-symbol, svg .mark-line").count() > 0
    visit.shot("charts")
    visit.assert_clean()


def test_report_page_highlights_failing_checks(
    visit: Visit, site_url: str, site_data: SiteData
) -> None:
    with sqlite3.connect(f"file:{site_data.path / 'archive.db'}?mode=ro", uri=True) as conn:
        (report_id,) = conn.execute(
            "select report_id from failed_checks where check_id = 'T3_BALANCE' limit 1"
        ).fetchone()
    visit.open(f"{site_url}/archive/reports/{quote(report_id)}")
    assert visit.page.locator("#table3 table").count() == 1
    assert visit.page.locator("#table4 table").count() == 1
    failing = visit.page.locator("td.failing")
    assert failing.count() > 0
    background = failing.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(253, 226, 225)"  # report.css loaded and applied
    assert visit.page.locator("#checks").is_visible()
    visit.shot("report_page")
    visit.assert_clean()


def test_archived_page_scripts_never_run(visit: Visit, site_url: str, site_data: SiteData) -> None:
    visit.open(f"{site_url}/-/archived/{site_data.hostile_sha256}")
    assert "PWNED" not in visit.page.title()
    assert visit.page.evaluate("() => window.origin") == "null"  # sandboxed: opaque origin
    visit.shot("archived_copy")
    # The only console noise allowed is the browser reporting what the policy blocked
    # (the script, the page's own stylesheets and images).
    assert all("Content Security Policy" in e or "sandbox" in e for e in visit.errors), visit.errors
    assert visit.external == []
