"""What the fixture portals publish: report items, their attachments, and their bytes.

An ``Item`` is one entry of a portal's 年报 column: a report spec (contract 2's
shape) assigned to one of the portal's bodies, a publication date, and how it is
published (``mode``): inline HTML tables, an HTML page with an attachment, an
image-only page (图片版), or a list entry that is the file itself. Families give
items their URLs; this module gives them bytes.

Attachment bytes come from ``render_office`` (LibreOffice and rasterising are
slow and their output carries timestamps), so every rendering is cached on disk
under a key made of the spec, the format and the renderer's source: the same
network serves the same bytes across restarts, and start-up never waits for a
render.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import random
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# How a report is published on its page.
INLINE = "html"  # tables inline in the page
WITH_ATTACHMENT = "html+attachment"  # tables inline and the same report attached
ATTACHMENT_ONLY = "attachment"  # a short notice, the report is the attachment
IMAGES = "images"  # 图片版: the page shows scanned page images
FILE = "file"  # the list entry links straight to the file (no page)

# Attachment formats: file extension, MIME type, and the render_office function.
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "scan_pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "doc": ("doc", "application/msword"),
    "wps": ("wps", "application/kswps"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xls": ("xls", "application/vnd.ms-excel"),
    "png": ("png", "image/png"),
}
SCAN_DPI = 150
IMAGE_DPI = 100

# The publication plan, cycled over the network's items in order (data, not code):
# mostly inline HTML, then PDFs and Office files, and one slot that rotates
# through the rarer formats.
PLAN: tuple[tuple[str, str | None], ...] = (
    (INLINE, None),
    (WITH_ATTACHMENT, "pdf"),
    (ATTACHMENT_ONLY, "docx"),
    (INLINE, None),
    (ATTACHMENT_ONLY, "xlsx"),
    (INLINE, None),
    (ATTACHMENT_ONLY, "pdf"),
    (WITH_ATTACHMENT, "docx"),
    (INLINE, None),
    (ATTACHMENT_ONLY, "rare"),
)
RARE_FORMATS = ("doc", "wps", "scan_pdf", "png", "xls", "doc", "wps", "scan_pdf", "docx", "png")


@dataclass
class Attachment:
    """One file attached to an item (``png`` items have one per scanned page)."""

    format: str
    filename: str  # the name a person sees (and Content-Disposition carries)
    path: str = ""  # where the bytes are served (the final URL's path)
    link: str = ""  # the href on the page (may be a redirecting download link)
    page: int = 0  # the page number for png scans

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


@dataclass
class Item:
    """One entry of a portal's 年报 column."""

    key: str  # "<portal>/<nnn>", stable
    portal: str
    number: int  # position in the portal's publication order (0 = oldest)
    report: dict[str, Any]
    organization: str
    year: int
    title: str
    published: datetime
    doc_id: int
    mode: str
    attachment_format: str | None
    reserve: bool = False  # published only once the add_report switch says so
    path: str = ""  # the page's path (for FILE items: the file's path)
    attachments: list[Attachment] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # family-specific ids

    @property
    def date(self) -> str:
        return self.published.strftime("%Y-%m-%d")

    def spec(self, attachment_version: int = 0) -> dict[str, Any]:
        """The report spec as served; version > 0 is a corrected re-upload (F14)."""
        if attachment_version <= 0:
            return self.report
        spec = copy.deepcopy(self.report)
        spec["title"] = f"{self.title}（第{attachment_version}次更正）"
        texts = spec.setdefault("section_texts", {})
        texts["other"] = (
            texts.get("other", "") + f"\n本报告于{self.year + 1}年更正第{attachment_version}次。"
        ).strip()
        return spec


# --------------------------------------------------------------------------- assignment


def report_pool(size: int = 400, seed: int = 2026) -> list[dict[str, Any]]:
    """The seeds first, then synthetic reports (contract 2)."""
    from crawler.fixture_portals.reports import seed_reports, synthetic_reports

    return seed_reports() + synthetic_reports(size, seed=seed)


class Assigner:
    """Hands out reports from the pool to bodies, distinct years per body."""

    def __init__(self, pool: list[dict[str, Any]]) -> None:
        self.unused = list(pool)
        self.plan_index = 0
        self.rare_index = 0

    def take(self, taken_years: set[int]) -> dict[str, Any]:
        for i, report in enumerate(self.unused):
            if report.get("year") not in taken_years:
                return self.unused.pop(i)
        raise RuntimeError("report pool exhausted; enlarge report_pool()")

    def publication(self) -> tuple[str, str | None]:
        mode, fmt = PLAN[self.plan_index % len(PLAN)]
        self.plan_index += 1
        if fmt == "rare":
            fmt = RARE_FORMATS[self.rare_index % len(RARE_FORMATS)]
            self.rare_index += 1
            if fmt == "png":
                mode = IMAGES
        return mode, fmt


def as_body(report: dict[str, Any], body: str) -> dict[str, Any]:
    """The report as published by ``body`` (organisation and title rewritten)."""
    spec = copy.deepcopy(report)
    year = spec.get("year")
    old = spec.get("organization")
    title = spec.get("title") or ""
    if old and old in title:
        title = title.replace(old, body)
    else:
        title = f"{body}{year}年政府信息公开工作年度报告"
    spec["organization"] = body
    spec["title"] = title
    return spec


