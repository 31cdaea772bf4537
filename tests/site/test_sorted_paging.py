"""Paging a sorted table shows every row once, in (sort, primary key) order.

Datasette 0.65.5 orders a sorted table's first page by the sort column alone
and every later page by the sort and then the primary key, after the last row
shown. When a page boundary falls inside a run of equal values, the first
page's rows of that value are whichever the query plan met first, and the
second page continues from the last of them in key order: rows are shown twice
or never. ``datasette/plugins/sorted_paging.py`` gives the first page the
same tie-breaker.

Each case follows ``next`` from the first page to the last with a page size
that puts a boundary inside a tie, and compares the keys shown with a full
``ORDER BY <sort>, <key>`` scan of the database file.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from lxml import html as lxml_html

from archive.site import load_metadata, running_site
from tests.site.conftest import SiteData
from tests.site.test_table_search import like_scan_reports

pytestmark = pytest.mark.slow

# (table, sort argument or "" for the table's default sort from metadata.yaml, column, descending)
CASES = [
    ("reports", "", "year", True),  # the default view: sort_desc: year
    ("reports", "_sort=year", "year", False),
    ("reports", "_sort_desc=province", "province", True),
    ("reports", "_sort=documents", "documents", False),
    ("reports", "_sort_desc=suits", "suits", True),
    ("reports", "_sort_desc=checks_failing_count", "checks_failing_count", True),
    ("requests", "", "year", True),
    ("requests", "_sort=province", "province", False),
    ("requests", "_sort=year", "year", False),  # read year by year (its index is year DESC)
    ("review_litigation", "", "year", True),
    ("review_litigation", "_sort_desc=review__total", "review__total", True),
    ("review_litigation", "_sort=year", "year", False),
    ("proactive", "", "year", True),
    ("proactive", "_sort=year", "year", False),
    ("proactive", "_sort_desc=licensing__decisions", "licensing__decisions", True),
    ("proactive_other_rows", "", "year", True),  # a compound key: (report_id, row_key)
    ("proactive_other_rows", "_sort=year", "year", False),
    ("sections", "_sort_desc=report_id", "report_id", True),
    ("bodies", "_sort=level", "level", False),
    ("failed_checks", "_sort_desc=check_id", "check_id", True),
    ("documents", "_sort=format", "format", False),
]
SIZES = (2, 3, 5)


def keys_of(conn: sqlite3.Connection, table: str) -> list[str]:
    """The table's primary key columns, or ``rowid`` for a table without one (as Datasette)."""
    info = conn.execute(f"pragma table_info([{table}])").fetchall()
    pks = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
    return pks or ["rowid"]


def full_scan(
    site_data: SiteData, table: str, column: str, descending: bool
) -> tuple[list[str], list[tuple[object, tuple[object, ...]]]]:
    """The key columns, and (sort value, key) of every row in ``ORDER BY column, key`` order."""
    with site_data.connect() as conn:
        keys = keys_of(conn, table)
        key_sql = ", ".join(f"[{k}]" for k in keys)
        direction = "desc" if descending else ""
        rows = conn.execute(
            f"select [{column}], {key_sql} from [{table}] order by [{column}] {direction}, {key_sql}"
        ).fetchall()
    return keys, [(row[0], tuple(row[1:])) for row in rows]


def splits_a_tie(order: list[tuple[object, tuple[object, ...]]], size: int) -> bool:
    """True if some page boundary of ``size`` rows falls between two rows of one sort value."""
    return any(order[i - 1][0] == order[i][0] for i in range(size, len(order), size))


def page_size_for(order: list[tuple[object, tuple[object, ...]]]) -> int:
    sizes = [size for size in SIZES if splits_a_tie(order, size)]
    assert sizes, "no page size puts a boundary inside a tie: the case cannot fail"
    return sizes[0]


def shown_in_json(client: httpx.Client, path: str, keys: list[str]) -> list[tuple[object, ...]]:
    """The keys of every row on the page at ``path`` and on the pages "next" leads to."""
    shown: list[tuple[object, ...]] = []
    while path:
        data = client.get(path).json()
        assert "rows" in data, (path, data)
        index = [data["columns"].index(k) for k in keys]
        shown += [tuple(row[i] for i in index) for row in data["rows"]]
        path = data["next_url"]
    return shown


