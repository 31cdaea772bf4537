"""A report published as page images, one attachment per page, composed into one document.

Some portals publish a scanned report as one image per page, linked from the
report's page (广东省司法厅 2020: four PNGs). Parsed one by one, each image is a
fragment of the report: the build chose the fullest, and the report lost the
tables printed on the other pages, then failed checks over numbers the body
never printed that way. So before parsing, the images a page links are
composed, in the order the page links them, into one multi-frame TIFF
(lossless: every frame a page, which the OCR parser reads as one document,
``parsers/ocr.py``). The TIFF is kept in the raw store like fetched bytes and
parsed like any document; choosing the report's document then takes it, since
it holds the tables of every page. The images stay listed as documents of
their own. The build remembers each composition (``BuildState.compositions``):
a rebuild neither reads nor encodes the images again, and finds the TIFF
parsed already.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING

from lxml import html as lxml_html

from archive.store import RawStore

if TYPE_CHECKING:
    from archive.build import SourceDocument

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
CONTENT_TYPE = "image/tiff"


def is_page_image(doc: SourceDocument) -> bool:
    """An attachment that is an image (by its type, else by its URL's extension)."""
    if doc.kind != "attachment" or not doc.page_url:
        return False
    if doc.content_type:
        return doc.content_type.split(";")[0].strip().lower().startswith("image/")
    path = urllib.parse.urlsplit(doc.url or "").path.lower()
    return path.endswith(IMAGE_EXTENSIONS)


def link_order(page: bytes | None, page_url: str) -> dict[str, int]:
    """Each URL the page links (``a href``, ``img src``), resolved, at its first place."""
    order: dict[str, int] = {}
    if not page:
        return order
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return order
    for element in tree.iter("a", "img"):
        target = element.get("href") if element.tag == "a" else element.get("src")
        if target:
            order.setdefault(urllib.parse.urljoin(page_url, target.strip()), len(order))
    return order


def tiff_of(images: Iterable[bytes]) -> bytes:
    """One multi-frame TIFF of ``images`` (each image's first frame), losslessly compressed."""
    from PIL import Image

    frames = []
    for data in images:
        image = Image.open(io.BytesIO(data))
        image.load()
        frames.append(image if image.mode in ("1", "L", "RGB") else image.convert("RGB"))
    out = io.BytesIO()
    frames[0].save(
        out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate"
    )
    return out.getvalue()


def compose(
    docs: list[SourceDocument], store: RawStore, known: MutableMapping[str, str] | None = None
) -> list[SourceDocument]:
    """The composed documents of ``docs``: one per report page that links ≥ 2 page images.

    Each is put in ``store``. ``known`` maps the members' digests (in page order,
    comma-separated) to the document composed of them: one found there and in
    the store is reused without reading the images; one composed now is added.
    A page whose images cannot be read is left alone (its images are parsed one
    by one, and their errors listed, as before).
    """
    from archive.build import SourceDocument

    pages = {d.url: d for d in docs if d.kind == "report" and d.url}
    groups: dict[tuple[str | None, str], list[SourceDocument]] = {}
    for doc in docs:
        if is_page_image(doc):
            groups.setdefault((doc.source_id, doc.page_url or ""), []).append(doc)
    composed = []
    for (source_id, page_url), members in sorted(groups.items(), key=_group_key):
        if len(members) < 2:
            continue
        page = pages.get(page_url)
        order = link_order(_read(store, page.sha256) if page else None, page_url)
        members.sort(key=lambda d: (order.get(d.url or "", len(order)), d.url or ""))
        key = ",".join(m.sha256 for m in members)
        sha = (known or {}).get(key)
        if sha is None or sha not in store:
            try:
                sha = store.put(tiff_of(store.get(m.sha256) for m in members))
            except Exception:  # noqa: BLE001 - Pillow raises many kinds for an unreadable image
                continue
            if known is not None:
                known[key] = sha
        composed.append(
            SourceDocument(
                sha256=sha,
                size=store.path(sha).stat().st_size,
                content_type=CONTENT_TYPE,
                name=f"{len(members)} page images",
                url=page_url,
                page_url=page_url,
                page_title=members[0].page_title,
                source_id=source_id,
                fetched_at=max((m.fetched_at or "" for m in members), default="") or None,
                kind="attachment",
                captures=0,
            )
        )
    return composed


def _group_key(group: tuple[tuple[str | None, str], list[SourceDocument]]) -> tuple[str, str]:
    (source_id, page_url), _ = group
    return page_url, source_id or ""


def _read(store: RawStore, sha256: str) -> bytes | None:
    try:
        return store.get(sha256)
    except OSError:
        return None
