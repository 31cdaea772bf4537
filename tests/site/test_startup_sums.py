"""Canned queries answered from sums taken at startup give what their SQL gives on the archive.

``datasette/plugins/startup_sums.py`` answers ``denial_reasons`` (eight 表三
columns summed over a year of ``requests``) from sums grouped by year and
province, taken once when the site starts. Every year and province of the
archive, with and without a province, and a year and a province with no
report, are compared with the query's own SQL run on the database file.
"""

from __future__ import annotations

import time

import httpx
import pytest

from archive.site import load_metadata
from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow


def sums_status(client: httpx.Client) -> dict[str, object]:
    status: dict[str, object] = client.get("/-/startup-sums.json").json()
    return status


def test_denial_reasons_from_the_startup_sums_is_its_sql(
    client: httpx.Client, site_data: SiteData
) -> None:
    deadline = time.monotonic() + 60
    while not sums_status(client).get("done"):
        assert time.monotonic() < deadline, "the startup sums were never taken"
        time.sleep(0.2)
    (status,) = [sums_status(client)["queries"]]
    assert isinstance(status, dict)
    assert status["denial_reasons"]["ready"], status
    before = status["denial_reasons"]["answered"]
    sql = load_metadata()["databases"]["archive"]["queries"]["denial_reasons"]["sql"]
    with site_data.connect() as conn:
        years = [r[0] for r in conn.execute("select distinct year from requests")]
        provinces = [r[0] for r in conn.execute("select distinct province from requests") if r[0]]
        assert years and any(
            conn.execute(sql, {"year": str(y), "province": ""}).fetchone()["state_secret"]
            for y in years
        ), "no denial in the fixture archive: the comparison would prove little"
        cases = [
            (str(year), province)
            for year in [*years, 1999]
            for province in ["", *provinces, "没有这个省"]
        ]
        for year, province in cases:
            expected = [
                dict(row) for row in conn.execute(sql, {"year": year, "province": province})
            ]
            got = client.get(
                "/archive/denial_reasons.json",
                params={"year": year, "province": province, "_shape": "array"},
            ).json()
            assert got == expected, (year, province)
    answered = sums_status(client)["queries"]
    assert isinstance(answered, dict)
    assert answered["denial_reasons"]["answered"] == before + len(cases)