@pytest.mark.parametrize(("table", "sort", "column", "descending"), CASES)
def test_json_pages_follow_the_sort_then_the_key(
    client: httpx.Client,
    site_data: SiteData,
    table: str,
    sort: str,
    column: str,
    descending: bool,
) -> None:
    keys, order = full_scan(site_data, table, column, descending)
    size = page_size_for(order)
    query = "&".join(part for part in (sort, f"_size={size}", "_nocount=1") if part)
    columns = f"&_col={quote(column)}" if column not in keys else ""
    shown = shown_in_json(client, f"/archive/{table}.json?{query}{columns}", keys)
    assert len(shown) == len(set(shown)), f"{table}?{query}: rows shown twice"
    assert shown == [key for _, key in order], f"{table}?{query}"


def test_the_default_sort_is_the_metadata_one(client: httpx.Client) -> None:
    """The cases with no sort argument test what the metadata says they test."""
    for table in ("reports", "requests", "review_litigation", "proactive", "proactive_other_rows"):
        sql = client.get(f"/archive/{table}.json?_size=1").json()["query"]["sql"]
        assert re.search(r"order by year desc\b", sql), (table, sql)


def test_html_pages_follow_the_sort_then_the_key(client: httpx.Client, site_data: SiteData) -> None:
    """The table page a journalist reads: "Next page" from the default view to the last page."""
    _, order = full_scan(site_data, "reports", "year", True)
    size = page_size_for(order)
    path: str | None = f"/archive/reports?_size={size}"
    shown: list[str] = []
    while path:
        response = client.get(path)
        assert response.status_code == 200, path
        page = lxml_html.fromstring(response.text)
        shown += [cell.text_content().strip() for cell in page.cssselect("td.col-id")]
        links = [a.get("href") for a in page.cssselect("a") if a.text_content() == "Next page"]
        path = links[0] if links else None
    assert shown == [str(key[0]) for _, key in order]


def test_search_pages_follow_the_sort_then_the_key(
    client: httpx.Client, site_data: SiteData, tmp_path: Path
) -> None:
    """A search of the year-sorted reports pages in (year desc, id) order, even if rowids do not.

    ``table_search.py`` picks the first page of a search by (year, rowid), which
    is (year, id) only because the build writes reports in id order. On a copy
    of the archive where two reports of one year, around a page boundary,
    trade rowids, the site must notice and page by the key.
    """
    term = "人民政府"
    order = sorted(
        like_scan_reports(site_data, term), key=lambda year_id: (-year_id[0], year_id[1])
    )
    # The first page's boundary inside a run of three reports of one year: that page
    # is picked with one row to spare (page size + 1), so the rows that trade rowids
    # are its last and the one after the spare.
    size = boundary = next(
        i for i in range(2, len(order) - 1) if order[i - 1][0] == order[i + 1][0]
    )
    path = f"/archive/reports.json?_search={quote(term)}&_size={size}&_col=year"
    expected = [(report_id,) for _, report_id in order]
    assert shown_in_json(client, path, ["id"]) == expected
    while not client.get("/-/facet-counts.json").json().get("done"):
        time.sleep(0.2)
    # The archive as built: the first page is picked from the matches in memory.
    assert client.get("/-/facet-counts.json").json()["tables"]["reports"]["rowids_follow_key"]
    assert ":search_r0" in client.get(path).json()["query"]["sql"]
    last, following = order[boundary - 1][1], order[boundary + 1][1]
    copy = tmp_path / "archive.db"
    shutil.copy(site_data.path / "archive.db", copy)
    with sqlite3.connect(copy) as conn:
        (a,), (b,) = (
            conn.execute("select rowid from reports where id = ?", (i,)).fetchone()
            for i in (last, following)
        )
        assert a < b  # the build writes reports in id order
        conn.execute("update reports set rowid = -1 where rowid = ?", (a,))
        conn.execute("update reports set rowid = ? where rowid = ?", (a, b))
        conn.execute("update reports set rowid = ? where rowid = -1", (b,))
    conn.close()
    with (
        running_site(("serve", "--data-dir", str(tmp_path)), log=tmp_path / "serve.log") as site,
        httpx.Client(base_url=site.url, timeout=30) as swapped,
    ):
        while not swapped.get("/-/facet-counts.json").json().get("done"):
            time.sleep(0.2)
        status = swapped.get("/-/facet-counts.json").json()["tables"]["reports"]
        assert status["rowids_follow_key"] is False
        assert shown_in_json(swapped, path, ["id"]) == expected


