"""``?_search=`` on sections and reports (``datasette/plugins/table_search.py``).

Sections: the page the search box asks for (``_nocount=1``) reads only the
rows it shows; following its "next" links must still find every section a
LIKE scan finds, in rowid order. Without ``_nocount`` the count is exact: from
the index when the search is the only filter (``/-/table-search.json`` counts
those), Datasette's own count otherwise.

Reports (sorted by year): the count equals a LIKE scan, the first page holds
the newest matches (chosen from the rowids the index matched and their years
kept in memory), and pages in id order reach every match exactly once.
"""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import quote

import httpx
import pytest
from lxml import html as lxml_html

from archive.bigram import fts_query
from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

TERMS = ["复议", "公开", "依申请公开", "复议 诉讼", "网站", "诉"]


def like_scan(site_data: SiteData, term: str) -> list[int]:
    words = term.split()
    where = " and ".join("text like '%' || ? || '%'" for _ in words)
    with site_data.connect() as conn:
        return [
            r[0] for r in conn.execute(f"select id from sections where {where} order by id", words)
        ]


STREAMED = "order by rowid limit"  # in the page's SQL when the filter streams


def all_pages(
    client: httpx.Client, path: str, streamed: bool = True, counts: set[int | None] | None = None
) -> tuple[list[int], int]:
    """Every id on the page at ``path`` and on the pages its "next" links lead to; the page count.

    ``counts`` (if given) receives each page's ``filtered_table_rows_count``.
    """
    ids: list[int] = []
    pages = 0
    while path:
        data = client.get(path).json()
        assert (STREAMED in data["query"]["sql"]) == streamed, (path, data["query"]["sql"])
        if counts is not None:
            counts.add(data["filtered_table_rows_count"])
        ids += [row[data["columns"].index("id")] for row in data["rows"]]
        pages += 1
        path = data["next_url"]
        assert pages < 500
    return ids, pages


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("sort", ["", "&_sort=id"])
def test_streamed_pages_find_every_match_in_order(
    client: httpx.Client, site_data: SiteData, term: str, sort: str
) -> None:
    expected = like_scan(site_data, term)
    ids, pages = all_pages(
        client, f"/archive/sections.json?_search={quote(term)}&_nocount=1&_size=7&_col=id{sort}"
    )
    assert ids == expected
    assert pages == max(1, -(-len(expected) // 7))
    assert expected or term == "网站"


def counts_from_index(client: httpx.Client) -> int:
    return int(client.get("/-/table-search.json").json()["counts_from_index"])


@pytest.mark.parametrize("term", ["复议", "公开", "行政复议", "政府信息"])  # one bigram, phrases
def test_count_without_nocount_and_filters_alongside(
    client: httpx.Client, site_data: SiteData, term: str
) -> None:
    expected = like_scan(site_data, term)
    # The search alone: counted on the index, and the page still streams.
    before = counts_from_index(client)
    data = client.get(f"/archive/sections.json?_search={quote(term)}&_size=3").json()
    assert data["filtered_table_rows_count"] == len(expected) > 3
    assert STREAMED in data["query"]["sql"]
    assert counts_from_index(client) == before + 1
    counts: set[int | None] = set()
    ids, pages = all_pages(
        client, f"/archive/sections.json?_search={quote(term)}&_size=4&_col=id", counts=counts
    )
    assert ids == expected and pages == -(-len(expected) // 4)
    assert counts == {len(expected)}
    # With a facet the page is not streamed; the count still comes from the index.
    data = client.get(f"/archive/sections.json?_search={quote(term)}&_size=3&_facet=year").json()
    assert data["filtered_table_rows_count"] == len(expected)
    assert STREAMED not in data["query"]["sql"]
    assert counts_from_index(client) == before + 2 + pages
    # Counted once per search and kept: each later page of it took the count kept.
    kept = client.get("/-/table-search.json").json()["counts_kept"]
    spaced = client.get(f"/archive/sections.json?_search={quote(term + '  ')}&_size=1").json()
    assert spaced["filtered_table_rows_count"] == len(expected)
    assert client.get("/-/table-search.json").json()["counts_kept"] == kept + 1
    before += 1
    with site_data.connect() as conn:
        year, section = conn.execute(
            "select year, section from sections where id = ?", (expected[0],)
        ).fetchone()
        in_year = {
            r[0]
            for r in conn.execute(
                "select id from sections where year = ? and section = ? and text like ?",
                (year, section, f"%{term}%"),
            )
        }
    # With a column filter Datasette counts (exactly), and the page is not streamed.
    data = client.get(
        f"/archive/sections.json?_search={quote(term)}&year={year}&section={section}&_size=1"
    ).json()
    assert data["filtered_table_rows_count"] == len(in_year)
    assert STREAMED not in data["query"]["sql"]
    assert counts_from_index(client) == before + 2 + pages
    # Column filters stream too, each match checked against them as the index yields it.
    ids, _ = all_pages(
        client,
        f"/archive/sections.json?_search={quote(term)}&_nocount=1&_size=2&year={year}"
        f"&section={section}&_col=id",
    )
    assert ids == sorted(in_year) and in_year
    array = client.get(
        f"/archive/sections.json?_search={quote(term)}&_shape=array&year={year}"
        f"&section__in={section},none&_size=max"
    ).json()
    assert sorted(r["id"] for r in array) == sorted(in_year)
    # A facet takes the general (unstreamed) filter, still exact.
    ids, _ = all_pages(
        client,
        f"/archive/sections.json?_search={quote(term)}&_nocount=1&_size=2&year={year}"
        f"&section={section}&_facet=year",
        streamed=False,
    )
    assert set(ids) == in_year and in_year
    data = client.get(
        f"/archive/sections.json?_search={quote(term)}&_nocount=1&_facet=section&_size=1"
    ).json()
    assert sum(r["count"] for r in data["facet_results"]["section"]["results"]) == len(expected)


def test_the_search_box_asks_for_the_streamed_page(client: httpx.Client) -> None:
    page = lxml_html.fromstring(client.get("/archive/sections").text)
    (box,) = page.xpath('//form[@class="filters"]//input[@name="_search"]')
    form = box.xpath("ancestor::form")[0]
    assert form.xpath('.//input[@type="hidden" and @name="_nocount"]/@value') == ["1"]
    # As the form submits it: with the current sort (the key, ascending), streamed all the same.
    searched = client.get(f"/archive/sections?_search={quote('复议')}&_sort=id&_nocount=1")
    assert searched.status_code == 200
    result = lxml_html.fromstring(searched.text)
    assert result.xpath('//form[@class="filters"]//input[@name="_search"]/@value') == ["复议"]
    assert result.xpath('//table[contains(@class, "rows-and-columns")]//tbody/tr')


def like_scan_reports(site_data: SiteData, term: str) -> list[tuple[int, str]]:
    """(year, id) of every report whose title or body name contains every word of ``term``."""
    words = term.split()
    where = " and ".join(
        "(title like '%' || ? || '%' or body_name like '%' || ? || '%')" for _ in words
    )
    with site_data.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                f"select year, id from reports where {where}", [w for w in words for _ in "tb"]
            )
        ]


def report_terms(site_data: SiteData) -> list[str]:
    with site_data.connect() as conn:
        names = sorted({r[0] for r in conn.execute("select body_name from reports")})
    return ["人民政府", "年度", "局", "政府 年度", names[0], names[-1][1:4], "不存在的词"]


@pytest.mark.parametrize("size", [3, 25])
def test_report_search_count_and_pages(
    client: httpx.Client, site_data: SiteData, size: int
) -> None:
    for term in report_terms(site_data):
        expected = like_scan_reports(site_data, term)
        before = counts_from_index(client)
        # The table's own order (year, newest first): the count from the index, the newest rows.
        path = f"/archive/reports.json?_search={quote(term)}&_size={size}&_col=year"
        first = client.get(path).json()
        assert first["filtered_table_rows_count"] == len(expected), term
        assert counts_from_index(client) == before + 1, term
        # The first page's rows were chosen from the matches' years held in memory.
        assert (":search_r0" in first["query"]["sql"]) == bool(expected), term
        # Datasette orders the page by year alone, so rows of one year may come in any order.
        newest = sorted(expected, key=lambda year_id: (-year_id[0], year_id[1]))[: size + 1]
        assert {(row[1], row[0]) for row in first["rows"]} <= set(newest), term
        assert [row[1] for row in first["rows"]] == [year for year, _ in newest][:size], term
        # Paged by id (a total order: Datasette 0.65 breaks ties of a sort only from page 2),
        # following "next" shows every match once, each page counted from the index.
        path += "&_sort=id"
        shown: list[tuple[int, str]] = []
        counts = set()
        while path:
            data = client.get(path).json()
            counts.add(data["filtered_table_rows_count"])
            shown += [(row[1], row[0]) for row in data["rows"]]
            path = data["next_url"]
        assert shown == sorted(expected, key=lambda year_id: year_id[1]), term
        assert counts == {len(expected)}, term
    assert any(len(like_scan_reports(site_data, t)) > 25 for t in report_terms(site_data))


def test_report_search_with_column_filters(client: httpx.Client, site_data: SiteData) -> None:
    """Filters on the columns held in memory are applied to the matches' codes; others are SQL."""
    with site_data.connect() as conn:
        conn.create_function("escape_fts", 1, fts_query)
        year, province, level = conn.execute(
            "select year, province, level from reports where province is not null"
            " group by 1, 2, 3 order by count(*) desc limit 1"
        ).fetchone()
    search = "rowid in (select rowid from reports_fts where reports_fts match escape_fts(:t))"
    cases = [  # (query string, Datasette's WHERE for it, from the codes?)
        (f"year={year}", "year = :a", {"a": year}, True),
        (f"year__gt={year - 2}&level__not={level}", "year > :a and level != :b",
         {"a": year - 2, "b": level}, True),
        (f"province={quote(province)}&level={level}", "province = :a and level = :b",
         {"a": province, "b": level}, True),
        ("province__isnull=1", "province is null", {}, True),
        (f"level__in={level},nowhere", "level in (:a, 'nowhere')", {"a": level}, True),
        ("year=not-a-year", "year = 'not-a-year'", {}, True),
        (f"year={year}&body_id__notnull=1", "year = :a and body_id is not null", {"a": year}, False),
    ]  # fmt: skip
    nonempty = 0
    for term in ("人民政府", "局", "年度"):
        for qs, where, params, coded in cases:
            with site_data.connect() as conn:
                conn.create_function("escape_fts", 1, fts_query)
                expected = conn.execute(
                    f"select year, id from reports where {where} and {search}"
                    " order by year desc, id",
                    {**params, "t": term},
                ).fetchall()
            before = counts_from_index(client)
            data = client.get(f"/archive/reports.json?_search={quote(term)}&{qs}&_size=3").json()
            assert data["filtered_table_rows_count"] == len(expected), (term, qs)
            assert counts_from_index(client) == before + coded, (term, qs)
            assert (":search_r0" in data["query"]["sql"]) == (coded and bool(expected)), (term, qs)
            years = [row[data["columns"].index("year")] for row in data["rows"]]
            assert years == [y for y, _ in expected][:3], (term, qs)
            year_facet = {r["value"]: r["count"] for r in data["facet_results"]["year"]["results"]}
            assert sum(year_facet.values()) == len(expected), (term, qs)
            nonempty += len(expected) > 3
    assert nonempty >= 10
    sorted_by = client.get(
        f"/archive/reports.json?_search={quote('人民政府')}&_sort=body_name&_shape=array&_size=max"
    ).json()
    assert [r["body_name"] for r in sorted_by] == sorted(r["body_name"] for r in sorted_by)
    assert sorted(r["id"] for r in sorted_by) == sorted(
        i for _, i in like_scan_reports(site_data, "人民政府")
    )


def test_the_reports_search_box_keeps_the_count(client: httpx.Client) -> None:
    page = lxml_html.fromstring(client.get("/archive/reports").text)
    (box,) = page.xpath('//form[@class="filters"]//input[@name="_search"]')
    form = box.xpath("ancestor::form")[0]
    assert not form.xpath('.//input[@type="hidden" and @name="_nocount"]')
    searched = client.get(f"/archive/reports?_search={quote('人民政府')}")
    assert searched.status_code == 200
    result = lxml_html.fromstring(searched.text)
    assert result.xpath('//form[@class="filters"]//input[@name="_search"]/@value') == ["人民政府"]
    assert result.xpath('//table[contains(@class, "rows-and-columns")]//tbody/tr')


def test_report_search_facets_see_every_match(client: httpx.Client, site_data: SiteData) -> None:
    # A facet the in-memory codes do not hold is Datasette's, over the page's own filter:
    # that filter must then select every match, not only the first page's rows.
    expected = like_scan_reports(site_data, "年度")
    assert len(expected) > 3
    for extra in ("&_facet=body_id", "&_facet=year&_facet=body_id", "&_facet_array=body_id"):
        data = client.get(f"/archive/reports.json?_search={quote('年度')}&_size=3{extra}")
        assert data.status_code in (200, 400), extra
        if data.status_code == 200 and "body_id" in data.json()["facet_results"]:
            facet = data.json()["facet_results"]["body_id"]
            assert sum(r["count"] for r in facet["results"]) == len(expected), extra
            assert ":search_r0" not in data.json()["query"]["sql"], extra
        assert data.json().get("filtered_table_rows_count") in (None, len(expected)), extra
    data = client.get(f"/archive/reports.json?_search={quote('年度')}&_size=3&_facet=year").json()
    assert ":search_r0" in data["query"]["sql"]
    assert sum(r["count"] for r in data["facet_results"]["year"]["results"]) == len(expected)


@pytest.mark.parametrize("table", ["reports", "sections"])
def test_streamed_csv_has_every_match(
    client: httpx.Client, site_data: SiteData, table: str
) -> None:
    # Datasette's CSV stream asks for its pages itself (no _next in the query string).
    term = "年度" if table == "reports" else "公开"
    if table == "reports":
        expected = sorted(i for _, i in like_scan_reports(site_data, term))
        assert len(expected) > 26  # more than the table's first page (25 + 1)
        sort = "&_sort=id"  # a total order (see test_report_search_count_and_pages)
    else:
        expected = [str(i) for i in like_scan(site_data, term)]
        assert len(expected) > 51  # more than the table's first page (50 + 1)
        sort = ""
    path = f"/archive/{table}.csv?_search={quote(term)}&_stream=on&_col=year"
    response = client.get(path + sort)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    assert sorted(row[0] for row in rows) == sorted(expected)
    if table == "reports":  # in the table's own order too (ties of a year may repeat or skip)
        rows = list(csv.reader(io.StringIO(client.get(path).text)))[1:]
        assert len({row[0] for row in rows}) > 26


def test_the_search_indexes_are_read_into_the_page_cache_at_startup(
    client: httpx.Client, site_data: SiteData
) -> None:
    """Startup reads every block of both FTS indexes, so that no first count waits for the disk.

    A term's count reads its whole doclist; on a freshly started server whose
    file is not in the page cache, the first count of a common term read it
    from the disk (~2 s at 700k reports, 2-4× the cached time).
    """
    deadline = time.monotonic() + 60
    while set(client.get("/-/table-search.json").json()["warmed"]) != {
        "sections_fts",
        "reports_fts",
    }:
        assert time.monotonic() < deadline, client.get("/-/table-search.json").json()
        time.sleep(0.2)
    warmed = client.get("/-/table-search.json").json()["warmed"]
    with site_data.connect() as conn:
        for fts in ("sections_fts", "reports_fts"):
            blocks, size = conn.execute(
                f"select count(*), sum(length(block)) from {fts}_data"
            ).fetchone()
            assert warmed[fts]["complete"] is True, warmed
            assert (warmed[fts]["blocks"], warmed[fts]["bytes"]) == (blocks, size), fts
    # Reading changed nothing: counts stay exact.
    data = client.get(f"/archive/sections.json?_search={quote('复议')}&_size=1").json()
    assert data["filtered_table_rows_count"] == len(like_scan(site_data, "复议"))