def make_items(
    portal: str,
    bodies: list[str],
    reports_per_body: int,
    assigner: Assigner,
    *,
    reserve: int = 2,
) -> list[Item]:
    """A portal's items, oldest first; the last ``reserve`` are unpublished extras."""
    rng = random.Random(f"xxgk-portal-{portal}")
    drafts: list[tuple[dict[str, Any], bool]] = []
    for body in bodies:
        years: set[int] = set()
        for _ in range(reports_per_body):
            report = as_body(assigner.take(years), body)
            years.add(int(report["year"]))
            drafts.append((report, False))
    # Reserve items: new reports of the portal's own government, published later.
    years = {int(r["year"]) for r, _ in drafts if r["organization"] == bodies[0]}
    for _ in range(reserve):
        report = as_body(assigner.take(years), bodies[0])
        years.add(int(report["year"]))
        drafts.append((report, True))

    dated: list[tuple[datetime, dict[str, Any], bool]] = []
    for report, is_reserve in drafts:
        year = int(report["year"])
        if is_reserve:
            published = datetime(2026, 4, 1 + len(dated) % 20, 10, 0)
        else:
            published = datetime(
                year + 1,
                rng.randint(1, 3),
                rng.randint(1, 28),
                rng.randint(8, 17),
                rng.choice((0, 15, 30, 45)),
            )
        dated.append((published, report, is_reserve))
    published_first = sorted((d for d in dated if not d[2]), key=lambda d: d[0])
    reserves = [d for d in dated if d[2]]

    items = []
    for number, (published, report, is_reserve) in enumerate(published_first + reserves):
        mode, fmt = assigner.publication()
        if is_reserve:  # a new report is one new document: its page
            mode, fmt = INLINE, None
        items.append(
            Item(
                key=f"{portal}/{number:03d}",
                portal=portal,
                number=number,
                report=report,
                organization=report["organization"],
                year=int(report["year"]),
                title=report["title"],
                published=published,
                doc_id=0,
                mode=mode,
                attachment_format=fmt,
                reserve=is_reserve,
            )
        )
    return items


def attachments_for(item: Item) -> list[Attachment]:
    """The attachments an item carries (before a family gives them URLs)."""
    fmt = item.attachment_format
    if fmt is None or item.mode == INLINE:
        return []
    if fmt == "png":
        count = len(render_png_pages(item.spec()))
        return [Attachment("png", f"{item.title}（第{n + 1}页）.png", page=n) for n in range(count)]
    suffix = "（扫描件）" if fmt == "scan_pdf" else ""
    return [Attachment(fmt, f"{item.title}{suffix}.{FORMATS[fmt][0]}")]


# --------------------------------------------------------------------------- rendering


def cache_dir() -> Path:
    """Where renderings are kept ($XXGK_PORTALS_CACHE, else the temp dir)."""
    path = Path(
        os.environ.get("XXGK_PORTALS_CACHE") or Path(tempfile.gettempdir()) / "xxgk-portals-cache"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def _renderer_digest() -> str:
    """The renderer's source digest, read once: bytes stay stable while a process runs."""
    source = Path(__file__).with_name("render_office.py")
    data = source.read_bytes() if source.exists() else b"placeholder"
    return hashlib.sha256(data).hexdigest()[:16]


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_memory: dict[str, bytes] = {}


def _cached(key: str, make: Callable[[], bytes]) -> bytes:
    """``make()`` once per key, on disk and in memory, one renderer per key at a time."""
    if key in _memory:
        return _memory[key]
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if key in _memory:
            return _memory[key]
        path = cache_dir() / key
        if path.exists():
            data = path.read_bytes()
        else:
            data = make()
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        _memory[key] = data
        return data


def _spec_key(spec: dict[str, Any], what: str) -> str:
    blob = json.dumps(spec, ensure_ascii=False, sort_keys=True).encode() + what.encode()
    return hashlib.sha256(blob + _renderer_digest().encode()).hexdigest()[:40]


def render_png_pages(spec: dict[str, Any]) -> list[bytes]:
    """The scanned page images of a report (cached; one file per page)."""
    from crawler.fixture_portals import render_office

    key = _spec_key(spec, f"png:{IMAGE_DPI}")

    def render_all() -> bytes:
        pages = render_office.render_png(spec, dpi=IMAGE_DPI)
        for n, page in enumerate(pages):
            _cached(f"{key}.{n:03d}.png", lambda page=page: page)  # type: ignore[misc]
        return str(len(pages)).encode()

    count = int(_cached(f"{key}.pages", render_all))
    return [
        _cached(f"{key}.{n:03d}.png", lambda n=n: render_office.render_png(spec, dpi=IMAGE_DPI)[n])  # type: ignore[misc]
        for n in range(count)
    ]


def render_attachment(spec: dict[str, Any], fmt: str, page: int = 0) -> bytes:
    """An attachment's bytes in ``fmt`` (cached on disk)."""
    from crawler.fixture_portals import render_office

    if fmt == "png":
        return render_png_pages(spec)[page]
    makers: dict[str, Callable[[], bytes]] = {
        "pdf": lambda: render_office.render_pdf(spec),
        "scan_pdf": lambda: render_office.render_scan_pdf(spec, dpi=SCAN_DPI),
        "docx": lambda: render_office.render_docx(spec),
        "doc": lambda: render_office.render_doc(spec),
        "wps": lambda: render_office.render_wps(spec),
        "xlsx": lambda: render_office.render_xlsx(spec),
        "xls": lambda: render_office.render_xls(spec),
    }
    return _cached(f"{_spec_key(spec, fmt)}.{FORMATS[fmt][0]}", makers[fmt])


def report_fragment(spec: dict[str, Any], style: str, split_tables: bool = False) -> str:
    """The report as the inside of a page's body container (render_html, contract 3)."""
    from crawler.fixture_portals.render_html import report_body_html

    return report_body_html(spec, style, split_tables)
