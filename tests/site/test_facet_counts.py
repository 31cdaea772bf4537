"""Default facets from startup counts, and the one-pass fallback (``datasette/plugins/facet_counts.py``).

Every page's facets are compared with Datasette's own facet query (the SQL
``ColumnFacet`` runs, executed here on the same file with the same
parameters). Each page is asked twice: as is (answered from the counts) and
with ``id__notnull=1`` added, a filter that keeps every row but is on a
column the counts do not cover, so the one-pass query answers;
``/-/facet-counts.json`` must show that the first was answered from the
counts and the second was not.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from archive.bigram import fts_query
from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

FACETS = ("year", "province", "level", "template")


def counted(client: httpx.Client, table: str) -> dict[str, Any]:
    """The table's entry in /-/facet-counts.json, once the startup thread has counted it."""
    deadline = time.monotonic() + 60
    while True:
        status = client.get("/-/facet-counts.json").json()["tables"]
        if status.get(table, {}).get("counted"):
            return dict(status[table])
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def cases(site_data: SiteData) -> list[tuple[str, str, list[Any]]]:
    """(query string, the WHERE clause Datasette makes of it, its parameters)."""
    with site_data.connect() as conn:
        year, province, level, template = conn.execute(
            "select year, province, level, template from reports"
            " where province is not null and template is not null"
            " group by 1, 2, 3, 4 order by count(*) desc limit 1"
        ).fetchone()
    y, p = str(year), province
    return [
        ("", "", []),
        (f"year={y}", "year = ?", [y]),
        (f"year={y}&province={quote(p)}", "year = ? and province = ?", [y, p]),
        (
            f"year={y}&province={quote(p)}&level={level}&template={template}",
            "year = ? and province = ? and level = ? and template = ?",
            [y, p, level, template],
        ),
        (f"level={level}", "level = ?", [level]),
        (f"template={template}&_sort_desc=year", "template = ?", [template]),
        (f"year__gt={year - 2}&level__not={level}", "year > ? and level != ?", [year - 2, level]),
        (f"province__in={quote(p)},nowhere", "province in (?, ?)", [p, "nowhere"]),
        ("year=1900", "year = ?", ["1900"]),  # no row
        ("year=not-a-year", "year = ?", ["not-a-year"]),
        ("province__isnull=1", "province is null", []),
        (f"year={y}&_facet=province&_facet=level&_size=0", "year = ?", [y]),
    ]


def datasettes_facets(
    site_data: SiteData, table: str, where: str, params: list[Any], size: int = 40
) -> dict[str, list[tuple[Any, int, bool]]]:
    """What Datasette's ColumnFacet answers: its SQL, on the same file."""
    out = {}
    with site_data.connect() as conn:
        conn.create_function("escape_fts", 1, fts_query)
        for column in FACETS:
            rows = conn.execute(
                f"select {column} as value, count(*) as count from"
                f" (select * from [{table}] {'where ' + where if where else ''})"
                f" where {column} is not null group by {column}"
                f" order by count desc, value limit {size + 1}",
                params,
            ).fetchall()
            out[column] = [(r[0], r[1]) for r in rows[:size]] + [("truncated", len(rows) > size)]
    return out


def shown(client: httpx.Client, path: str) -> dict[str, list[tuple[Any, int]]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return {
        name: [(r["value"], r["count"]) for r in facet["results"]]
        + [("truncated", facet["truncated"])]
        for name, facet in response.json()["facet_results"].items()
        if name in FACETS
    }


@pytest.mark.parametrize("table", ["reports", "requests", "review_litigation"])
def test_facets_equal_datasettes_own(client: httpx.Client, site_data: SiteData, table: str) -> None:
    pk = "id" if table == "reports" else "report_id"
    assert counted(client, table)["columns"] == list(FACETS)
    for qs, where, params in cases(site_data):
        expected = datasettes_facets(site_data, table, where, params)
        before = counted(client, table)["answered"]
        assert shown(client, f"/archive/{table}.json?{qs}") == expected, qs
        after = counted(client, table)["answered"]
        assert after > before, f"{qs}: not answered from the counts"
        one_pass = shown(client, f"/archive/{table}.json?{qs}&{pk}__notnull=1")
        assert counted(client, table)["answered"] == after, f"{qs}: a filter on {pk} was counted"
        assert one_pass == expected, qs
    small = datasettes_facets(site_data, table, "", [], size=2)
    assert shown(client, f"/archive/{table}.json?_facet_size=2") == small
    assert shown(client, f"/archive/{table}.json?_facet_size=2&{pk}__notnull=1") == small
    assert small["year"][-1] == ("truncated", True)


def test_later_pages_have_the_first_pages_facets(client: httpx.Client, site_data: SiteData) -> None:
    """A later page shows its filter's facets, from the counts (Datasette's count its cursor on)."""
    pages = 0
    for qs, where, params in cases(site_data):
        first = client.get(f"/archive/reports.json?{qs}&_size=2").json()
        if not first.get("next_url"):
            continue
        before = counted(client, "reports")["answered"]
        assert shown(client, first["next_url"]) == datasettes_facets(
            site_data, "reports", where, params
        ), qs
        assert counted(client, "reports")["answered"] > before, f"{qs}: not from the counts"
        pages += 1
    assert pages >= 5


def test_search_pages_facets_equal_datasettes_own(
    client: httpx.Client, site_data: SiteData
) -> None:
    before = counted(client, "reports")
    assert before["searches"] >= 0  # the rowid codes are loaded with the counts
    where = "rowid in (select rowid from reports_fts where reports_fts match escape_fts(?))"
    terms = ("人民政府", "局", "年度", "政府 年度", "不存在的词")
    for term in terms:
        expected = datasettes_facets(site_data, "reports", where, [term])
        assert (sum(n for _, n in expected["year"][:-1]) > 0) == (term != "不存在的词"), term
        assert shown(client, f"/archive/reports.json?_search={quote(term)}") == expected, term
        small = datasettes_facets(site_data, "reports", where, [term], size=2)
        path = f"/archive/reports.json?_search={quote(term)}&_facet_size=2&_sort=id"
        assert shown(client, path) == small, term
    after = counted(client, "reports")
    assert after["answered"] == before["answered"]  # a search is not in the startup counts
    assert after["searches"] == before["searches"] + 2 * len(terms)  # from the rowid codes
    # With a filter on a counted column too: from the codes, the filter applied to them.
    expected = datasettes_facets(
        site_data, "reports", f"{where} and level = ?", ["局", "department"]
    )
    assert sum(n for _, n in expected["year"][:-1]) > 0
    assert (
        shown(client, f"/archive/reports.json?_search={quote('局')}&level=department") == expected
    )
    assert counted(client, "reports")["searches"] == after["searches"] + 1  # codes, filtered
    # A filter on a column the codes do not hold: the one-pass query, still equal.
    one_pass = shown(
        client, f"/archive/reports.json?_search={quote('局')}&level=department&id__notnull=1"
    )
    assert one_pass == expected
    assert counted(client, "reports")["searches"] == after["searches"] + 1


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


def test_counting_finishes(client: httpx.Client) -> None:
    counted(client, "reports")
    deadline = time.monotonic() + 60
    while not (status := client.get("/-/facet-counts.json").json())["done"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert {"reports", "requests", "review_litigation", "bodies"} <= set(status["tables"])
