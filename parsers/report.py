"""A document → the report record: format dispatch, then the interpretation steps.

``parse_document(data, meta)`` is the one entry point: sniff the format from
the content, turn the document into blocks with that format's parser
(``formats.FORMATS``), then read metadata, sections, tables and checks out of
the blocks. ``parse_text`` does the same for text already decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers import formats
from parsers.blocks import Block, Paragraph
from parsers.checks import run_checks
from parsers.errors import EmptyDocument, UnsupportedFormat
from parsers.metadata import title_from_lines, title_from_page, year_from_text
from parsers.record import DocumentMeta, Report
from parsers.sections import find_headings, section_texts
from parsers.sniff import sniff
from parsers.tables import read_proactive, read_requests, read_review, regions

# Bump when a change to the parsers can change any record: the archive build
# re-parses every document whose (sha256, PARSER_VERSION) it has not seen.
PARSER_VERSION = "1"

# The formats whose cells may come from OCR (and then carry a confidence).
_OCR_KINDS = frozenset({"pdf", "image"})


def parse_document(data: bytes, meta: DocumentMeta | None = None) -> Report:
    """Parse one document's bytes into a report record.

    Raises ``UnsupportedFormat`` for a format with no parser and ``EmptyDocument``
    for a document with no text; every other oddity becomes a warning on the record.
    """
    meta = meta or DocumentMeta()
    kind = sniff(data, meta.headers)
    extracted = formats.extract(kind, data, meta)
    if extracted is None:
        raise UnsupportedFormat(f"unsupported format: {kind}")
    return interpret(
        extracted.blocks, meta, kind, extracted.title, extracted.meta, extracted.headings
    )


def parse_text(text: str, meta: DocumentMeta | None = None) -> Report:
    """Parse text already decoded (plain text or Markdown)."""
    from parsers.text import text_to_blocks

    return interpret(text_to_blocks(text), meta or DocumentMeta(), "text")


def interpret(
    blocks: list[Block],
    meta: DocumentMeta,
    kind: str,
    page_title: str | None = None,
    page_meta: dict[str, str] | None = None,
    page_headings: list[str] | None = None,
) -> Report:
    """Read the annual report out of a document's blocks."""
    if not any(isinstance(b, Paragraph) and b.text.strip() for b in blocks) and not any(
        getattr(b, "rows", None) for b in blocks
    ):
        raise EmptyDocument("the document holds no text")
    report = Report(document=meta.name, format=kind)
    page_meta = page_meta or {}

    headings = find_headings(blocks)
    report.sections = section_texts(blocks, headings)
    if len(headings) < 6:
        missing = [
            s
            for s in ("overview", "proactive", "requests", "review_litigation", "problems", "other")
            if s not in report.sections
        ]
        report.warn("section_missing", f"sections not found: {', '.join(missing)}")

    first = headings[0].block if headings else None
    page = _PageContext(page_title, page_meta, page_headings or [])
    _read_metadata(report, blocks, first, meta, page)

    found = regions(blocks, {h.block: h.section for h in headings})
    proactive_template = read_proactive(found.proactive, report)
    requests_template = read_requests(found.requests, report)
    read_review(found.review, report)
    report.tables_found = {
        "proactive": bool(report.proactive),
        "requests": bool(report.requests),
        "review_litigation": bool(found.review),
    }
    for table, ok in report.tables_found.items():
        if not ok:
            report.warn("table_not_found", f"table {table} not found", table)
    if not found.review:
        report.review_litigation = {}
    report.proactive_template = proactive_template
    report.requests_template = requests_template
    report.template = _template(report, proactive_template, requests_template)
    report.checks = run_checks(report)
    if kind in _OCR_KINDS and any(
        c.confidence is not None for cells in report.requests.values() for c in cells
    ):
        from parsers.ocr import review_reasons  # only OCR'd records carry confidences

        for reason in review_reasons(report):
            report.warn("ocr_review", f"needs review before its numbers are trusted: {reason}")
    return report


@dataclass
class _PageContext:
    """What the page around a document says: its title, meta tags and headings."""

    title: str | None
    meta: dict[str, str]
    headings: list[str]

    def candidates(self, meta: DocumentMeta) -> list[tuple[str | None, str]]:
        return [
            *((h, "page") for h in self.headings),
            (self.meta.get("ArticleTitle"), "meta"),
            (meta.page_title, "page"),
            (self.title, "page"),
        ]


def _read_metadata(
    report: Report,
    blocks: list[Block],
    first_heading: int | None,
    meta: DocumentMeta,
    page: _PageContext,
) -> None:
    end = first_heading if first_heading is not None else min(len(blocks), 15)
    opening = [b.text for b in blocks[: max(end, 1)] if isinstance(b, Paragraph)][:15]
    info = title_from_lines(opening)
    source = "title"
    context = [(title_from_page(text), where) for text, where in page.candidates(meta)]
    if info is None:
        info, source = next(((i, w) for i, w in context if i), (None, source))
    if info:
        report.title = info.title
        if info.year:
            report.year, report.year_source = info.year, source
        if info.organization:
            report.organization, report.organization_source = info.organization, source
        else:
            # The document's own title names no body ("2020年政府信息公开工作年度报告"):
            # the page around it may.
            named = next(((i, w) for i, w in context if i and i.organization), None)
            if named:
                report.organization, report.organization_source = named[0].organization, named[1]
    if report.organization is None:
        if meta.organization:
            report.organization, report.organization_source = meta.organization, "context"
        elif page.meta.get("ContentSource"):
            report.organization, report.organization_source = page.meta["ContentSource"], "meta"
    if report.year is None:
        if meta.year:
            report.year, report.year_source = meta.year, "context"
        else:
            body = report.sections.get("overview") or "\n".join(
                b.text for b in blocks[:200] if isinstance(b, Paragraph)
            )
            year = year_from_text(body)
            if year:
                report.year, report.year_source = year, "text"
    if report.organization is None:
        report.warn(
            "organization_unknown",
            "the document never names its body; it must come from where it was found",
        )


def _template(report: Report, proactive: str | None, requests: str | None) -> str | None:
    if report.year is not None and report.year <= 2018:
        return "pre2019"
    if proactive and requests and proactive != requests:
        return "hybrid"
    return requests or proactive
