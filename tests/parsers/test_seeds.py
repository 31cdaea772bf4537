"""The five seed reports, parsed from plain text, against their gold files cell by cell."""

from __future__ import annotations

import pytest

from parsers import DocumentMeta, parse_document
from tests.parsers.gold import differences, seed_cases

CASES = seed_cases()


@pytest.mark.parametrize(("path", "gold"), CASES, ids=[p.stem[:3] for p, _ in CASES])
def test_seed_matches_gold(path, gold):
    report = parse_document(path.read_bytes(), DocumentMeta(name=path.name))
    assert differences(report.to_json(), gold) == []


def test_seed_with_merged_cell_artefact_warns():
    path = next(p for p, _ in CASES if p.name.startswith("001"))
    report = parse_document(path.read_bytes(), DocumentMeta(name=path.name))
    warned = [w for w in report.warnings if w.code == "row_cell_count" and w.row == "total"]
    assert warned, report.warnings


def test_untitled_seed_takes_body_from_page_context():
    path = next(p for p, _ in CASES if p.name.startswith("000"))
    meta = DocumentMeta(
        name=path.name, page_title="某某镇2019年政府信息公开工作年度报告_某某区人民政府"
    )
    report = parse_document(path.read_bytes(), meta)
    assert (report.organization, report.organization_source) == ("某某镇", "page")
    assert report.year == 2019