# The tables of 0.7–4.6M rows at national scale, which list their sortable columns.
BIG_TABLES = ("reports", "requests", "review_litigation", "proactive", "sections")


def sort_links(page: lxml_html.HtmlElement) -> set[str]:
    """The columns a table page offers to sort by: header links and the sort form's options."""
    columns = set()
    for href in page.xpath('//table[contains(@class, "rows-and-columns")]//th//a/@href'):
        match = re.search(r"[?&]_sort(?:_desc)?=([^&]+)", href)
        if match:
            columns.add(match.group(1))
    columns |= set(page.xpath('//select[@name="_sort"]/option/@value')) - {""}
    return columns


@pytest.mark.parametrize("table", [*BIG_TABLES, "cross_checks", "captures", "report_publication"])
def test_a_big_table_offers_only_sorts_it_allows(client: httpx.Client, table: str) -> None:
    """No sort link leads to an error: every one offered is allowed, and answers."""
    sortable = set(load_metadata()["databases"]["archive"]["tables"][table]["sortable_columns"])
    page = lxml_html.fromstring(client.get(f"/archive/{table}").text)
    offered = sort_links(page)
    assert offered, table
    assert offered <= sortable | {"rowid"}, table
    assert not {"level", "template"} & offered, table
    for column in sorted(offered):
        for arg in ("_sort", "_sort_desc"):
            response = client.get(f"/archive/{table}.json?{arg}={column}&_size=1&_nofacet=1")
            assert response.status_code == 200, (table, arg, column, response.text)


@pytest.mark.parametrize("table", BIG_TABLES)
def test_a_sort_a_big_table_does_not_allow_is_a_400_that_says_why(
    client: httpx.Client, table: str
) -> None:
    """Datasette refuses such a sort with a 500 ("Cannot sort table by"); the site says 400, why."""
    for column in ("level", "template"):
        for arg in ("_sort", "_sort_desc"):
            response = client.get(f"/archive/{table}.json?{arg}={column}&_size=1")
            assert response.status_code == 400, (table, arg, column)
            error = response.json()["error"]
            assert f"Cannot sort {table} by {column}" in error
            assert f"_facet={column}" in error  # what to do instead
    page = client.get(f"/archive/{table}?_sort_desc=template")
    assert page.status_code == 400
    assert f"Cannot sort {table} by template" in page.text
    missing = client.get(f"/archive/{table}.json?_sort=no_such_column")
    assert missing.status_code == 400
    assert "no column no_such_column" in missing.json()["error"]
    both = client.get(f"/archive/{table}.json?_sort=year&_sort_desc=year")
    assert both.status_code == 400  # Datasette's own refusal is a 500
    assert "Cannot use _sort and _sort_desc at the same time" in both.json()["error"]


@pytest.mark.parametrize(
    ("path", "ending"),
    [
        ("/archive/reports?_size=3", "order by year desc, id limit 4"),
        ("/archive/reports?year__gte=2019&_size=3", "order by year desc, id limit 4"),
        ("/archive/requests?_sort=province&_size=3", "order by province, report_id limit 4"),
        ("/archive/proactive?_size=4", "order by year desc, report_id limit 5"),
        ("/archive/proactive_other_rows?_size=1", "order by year desc, report_id, row_key limit 2"),
    ],
)
def test_a_sorted_page_shows_the_sql_it_ran(client: httpx.Client, path: str, ending: str) -> None:
    """``query.sql`` and "View and edit SQL" are the first page's SQL, key and all."""
    data = client.get(path.replace("?", ".json?", 1) + "&_nofacet=1").json()
    sql, params = data["query"]["sql"], data["query"]["params"]
    assert sql.endswith(ending), sql
    # Run as shown, it gives the page's rows in the page's order.
    ran = client.get("/archive.json", params={"sql": sql, **params}).json()
    assert ran["rows"][: len(data["rows"])] == data["rows"]
    page = lxml_html.fromstring(client.get(path).text)
    (href,) = page.xpath('//a[contains(., "View and edit SQL")]/@href')
    shown = parse_qs(urlsplit(href).query)
    assert shown["sql"] == [sql]
    assert {k: v[0] for k, v in shown.items() if k != "sql"} == {
        k: str(v) for k, v in params.items()
    }


