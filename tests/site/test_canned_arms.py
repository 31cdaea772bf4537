"""The top-N canned queries written as one arm per case of ``:province`` answer as the plain form.

``most_requests``, ``highest_refusal_share`` and ``most_lawsuits`` are written
in ``metadata.yaml`` as a UNION ALL of two arms (all provinces / one province),
so that SQLite plans each on its own index. Each is asked over HTTP for every
year and province (and level) of the built archive and compared with the
plain single-query form below, run on the same file: the same rows, in the
same order of the sort keys. ``not_published`` (a planner hint, a tie-breaker in
its order) is compared with its plain form the same way.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

PLAIN = {
    "most_requests": (
        """select id as report_id, body_name, province, level, year, new_requests,
             processed, granted, denied, denied_share
           from reports
           where year = :year and (:province = '' or province = :province)
             and (:level = '' or level = :level) and new_requests is not null
           order by new_requests desc limit 100""",
        ("new_requests",),
    ),
    "highest_refusal_share": (
        """select id as report_id, body_name, province, level, year, processed, denied,
             round(100.0 * denied_share, 1) as denied_percent
           from reports
           where year = :year and processed >= cast(:min_processed as integer)
             and (:province = '' or province = :province) and denied_share is not null
           order by denied_share desc, processed desc limit 100""",
        ("denied_percent", "processed"),
    ),
    "most_lawsuits": (
        """select id as report_id, body_name, province, level, year, suits, suits_corrected,
             reviews, reviews_corrected
           from reports
           where year = :year and (:province = '' or province = :province) and suits > 0
           order by suits desc, suits_corrected desc limit 100""",
        ("suits", "suits_corrected"),
    ),
    "not_published": (
        """select b.id as body_id, b.name, b.province, b.level, b.first_year, b.last_year,
             b.reports
           from bodies b
           where not exists (
               select 1 from reports r where r.body_id = b.id and r.year = :year)
             and (:province = '' or b.province = :province)
           order by b.province, b.level, b.name
           limit 1000""",
        ("province", "level", "name"),
    ),
}


def cases(site_data: SiteData, name: str) -> list[dict[str, Any]]:
    with site_data.connect() as conn:
        years = [r[0] for r in conn.execute("select distinct year from reports")]
        provinces = [r[0] for r in conn.execute("select distinct province from reports")]
        levels = [r[0] for r in conn.execute("select distinct level from reports")]
    out = []
    for year in years:
        for province in ["", "无此省", *(p for p in provinces if p)]:
            params: dict[str, Any] = {"year": year, "province": province}
            if name == "most_requests":
                out += [{**params, "level": level} for level in ["", *levels]]
            elif name == "highest_refusal_share":
                out += [{**params, "min_processed": n} for n in (1, 5)]
            else:
                out.append(params)
    return out


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_two_arms_answer_as_the_plain_query(
    client: httpx.Client, site_data: SiteData, name: str
) -> None:
    sql, keys = PLAIN[name]
    nonempty = 0
    for params in cases(site_data, name):
        got = client.get(f"/archive/{name}.json", params={**params, "_shape": "array"})
        assert got.status_code == 200, (name, params, got.text[:300])
        rows = got.json()
        with site_data.connect() as conn:
            expected = [dict(r) for r in conn.execute(sql, params)]
        assert sorted(map(repr, rows)) == sorted(map(repr, expected)), (name, params)
        assert [[r[k] for k in keys] for r in rows] == [[r[k] for k in keys] for r in expected]
        nonempty += bool(rows) and params["province"] != ""
    assert nonempty, name  # the one-province arm answered some rows


def test_parse_failures_lists_every_failed_document(
    client: httpx.Client, site_data: SiteData
) -> None:
    # Written with likelihood() to keep SQLite on the parse_status index: the same rows.
    rows = client.get(
        "/archive/parse_failures_by_source.json", params={"source_id": "", "_shape": "array"}
    ).json()
    with site_data.connect() as conn:
        failed = {
            r[0] for r in conn.execute("select sha256 from documents where parse_status = 'failed'")
        }
    assert {r["sha256"] for r in rows} == failed
    assert site_data.broken_sha256 in failed
