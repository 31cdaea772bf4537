"""Fixtures for the site tests: a real archive built from crawled-looking documents, served.

``site_data`` is a data directory made the way a crawl makes one: report pages
(rendered from the bundled report specs, three portal styles, one GBK) and a
broken attachment go into the raw store, each with a capture in the crawler's
ledger; then the real ``xxgk build`` code parses and publishes ``archive.db``.
``site_url`` serves it with the real ``xxgk serve`` (Datasette over HTTP on
127.0.0.1, a free port), stopped at the end of the session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.build import build
from archive.ledger import Capture, Ledger
from archive.site import running_site
from archive.store import RawStore
from crawler.fixture_portals.render_html import render_report_html
from crawler.fixture_portals.reports import seed_reports, synthetic_reports

PORTAL = "http://127.0.0.2"
SOURCE_ID = "zhangshu_shi"
# A report page whose scripts must never run in the site's origin.
HOSTILE_SCRIPT = b"<script>document.title='PWNED';window.parent.postMessage('PWNED','*')</script>"


@dataclass
class SiteData:
    """The built data directory and what went into it."""

    path: Path
    specs: list[dict[str, Any]]
    documents: dict[str, bytes]  # sha256 → bytes
    urls: dict[str, str]  # sha256 → original URL
    hostile_sha256: str
    broken_sha256: str

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path / 'archive.db'}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn


def _record(
    ledger: Ledger,
    store: RawStore,
    url: str,
    body: bytes,
    content_type: str,
    kind: str,
    title: str | None,
) -> str:
    sha256 = store.put(body)
    ledger.record_capture(
        Capture(
            run_id="site-tests",
            url=url,
            source_id=SOURCE_ID,
            final_url=url,
            status=200,
            headers={"Content-Type": [content_type]},
            sha256=sha256,
            size=len(body),
            content_type=content_type,
            kind=kind,
            parent_url=f"{PORTAL}/col/col1/index.html",
            title=title,
        )
    )
    return sha256


@pytest.fixture(scope="session")
def site_data(tmp_path_factory: pytest.TempPathFactory) -> SiteData:
    data = tmp_path_factory.mktemp("site-data")
    specs = seed_reports() + synthetic_reports(24, seed=11)
    store = RawStore(data)
    ledger = Ledger.open(data)
    ledger.start_run("site-tests", spider="fixture", sources=[SOURCE_ID])
    documents: dict[str, bytes] = {}
    urls: dict[str, str] = {}
    styles = ("trs", "hanweb", "gkmlpt")
    for i, spec in enumerate(specs):
        encoding = "gbk" if i % 7 == 3 else "utf-8"
        body = render_report_html(spec, style=styles[i % 3], encoding=encoding)
        if i == 1:
            body = body.replace(b"</body>", HOSTILE_SCRIPT + b"</body>", 1)
        url = f"{PORTAL}/art/{spec.get('year') or 2020}/{i:03d}/art_{i:03d}.html"
        sha = _record(
            ledger, store, url, body, f"text/html; charset={encoding}", "report", spec.get("title")
        )
        documents[sha] = body
        urls[sha] = url
        if i == 1:
            hostile = sha
    broken = b"%PDF-1.4\n% not really a PDF \x00\x01\x02\xff"
    broken_url = f"{PORTAL}/attach/broken.pdf"
    broken_sha = _record(ledger, store, broken_url, broken, "application/pdf", "attachment", "附件")
    documents[broken_sha] = broken
    urls[broken_sha] = broken_url
    ledger.finish_run("site-tests", status="finished", exit_code=0, summary={})
    ledger.close()
    build(data, jobs=1)
    return SiteData(data, specs, documents, urls, hostile, broken_sha)


@pytest.fixture(scope="session")
def site_url(site_data: SiteData) -> Iterator[str]:
    """``xxgk serve`` on the built archive, as a user runs it."""
    command = ("serve", "--data-dir", str(site_data.path))
    with running_site(command, log=site_data.path / "serve.log") as site:
        yield site.url


@pytest.fixture(scope="session")
def client(site_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site_url, timeout=30) as http:
        yield http