@pytest.mark.parametrize(
    "table", ["reports", "requests", "review_litigation", "proactive", "proactive_other_rows"]
)
def test_a_sort_against_its_index_is_read_value_by_value(
    client: httpx.Client, site_data: SiteData, table: str
) -> None:
    """``_sort=year`` on a table indexed ``(year DESC, key)``: each year's rows in key order.

    SQLite cannot read that index backwards for ``order by year, key``, so it
    read a whole year and sorted it (2.6 s on 700k reports' ``proactive``,
    past the time limit: the year column's sort link led to an error).
    The pages, HTML and JSON, are read one year at a time, in the same order.
    """
    keys, order = full_scan(site_data, table, "year", False)
    size = page_size_for(order)
    before = client.get("/-/sorted-paging.json").json()["pages"]
    shown = shown_in_json(client, f"/archive/{table}.json?_sort=year&_size={size}&_nocount=1", keys)
    assert shown == [key for _, key in order]
    pages = -(-len(order) // size)
    assert client.get("/-/sorted-paging.json").json()["pages"] == before + pages
    assert client.get(f"/archive/{table}?_sort=year").status_code == 200
    # Descending is the index's own order, and a filter's index is Datasette's plan.
    for other in ("_sort_desc=year", f"_sort=year&year={order[0][0]}"):
        counted = client.get("/-/sorted-paging.json").json()["pages"]
        assert client.get(f"/archive/{table}.json?{other}&_size=1").status_code == 200
        assert client.get("/-/sorted-paging.json").json()["pages"] == counted


def test_pages_read_value_by_value_put_nulls_first(site_data: SiteData, tmp_path: Path) -> None:
    """Ascending, SQLite sorts NULLs first: pages start inside them and continue into the
    values; descending, they come last, after the last value's rows."""
    shutil.copy(site_data.path / "archive.db", tmp_path / "archive.db")
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        conn.execute(
            "update review_litigation set year = null where report_id in"
            " (select report_id from review_litigation order by report_id desc limit 3)"
        )
        rows = conn.execute(
            "select year, report_id from review_litigation order by year, report_id"
        ).fetchall()
        descending = conn.execute(
            "select report_id from review_litigation order by year desc, report_id"
        ).fetchall()
    conn.close()
    order = [(year, (report_id,)) for year, report_id in rows]
    assert [year for year, _ in order[:4]] == [None, None, None, order[3][0]]
    with (
        running_site(("serve", "--data-dir", str(tmp_path)), log=tmp_path / "serve.log") as site,
        httpx.Client(base_url=site.url, timeout=30) as client,
    ):
        for size in (2, 3, 5):
            before = client.get("/-/sorted-paging.json").json()["pages"]
            path = f"/archive/review_litigation.json?_sort=year&_size={size}&_nocount=1"
            assert shown_in_json(client, path, ["report_id"]) == [key for _, key in order]
            assert client.get("/-/sorted-paging.json").json()["pages"] > before
        # Descending, the index's own order: later pages are read value by value (the
        # NULLs last), each page in the order of a full scan.
        for size in (2, 3, 5):
            before = client.get("/-/sorted-paging.json").json()["pages"]
            path = f"/archive/review_litigation.json?_sort_desc=year&_size={size}&_nocount=1"
            assert shown_in_json(client, path, ["report_id"]) == [tuple(r) for r in descending]
            pages = -(-len(descending) // size)
            assert client.get("/-/sorted-paging.json").json()["pages"] == before + pages - 1
