"""``xxgk demo`` end to end: fixture portal → crawl → build → site, as `make demo` runs it.

One portal keeps it short; the site must then serve that portal's reports,
each report page showing the numbers of the document it came from, with a
working link to the original on the fixture portal and to our archived copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from archive.site import running_site
from parsers import DocumentMeta, parse_document
from parsers.template import COLUMNS, MONEY_METRICS, OUTCOMES

pytestmark = pytest.mark.slow

PORTAL = "zhangshu_shi"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("demo")
    command = ("demo", "--data-dir", str(data / "d"), "--portals-port", "0", "--portal", PORTAL)
    with running_site(command, log=data / "demo.log", timeout=900) as site:
        yield site.url, data / "d"


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
            # 表三, 表四 and 表二, every cell: the number read from the document, or blank.
            for key, values in parsed.requests.items():
                for column, cell in zip(COLUMNS, values, strict=True):
                    value = "" if cell.value is None else str(cell.value)
                    assert cells[f"requests/{key}/{column}"] == value, (report["id"], key, column)
            for group, values in parsed.review_litigation.items():
                for outcome, cell in zip(OUTCOMES, values, strict=True):
                    value = "" if cell.value is None else str(cell.value)
                    assert cells[f"review_litigation/{group}/{outcome}"] == value, (
                        report["id"],
                        group,
                        outcome,
                    )
            assert parsed.proactive
            for row in parsed.proactive:
                for metric, cell in row.cells.items():
                    shown = cells[f"proactive/{row.key}/{metric}"]
                    if cell.value is None:
                        assert shown == "", (report["id"], row.key, metric)
                    elif metric in MONEY_METRICS:  # money: the amount as printed
                        assert shown == (cell.text or "").strip(), (report["id"], row.key, metric)
                    else:
                        assert shown == str(cell.value), (report["id"], row.key, metric)
            checked += 1
        assert checked == len(reports)
    assert (data / "archive.db").exists() and (data / "crawl.db").exists()
