"""Which format a document is, from its content; never from a URL suffix.

Portals serve files through ``downfile.jsp?…`` links, so the bytes decide:
magic numbers first, then the container's own table of contents (ZIP members,
OLE2 stream names), then the HTTP ``Content-Type`` / ``Content-Disposition``
only to break ties between text-like formats.
"""

from __future__ import annotations

import io
import re
import zipfile

from parsers.limits import ZIP_ERRORS

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"BM", "image"),
    (b"{\\rtf", "rtf"),
)
_HTML = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|table|div|p|meta|title|span|tr|td|br)\b", re.I
)


def sniff(data: bytes, headers: dict[str, str] | None = None) -> str:
    """The format name: pdf, docx, xlsx, doc, wps, xls, ofd, image, rtf, html, text or binary."""
    head = data[:2048]
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, headers)
    if b"\x00" in head.replace(b"\x00\x00", b"") and not _utf16(head):
        return "binary"
    if _HTML.search(data[:65536]):
        return "html"
    content_type = _header(headers, "content-type")
    if "html" in content_type and b"<" in head:
        return "html"
    return "text"


def _utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except ZIP_ERRORS:
        return "binary"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "OFD.xml" in names:
        return "ofd"
    return "zip"


def _ole_kind(data: bytes, headers: dict[str, str] | None) -> str:
    # OLE2 directory entries hold stream names in UTF-16LE; a Word file may embed
    # a workbook object, so the WordDocument stream decides first.
    if "WordDocument".encode("utf-16-le") in data:
        disposition = _header(headers, "content-disposition") + _header(headers, "content-type")
        return "wps" if "wps" in disposition else "doc"
    if "Workbook".encode("utf-16-le") in data:
        return "xls"
    return "ole"


def _header(headers: dict[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value.lower()
    return ""
