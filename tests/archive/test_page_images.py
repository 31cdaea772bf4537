"""A report published as one image per page is built from all its pages, in the page's order."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from archive.build import build
from archive.build_state import BuildState
from archive.ledger import Ledger
from archive.page_images import compose, link_order, tiff_of
from archive.store import RawStore
from crawler.fixture_portals import render_office
from crawler.fixture_portals.documents import IMAGE_DPI
from crawler.fixture_portals.reports import synthetic_reports
from parsers import DocumentMeta, parse_document
from parsers.template import COLUMNS, OUTCOMES

PAGE = "http://127.0.0.1:18080/xxgk/2023/content.html"


def page_image_report(tmp_path: Path) -> tuple[Path, dict[str, Any], list[str], list[bytes]]:
    """A data directory whose ledger holds a report page linking its pages as PNGs.

    The images' URLs sort in another order than the page links them.
    """
    spec = next(s for s in synthetic_reports(20, seed=5) if s.get("requests"))
    pages = render_office.render_png(spec, dpi=IMAGE_DPI)
    assert len(pages) >= 2
    names = [f"{'zyxwvu'[n]}.png" for n in range(len(pages))]  # page 1 sorts last
    links = "".join(
        f'<p><a href="files/{name}">第{n + 1}页</a></p>' for n, name in enumerate(names)
    )
    html = f"<html><body><h1>{spec['title']}</h1>{links}</body></html>".encode()
    data = tmp_path / "data"
    store = RawStore(data)
    ledger = Ledger.open(data)
    captures = [("report", PAGE, store.put(html), "text/html", None)]
    for name, png in zip(names, pages, strict=True):
        url = PAGE.rsplit("/", 1)[0] + "/files/" + name
        captures.append(("attachment", url, store.put(png), "image/png", PAGE))
    for n, (kind, url, sha, ctype, parent) in enumerate(captures):
        ledger.db.execute(
            "INSERT INTO captures (run_id, fetched_at, kind, url, sha256, status, content_type,"
            " parent_url, title) VALUES ('r1', ?, ?, ?, ?, 200, ?, ?, ?)",
            (f"2026-01-01T00:00:{n:02d}Z", kind, url, sha, ctype, parent, spec["title"]),
        )
    ledger.close()
    return data, spec, [sha for _, _, sha, _, _ in captures[1:]], pages


def test_the_page_order_is_the_order_the_page_links_them() -> None:
    page = b'<a href="b.png">1</a><img src="/x/a.png"><a href="b.png">again</a><a href="c.png">'
    order = link_order(page, "http://h/x/p.html")
    assert order == {"http://h/x/b.png": 0, "http://h/x/a.png": 1, "http://h/x/c.png": 2}
    assert link_order(None, "http://h/") == {}
    assert link_order(b"", "http://h/") == {}


def test_the_tiff_holds_every_page_in_order_and_is_the_same_each_time() -> None:
    images = []
    for shade in (0, 120, 240):
        out = io.BytesIO()
        Image.new("L", (40, 30), shade).save(out, format="PNG")
        images.append(out.getvalue())
    data = tiff_of(images)
    assert tiff_of(images) == data
    tiff = Image.open(io.BytesIO(data))
    assert tiff.n_frames == 3
    for frame, shade in enumerate((0, 120, 240)):
        tiff.seek(frame)
        assert tiff.getpixel((5, 5)) == shade


@pytest.mark.slow
def test_a_report_of_page_images_is_built_from_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, spec, image_shas, images = page_image_report(tmp_path)
    build(data, jobs=1)
    conn = sqlite3.connect(data / "archive.db")
    conn.row_factory = sqlite3.Row
    documents = conn.execute("SELECT * FROM documents ORDER BY sha256").fetchall()
    # The page, each image (still listed, parsed on its own), and the composed document.
    assert {d["sha256"] for d in documents} >= set(image_shas)
    (composed,) = [d for d in documents if d["content_type"] == "image/tiff"]
    assert composed["chosen"] == 1 and composed["parse_status"] == "parsed"
    assert composed["url"] == PAGE
    # Its frames are the pages in the order the page links them, not their URLs' order.
    tiff = Image.open(io.BytesIO(RawStore(data).get(composed["sha256"])))
    for frame, png in enumerate(images):
        tiff.seek(frame)
        assert tiff.tobytes() == Image.open(io.BytesIO(png)).tobytes(), frame
    report = conn.execute("SELECT * FROM reports").fetchone()
    assert report["document_sha256"] == composed["sha256"]
    assert report["year"] == spec["year"]
    # Each page's tables are there: every number a page alone reads (OCR may misread a
    # label or lose a speckled "0" on the page alone; the whole may read a row the page
    # cut, so only the page's numbers are compared).
    requests = conn.execute("SELECT * FROM requests").fetchone()
    review = conn.execute("SELECT * FROM review_litigation").fetchone()
    proactive = conn.execute("SELECT * FROM proactive").fetchone()
    contributing = set()
    for number, image in enumerate(images):
        alone = parse_document(image, DocumentMeta(url=f"{number}.png"))
        for row, cells in alone.requests.items():
            for column, cell in zip(COLUMNS, cells, strict=True):
                if cell.value is not None:
                    assert requests[f"{row}__{column}"] == cell.value, (number, row, column)
            contributing.add(("表三", number))
        for group, cells in alone.review_litigation.items():
            for outcome, cell in zip(OUTCOMES, cells, strict=True):
                if cell.value is not None:
                    assert review[f"{group}__{outcome}"] == cell.value, (number, group)
            contributing.add(("表四", number))
        if alone.proactive:
            contributing.add(("表二", number))
    assert proactive is not None and review is not None
    assert len({number for _, number in contributing}) >= 2, contributing
    conn.close()
    # The build remembers the composition: the next one reads and encodes no image.
    with BuildState.open(data) as state:
        known = state.compositions()
    assert list(known.values()) == [composed["sha256"]]
    assert compose_again(data, known, monkeypatch) == composed["sha256"]


def compose_again(data: Path, known: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    from archive import page_images
    from archive.build import ledger_documents, open_ledger

    def never(images: object) -> bytes:
        raise AssertionError("the images were composed again")

    monkeypatch.setattr(page_images, "tiff_of", never)
    snapshot = open_ledger(data)
    assert snapshot is not None
    (composed,) = compose(ledger_documents(snapshot), RawStore(data), known)
    return composed.sha256
