"""The intermediate form every format is turned into: a sequence of blocks.

A format module (text, HTML, and later PDF, DOCX, XLSX, OCR) turns a document
into ``Block`` objects in reading order: ``Paragraph`` (one line of running
text) and ``Table`` (a grid of ``GridCell``, rowspan/colspan already expanded,
continuation tables kept as separate blocks: the interpreter joins them).
Format modules know nothing about annual reports; ``report.py`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class GridCell:
    """A cell of a table grid as printed; ``spanned`` marks a copy from a merge."""

    text: str
    page: int | None = None
    confidence: float | None = None
    spanned: bool = False


@dataclass(slots=True)
class Paragraph:
    text: str
    page: int | None = None


@dataclass(slots=True)
class Table:
    rows: list[list[GridCell]] = field(default_factory=list)
    page: int | None = None


Block = Paragraph | Table
