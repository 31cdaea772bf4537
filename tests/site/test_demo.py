"""``xxgk demo`` end to end: fixture portal → crawl → build → site, as `make demo` runs it.

One portal keeps it short; the site must then serve that portal's reports,
each report page showing the numbers of the document it came from, with a
working link to the original on the fixture portal and to our archived copy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from parsers import DocumentMeta, parse_document
from parsers.template import COLUMNS
from tests.site.conftest import free_port

pytestmark = pytest.mark.slow

PORTAL = "zhangshu_shi"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("demo")
    port = free_port()
    log = (data / "demo.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archive.cli",
            "demo",
            "--data-dir",
            str(data / "d"),
            "--port",
            str(port),
            "--portals-port",
            "0",
            "--portal",
            PORTAL,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while True:
            try:
                if httpx.get(url + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError("xxgk demo did not serve:\n" + (data / "demo.log").read_text())
            time.sleep(1)
        yield url, data / "d"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_demo_serves_the_crawled_reports(demo_site: tuple[str, Path]) -> None:
    url, data = demo_site
    with httpx.Client(base_url=url, timeout=30) as client:
        reports = client.get("/archive/reports.json?_shape=array&_size=max").json()
        assert len(reports) >= 10
        assert {r["province"] for r in reports} == {"江西"}
        checked = 0
        for report in reports:
            sha = report["document_sha256"]
            original = report["url"]
            assert original.startswith("http://127.0.0.2:")
            page = client.get(f"/archive/reports/{report['id']}")
            assert page.status_code == 200
            assert f'href="{original}"' in page.text
            archived = client.get(f"/-/archived/{sha}")
            assert archived.status_code == 200
            # The original is still served by the fixture portal while the demo runs.
            assert httpx.get(original, timeout=30).status_code == 200
            parsed = parse_document(archived.content, DocumentMeta(url=original))
            cells = {
                td.get("data-cell"): td.text_content().strip()
                for td in lxml_html.fromstring(page.text).xpath("//td[@data-cell]")
            }
            for key, values in parsed.requests.items():
                for column, cell in zip(COLUMNS, values, strict=True):
                    value = "" if cell.value is None else str(cell.value)
                    assert cells[f"requests/{key}/{column}"] == value, (report["id"], key, column)
            checked += 1
        assert checked == len(reports)
    assert (data / "archive.db").exists() and (data / "crawl.db").exists()
