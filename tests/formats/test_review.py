"""An OCR'd record with doubtful cells or failing identities is flagged for review."""

from __future__ import annotations

from parsers.ocr import REVIEW_CONFIDENCE, review_reasons
from parsers.record import Cell, Check, Report


def _report(confidence: float | None, failing: bool = False) -> Report:
    report = Report(format="pdf")
    report.requests = {"granted": [Cell("3", 3, confidence=confidence) for _ in range(7)]}
    report.checks = [Check("T3_TOTAL", "total", 3, 4 if failing else 3, not failing)]
    return report


def test_text_layer_records_are_never_flagged() -> None:
    assert review_reasons(_report(None, failing=True)) == []


def test_confident_ocr_with_passing_identities_is_not_flagged() -> None:
    assert review_reasons(_report(0.999)) == []


def test_low_confidence_cells_are_flagged() -> None:
    reasons = review_reasons(_report(REVIEW_CONFIDENCE - 0.01))
    assert reasons and "7 OCR'd cells below confidence" in reasons[0]


def test_failing_identity_on_ocr_is_flagged() -> None:
    reasons = review_reasons(_report(1.0, failing=True))
    assert reasons == ["identities fail on OCR'd cells: T3_TOTAL"]
