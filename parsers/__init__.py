"""Parsers: pure functions from a document's bytes to a normalised report record.

No network and no database here. ``parse_document(data, meta)`` sniffs the format
from the content, turns it into a sequence of blocks (paragraphs and table grids,
``blocks.py``), and ``report.py`` reads the annual report out of those blocks:
metadata, the six sections, 表二/表三/表四 with the spec's keys, every cell's printed
text and value, extra rows, consistency checks and warnings.

Modules, one concept each:

- ``record``: the report record and its JSON shape (the gold files' shape).
- ``template``: the national template's vocabulary (row, column, check keys).
- ``labels.yml``: label variants → canonical keys, as data.
- ``numbers``: a cell's printed text → value and unit.
- ``decode``: bytes → text (UTF-8, GB18030, BOM, header/meta disagreements).
- ``sniff``: which format a document is, by content.
- ``text`` / ``html``: plain text and Markdown / HTML → blocks.
- ``sections``, ``metadata``, ``tables``, ``runtogether``, ``checks``: the
  interpretation steps; ``report`` wires them together.
"""

from parsers.errors import ParseError, UnsupportedFormat
from parsers.record import DocumentMeta, Report
from parsers.report import PARSER_VERSION, parse_document, parse_text

__all__ = [
    "PARSER_VERSION",
    "DocumentMeta",
    "ParseError",
    "Report",
    "UnsupportedFormat",
    "parse_document",
    "parse_text",
]
