"""Default facets answered from startup counts (``datasette/plugins/facet_counts.py``).

Each page is asked twice: as is (answered from the counts) and with
``id__notnull=1`` added, a filter that keeps every row but is on a column the
counts do not cover, so Datasette's own ColumnFacet answers. The facets must
be the same, value for value and count for count, and ``/-/facet-counts.json``
must show that the first request was answered from the counts and the second
was not.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

FACETS = ("year", "province", "level", "template")


def counted(client: httpx.Client, table: str) -> dict[str, Any]:
    """The table's entry in /-/facet-counts.json, once the startup thread has counted it."""
    deadline = time.monotonic() + 60
    while True:
        status = client.get("/-/facet-counts.json").json()
        if status.get(table, {}).get("counted"):
            return dict(status[table])
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def facets(client: httpx.Client, path: str) -> dict[str, list[tuple[Any, int, bool]]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return {
        name: [(r["value"], r["count"], r["selected"]) for r in facet["results"]]
        + [("truncated", facet["truncated"], False)]
        for name, facet in response.json()["facet_results"].items()
    }


def query_strings(site_data: SiteData) -> list[str]:
    with site_data.connect() as conn:
        year, province, level, template = conn.execute(
            "select year, province, level, template from reports"
            " where province is not null and template is not null"
            " group by 1, 2, 3, 4 order by count(*) desc limit 1"
        ).fetchone()
    return [
        "",
        f"year={year}",
        f"year={year}&province={quote(province)}",
        f"year={year}&province={quote(province)}&level={level}&template={template}",
        f"level={level}",
        f"template={template}&_sort_desc=year",
        f"year__gt={year - 2}&level__not={level}",
        f"province__in={quote(province)},nowhere",
        "year=1900",  # no row
        "year=not-a-year",
        "province__isnull=1",
        "_facet_size=2",  # truncated
        f"year={year}&_facet=province&_facet=level&_size=0",
    ]


@pytest.mark.parametrize("table", ["reports", "requests", "review_litigation"])
def test_counted_facets_equal_datasettes_own(
    client: httpx.Client, site_data: SiteData, table: str
) -> None:
    pk = "id" if table == "reports" else "report_id"
    assert counted(client, table)["columns"] == list(FACETS)
    for qs in query_strings(site_data):
        before = counted(client, table)["answered"]
        fast = facets(client, f"/archive/{table}.json?{qs}")
        after = counted(client, table)["answered"]
        assert after > before, f"{qs}: not answered from the counts"
        slow = facets(client, f"/archive/{table}.json?{qs}&{pk}__notnull=1")
        assert counted(client, table)["answered"] == after, f"{qs}: a filter on {pk} was counted"
        assert set(FACETS) <= set(fast), qs
        assert fast == slow, qs


def test_counts_equal_a_group_by(client: httpx.Client, site_data: SiteData) -> None:
    counted(client, "reports")
    data = client.get("/archive/reports.json?_size=0&_facet_size=max").json()
    with site_data.connect() as conn:
        for column in FACETS:
            expected = dict(
                conn.execute(
                    f"select {column}, count(*) from reports where {column} is not null"
                    f" group by {column}"
                ).fetchall()
            )
            got = {r["value"]: r["count"] for r in data["facet_results"][column]["results"]}
            assert got == expected, column
            assert sum(got.values()) > 0


def test_search_and_other_filters_fall_back(client: httpx.Client) -> None:
    before = counted(client, "reports")["answered"]
    for qs in ("_search=人民政府", "_where=year>2000", "body_name__contains=局"):
        response = client.get(f"/archive/reports.json?{qs}")
        assert response.status_code == 200, (qs, response.text)
        assert set(response.json()["facet_results"]) >= set(FACETS)
    assert counted(client, "reports")["answered"] == before
