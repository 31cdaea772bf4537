"""Bytes → text for text and HTML documents, whatever the page claims.

Pages lie about their encoding: the HTTP header says UTF-8 while the bytes and
the ``<meta>`` are GBK, or the reverse. Declarations are recorded but the bytes
decide: a BOM wins; then bytes that decode strictly as UTF-8 are UTF-8 (GBK text
essentially never does); then GB18030 (a superset of GB2312 and GBK, so every
``gb2312``/``gbk`` declaration is read as GB18030); then Beautiful Soup's
``UnicodeDammit`` for anything else, with replacement characters as a last resort.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from bs4.dammit import UnicodeDammit

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared_header: str | None
    declared_meta: str | None


def canonical(encoding: str | None) -> str | None:
    """A codec name Python knows, with every GB* name mapped to gb18030."""
    if not encoding:
        return None
    name = encoding.strip().lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(headers: dict[str, str] | None) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == "content-type":
            m = _HEADER_CHARSET.search(value)
            return m.group(1) if m else None
    return None


def meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def decode(data: bytes, headers: dict[str, str] | None = None) -> Decoded:
    """Decode a text or HTML document; see the module docstring for the order."""
    declared_header = header_charset(headers)
    declared_meta = meta_charset(data)
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return Decoded(data.decode(codec, "replace"), codec, declared_header, declared_meta)
    for codec in ("utf-8", "gb18030"):
        try:
            return Decoded(data.decode(codec), codec, declared_header, declared_meta)
        except UnicodeDecodeError:
            continue
    declared = [c for c in (canonical(declared_meta), canonical(declared_header)) if c]
    dammit = UnicodeDammit(data, known_definite_encodings=declared, is_html=True)
    if dammit.unicode_markup is not None and dammit.original_encoding:
        return Decoded(
            dammit.unicode_markup, dammit.original_encoding, declared_header, declared_meta
        )
    return Decoded(data.decode("gb18030", "replace"), "gb18030", declared_header, declared_meta)
