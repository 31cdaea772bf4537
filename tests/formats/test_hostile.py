"""Hostile and broken files: a clear ParseError with the reason, in bounded time and memory.

Bounded memory is asserted as peak RSS growth of this process (ru_maxrss), which
a zip bomb expanded in memory (320 MB) or a 20,000² image decoded (400 MB)
would exceed.
"""

from __future__ import annotations

import resource

import pytest

from crawler.fixture_portals import render_office
from crawler.fixture_portals.reports import seed_reports
from parsers import DocumentMeta, ParseError, parse_document
from parsers.errors import DocumentTooLarge
from parsers.limits import (
    ConversionFailed,
    CorruptDocument,
    EncryptedDocument,
    run_limited,
)
from tests.formats import hostile


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refused(data: bytes, error: type[ParseError], words: str) -> str:
    before = _peak_rss_mb()
    with pytest.raises(error) as caught:
        parse_document(data, DocumentMeta(name="downfile.jsp"))
    assert words in str(caught.value), str(caught.value)
    assert _peak_rss_mb() - before < 150, "the refusal itself used too much memory"
    return str(caught.value)


def test_zip_bomb_docx_is_refused_before_inflating() -> None:
    message = _refused(hostile.zip_bomb_docx(), DocumentTooLarge, "zip bomb")
    assert "335,544," in message  # the declared size is in the reason


def test_docx_lying_about_its_size_is_refused() -> None:
    _refused(hostile.lying_docx(), CorruptDocument, "document.xml")


def test_encrypted_pdf_is_refused() -> None:
    _refused(hostile.encrypted_pdf(), EncryptedDocument, "password")


def test_truncated_pdf_is_refused() -> None:
    pdf = render_office.render_pdf(seed_reports()[1])
    _refused(pdf[: len(pdf) // 3], CorruptDocument, "PDF")


def test_pdf_header_only_is_refused() -> None:
    _refused(b"%PDF-1.7\n" + b"\x00garbage" * 100, CorruptDocument, "PDF")


def test_500_page_pdf_is_refused_with_its_page_count() -> None:
    _refused(hostile.many_pages_pdf(500), DocumentTooLarge, "500 pages")


def test_20000_by_20000_image_is_refused_before_decoding() -> None:
    _refused(hostile.huge_png(), DocumentTooLarge, "400000000 pixels")


def test_image_just_over_the_pixel_limit_is_refused_with_its_size() -> None:
    _refused(hostile.huge_png(12_500, 12_500), DocumentTooLarge, "12,500×12,500")


@pytest.mark.slow
def test_unreadable_doc_is_a_conversion_failure() -> None:
    _refused(hostile.fake_doc(), ConversionFailed, "LibreOffice")


def test_converter_is_killed_at_its_timeout(tmp_path: object) -> None:
    with pytest.raises(ConversionFailed, match="timed out"):
        run_limited(["sleep", "30"], cwd="/tmp", timeout=0.5)


def test_converter_memory_is_capped() -> None:
    """A converter that tries to allocate past the cap fails instead of growing."""
    result = run_limited(
        ["python3", "-c", "b = bytearray(2 * 1024**3)"], cwd="/tmp", memory=512 * 1024**2
    )
    assert result.returncode != 0
    assert b"MemoryError" in result.stderr


def test_ocr_past_its_time_budget_is_refused_with_the_reason(monkeypatch):
    """A broken PDF that falls back to OCR stops at the budget, before the worker's kill."""
    import io

    from PIL import Image

    from parsers import limits
    from parsers.errors import DocumentTooLarge

    buffer = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buffer, "PDF")  # an image-only page: OCR needed
    monkeypatch.setattr(limits, "MAX_OCR_SECONDS", 0.0)
    with pytest.raises(DocumentTooLarge, match="budget"):
        parse_document(buffer.getvalue())


def test_ocr_does_not_start_a_page_that_would_end_past_the_budget(monkeypatch):
    """The budget is checked between pages, so a page must not start when the slowest
    page so far would carry the document past it (a page can take tens of seconds on a
    loaded machine, and the bounded worker kills at 120 s)."""
    import io
    import time

    from PIL import Image

    from parsers import limits, pdf
    from parsers.errors import DocumentTooLarge

    pages = [Image.new("L", (400, 300), 255) for _ in range(3)]  # image-only: OCR needed
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:])
    real_ocr_page = pdf.ocr_page

    def slow_ocr_page(*args, **kwargs):  # a page that takes at least 1.2 s
        blocks = real_ocr_page(*args, **kwargs)
        time.sleep(1.2)
        return blocks

    monkeypatch.setattr(pdf, "ocr_page", slow_ocr_page)
    monkeypatch.setattr(limits, "MAX_OCR_SECONDS", 2.0)
    # Page 1 ends at ~1.3 s, inside the budget; page 2 would end at ~2.6 s: not started.
    with pytest.raises(DocumentTooLarge, match="at page 2 of 3"):
        parse_document(buffer.getvalue())
