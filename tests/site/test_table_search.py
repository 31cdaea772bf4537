"""``?_search=`` on sections (``datasette/plugins/table_search.py``): streamed pages, every match.

The page the search box asks for (``_nocount=1``) reads only the rows it
shows; following its "next" links must still find every section a LIKE scan
finds, in rowid order, and the exact count must still be there without
``_nocount``.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from lxml import html as lxml_html

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


def all_pages(client: httpx.Client, path: str, streamed: bool = True) -> tuple[list[int], int]:
    """Every id on the page at ``path`` and on the pages its "next" links lead to; the page count."""
    ids: list[int] = []
    pages = 0
    while path:
        data = client.get(path).json()
        assert (STREAMED in data["query"]["sql"]) == streamed, (path, data["query"]["sql"])
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


@pytest.mark.parametrize("term", ["复议", "公开"])
def test_count_without_nocount_and_filters_alongside(
    client: httpx.Client, site_data: SiteData, term: str
) -> None:
    expected = like_scan(site_data, term)
    data = client.get(f"/archive/sections.json?_search={quote(term)}&_size=3").json()
    assert data["filtered_table_rows_count"] == len(expected) > 3
    assert STREAMED not in data["query"]["sql"]
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
