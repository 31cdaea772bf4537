"""The registry of format parsers: format name (from ``sniff``) → bytes to blocks.

A format parser takes the document's bytes and its ``DocumentMeta`` and returns
its blocks (``list[Block]``), or an ``Extracted`` when the format also carries
page metadata (an HTML page's ``<title>`` and ``<meta>`` tags). Adding a format
is one entry here and one rule in ``sniff.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from parsers.blocks import Block
from parsers.decode import decode
from parsers.docx import docx_blocks
from parsers.ocr import image_file_blocks
from parsers.office import doc_blocks, wps_blocks, xls_blocks, xlsx_blocks
from parsers.pdf import pdf_blocks
from parsers.record import DocumentMeta


@dataclass
class Extracted:
    blocks: list[Block]
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)


def parse_text_bytes(data: bytes, meta: DocumentMeta) -> list[Block]:
    from parsers.text import text_to_blocks

    return text_to_blocks(decode(data, meta.headers).text)


def parse_html_bytes(data: bytes, meta: DocumentMeta) -> Extracted:
    from parsers.html import html_to_page

    page = html_to_page(decode(data, meta.headers).text)
    return Extracted(page.blocks, page.title, page.meta, page.headings)


FormatParser = Callable[[bytes, DocumentMeta], "list[Block] | Extracted"]

FORMATS: dict[str, FormatParser] = {
    "text": parse_text_bytes,
    "html": parse_html_bytes,
    "pdf": pdf_blocks,
    "docx": docx_blocks,
    "doc": doc_blocks,
    "wps": wps_blocks,
    "xlsx": xlsx_blocks,
    "xls": xls_blocks,
    "image": image_file_blocks,
}


def extract(kind: str, data: bytes, meta: DocumentMeta) -> Extracted | None:
    """Run the format's parser; ``None`` when the format has none."""
    parser = FORMATS.get(kind)
    if parser is None:
        return None
    result = parser(data, meta)
    return result if isinstance(result, Extracted) else Extracted(result)
