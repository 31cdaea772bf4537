"""Which encoding a fetched page is really in, and the names in ``Content-Disposition``.

Portals lie: the HTTP header may say utf-8 while the ``<meta>`` and the bytes are
GBK, or the reverse; metas are malformed (``httpequiv="ContentType"``); older
sites label GBK bytes ``gb2312``. The rules:

- gb2312, gbk and their aliases decode as gb18030 (a superset).
- A BOM wins.
- Bytes that are valid UTF-8 (and not plain ASCII) are UTF-8: GBK text is almost
  never valid UTF-8, while GB18030 accepts nearly any bytes.
- Otherwise every declared candidate (header, then meta) is tried strictly; the
  first that decodes cleanly is used. When none does (or none is declared),
  UTF-8 then GB18030 are tried strictly, and as a last resort the candidate
  with the fewest replacement characters is used.

The raw bytes are always what the archive keeps; this only decides how the
crawler reads them and what the capture records.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import unquote

_CHINESE_ALIASES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "csgb2312", "ms936"}
_META_SCAN_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I | re.S)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Decision:
    """How a body was read: what was declared where, and what was used."""

    header: str | None
    meta: str | None
    bom: str | None
    used: str

    @property
    def declared(self) -> str | None:
        """The declared charset(s): ``utf-8``, or ``header|meta`` when they disagree."""
        declared = [d for d in (self.header, self.meta) if d]
        if not declared:
            return self.bom
        if len(declared) == 2 and normalize(declared[0]) != normalize(declared[1]):
            return f"{declared[0]}|{declared[1]}"
        return declared[0]


def normalize(name: str) -> str:
    """A codec name Python knows, with the Chinese legacy labels widened to gb18030."""
    lowered = name.strip().strip("\"'").lower()
    if lowered in _CHINESE_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return lowered


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its head, read leniently (malformed metas too)."""
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii", "replace").lower() if match else None


def _strict(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _replacements(body: bytes, encoding: str) -> int:
    try:
        return body.decode(encoding, errors="replace").count("\ufffd")
    except LookupError:
        return len(body) + 1


def decide(body: bytes, content_type: str | None) -> Decision:
    """Decide the encoding of a text body from its header, its meta and its bytes."""
    header = header_charset(content_type)
    meta = meta_charset(body)
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Decision(header, meta, name, "utf-8-sig" if name == "utf-8" else name)
    candidates: list[str] = []
    for declared in (header, meta):
        if declared:
            name = normalize(declared)
            if name not in candidates:
                candidates.append(name)
    # Valid UTF-8 with non-ASCII bytes is almost never GBK by accident, while GB18030
    # accepts most byte strings: so UTF-8 is tried first whenever it is a candidate
    # or nothing valid is declared.
    if _strict(body, "utf-8") and ("utf-8" in candidates or not body.isascii()):
        return Decision(header, meta, None, "utf-8")
    for name in candidates:
        if _strict(body, name):
            return Decision(header, meta, None, name)
    for name in ("utf-8", "gb18030"):
        if name not in candidates and _strict(body, name):
            return Decision(header, meta, None, name)
    pool = candidates or ["utf-8", "gb18030"]
    return Decision(header, meta, None, min(pool, key=lambda n: _replacements(body, n)))


def decode_header_value(raw: bytes) -> str:
    """A header value's text: UTF-8 when valid, else GB18030 (portals send GBK bytes)."""
    for name in ("utf-8", "gb18030"):
        try:
            return raw.decode(name)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.I)
_FILENAME = re.compile(r"""filename\s*=\s*(?:"([^"]*)"|([^;]+))""", re.I)


def disposition_filename(raw: bytes | None) -> str | None:
    """The file name in a ``Content-Disposition`` header (RFC 5987, quoted, GBK or %-encoded)."""
    if not raw:
        return None
    text = decode_header_value(raw)
    star = _FILENAME_STAR.search(text)
    if star:
        charset = star.group(1) or "utf-8"
        try:
            return unquote(star.group(2).strip(), encoding=normalize(charset), errors="strict")
        except (UnicodeDecodeError, LookupError):
            return unquote(star.group(2).strip())
    plain = _FILENAME.search(text)
    if not plain:
        return None
    name = (plain.group(1) if plain.group(1) is not None else plain.group(2)).strip()
    if "%" in name:
        try:
            return unquote(name, errors="strict")
        except UnicodeDecodeError:
            return unquote(name, encoding="gb18030", errors="replace")
    return name or None
