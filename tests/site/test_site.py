"""The published site over HTTP: settings, facets, search, canned queries, report pages, archived copies."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from urllib.parse import quote

import httpx
import pytest
from lxml import html as lxml_html

from archive.site import load_metadata
from parsers import DocumentMeta, parse_document
from parsers.template import COLUMNS, OUTCOMES
from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

CROSS_REPORT = {"X_CARRY", "X_IN_FORCE"}


def test_served_immutable_with_inspect_counts_and_safe_settings(client: httpx.Client) -> None:
    settings = client.get("/-/settings.json").json()
    assert settings["suggest_facets"] is False
    assert settings["sql_time_limit_ms"] == 3000
    assert settings["max_returned_rows"] == 2000
    databases = client.get("/-/databases.json").json()
    (archive,) = [d for d in databases if d["name"] == "archive"]
    assert archive["is_mutable"] is False
    # The inspect file's hash is in use (only an inspected immutable database has one).
    assert archive["hash"]
    response = client.get("/archive/reports.json?_size=1")
    assert response.headers["access-control-allow-origin"] == "*"


def test_home_and_database_pages_link_the_site(client: httpx.Client) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "政府信息公开工作年度报告档案库" in home.text
    for link in ('href="/about"', 'href="/-/charts"', 'href="/-/api"'):
        assert link in home.text
    assert 'action="/-/search"' in home.text  # the search box
    for name in load_metadata()["databases"]["archive"]["queries"]:
        assert f'href="/archive/{name}"' in home.text
    database = client.get("/archive")
    assert database.status_code == 200
    for name in load_metadata()["databases"]["archive"]["queries"]:
        assert f"/archive/{name}" in database.text
    assert client.get("/about").status_code == 200
    robots = client.get("/robots.txt").text
    assert "Disallow" in robots


@pytest.mark.parametrize("table", ["reports", "requests", "review_litigation"])
def test_default_facets(client: httpx.Client, site_data: SiteData, table: str) -> None:
    data = client.get(f"/archive/{table}.json?_size=0").json()
    facets = data["facet_results"]
    assert {"year", "province", "level", "template"} <= set(facets)
    with site_data.connect() as conn:
        years = dict(conn.execute(f"select year, count(*) from [{table}] group by year").fetchall())
    assert {r["value"]: r["count"] for r in facets["year"]["results"]} == years
    assert data["suggested_facets"] == []


def _like_scan(site_data: SiteData, sql: str, term: str) -> set[object]:
    with site_data.connect() as conn:
        return {row[0] for row in conn.execute(sql, {"term": term})}


SECTION_TERMS = [
    "复议",
    "诉讼",
    "公开",
    "申请",
    "依申请公开",
    "行政诉讼",
    "政务",
    "办理",
    "问题",
    "网站",
    # Single characters: the index closes each CJK run with its last character.
    "诉",
    "年",
    "網",
]


@pytest.mark.parametrize("term", SECTION_TERMS)
def test_section_search_finds_every_match_a_like_scan_finds(
    client: httpx.Client, site_data: SiteData, term: str
) -> None:
    expected = _like_scan(
        site_data, "select id from sections where text like '%' || :term || '%'", term
    )
    rows = client.get(
        f"/archive/sections.json?_search={quote(term)}&_shape=array&_size=max&_col=id"
    ).json()
    assert {r["id"] for r in rows} == expected
    assert expected or term in ("网站", "網")


def test_report_search_on_titles_and_body_names(client: httpx.Client, site_data: SiteData) -> None:
    with site_data.connect() as conn:
        names = [r[0] for r in conn.execute("select distinct body_name from reports")]
    terms = {"人民", "政府", "年度"} | {name[2:4] for name in names if len(name) >= 4}
    for term in sorted(terms):
        expected = _like_scan(
            site_data,
            "select id from reports where title like '%' || :term || '%' "
            "or body_name like '%' || :term || '%'",
            term,
        )
        rows = client.get(
            f"/archive/reports.json?_search={quote(term)}&_shape=array&_size=max"
        ).json()
        assert {r["id"] for r in rows} == expected, term
        assert expected, term


def test_two_terms_are_anded_and_punctuation_alone_is_no_error(
    client: httpx.Client, site_data: SiteData
) -> None:
    expected = _like_scan(
        site_data,
        "select id from sections where text like '%复议%' and text like '%诉讼%'",
        "",
    )
    rows = client.get(
        f"/archive/sections.json?_search={quote('复议 诉讼')}&_shape=array&_size=max"
    ).json()
    assert {r["id"] for r in rows} == expected
    assert client.get(f"/archive/sections.json?_search={quote('!!')}").status_code == 200


def test_search_box_page_works(client: httpx.Client) -> None:
    # Datasette's search form submits the table's sort; that must never break search.
    page = client.get(f"/archive/reports?_search={quote('政府')}&_sort_desc=year")
    assert page.status_code == 200
    assert 'name="_search"' in page.text


def test_escape_fts_is_the_bigram_rewrite(client: httpx.Client) -> None:
    rows = client.get(
        "/archive.json",
        params={"sql": "select escape_fts('信息公开 复议') as q", "_shape": "array"},
    ).json()
    assert rows == [{"q": '"信息 息公 公开" "复议"'}]


def test_canned_queries_answer_as_json_and_csv(client: httpx.Client) -> None:
    metadata = load_metadata()
    queries = metadata["databases"]["archive"]["queries"]
    examples = metadata["plugins"]["xxgk-openapi"]["examples"]
    assert len(queries) >= 10
    nonempty = 0
    for name, query in queries.items():
        params = set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", query["sql"]))
        assert params, f"{name} has no bound parameter"
        assert set(examples[name]) == params, name
        rows = client.get(f"/archive/{name}.json", params={**examples[name], "_shape": "array"})
        assert rows.status_code == 200, (name, rows.text[:500])
        nonempty += bool(rows.json())
        response = client.get(f"/archive/{name}.csv", params=examples[name])
        assert response.status_code == 200, name
        table = list(csv.reader(io.StringIO(response.text)))
        assert table[0], name
        assert len(table) - 1 == len(rows.json()), name
    assert nonempty >= 10


def test_a_canned_query_opened_without_parameters_shows_the_default_year(
    client: httpx.Client, site_data: SiteData
) -> None:
    """The home page links each question with empty parameters: an empty year is the
    newest year with at least half the reports of the best-covered one, not no rows."""
    conn = site_data.connect()
    per_year = dict(conn.execute("SELECT year, reports FROM summary_year").fetchall())
    (default,) = conn.execute("SELECT year FROM default_year").fetchone()
    conn.close()
    assert per_year[default] * 2 >= max(per_year.values())
    assert all(per_year[y] * 2 < max(per_year.values()) for y in per_year if y > default)
    for name in ("most_requests", "highest_refusal_share", "province_totals"):
        empty = client.get(f"/archive/{name}.json", params={"_shape": "array"}).json()
        asked = client.get(
            f"/archive/{name}.json", params={"year": default, "_shape": "array"}
        ).json()
        assert empty and empty == asked, name
        assert {row.get("year", default) for row in empty} == {default}, name


def test_a_canned_query_links_each_report(client: httpx.Client) -> None:
    page = client.get("/archive/most_requests", params={"year": 2020, "province": "", "level": ""})
    assert page.status_code == 200
    assert re.search(r'href="/archive/reports/[0-9a-f]+-2020"', page.text)


def _page_cells(page: str) -> dict[str, tuple[str, bool]]:
    tree = lxml_html.fromstring(page)
    return {
        td.get("data-cell"): (td.text_content().strip(), "failing" in td.get("class", "").split())
        for td in tree.xpath("//td[@data-cell]")
    }


def _shown(value: object) -> str:
    if value is None:
        return ""
    return str(value)


def test_every_report_page_shows_the_parsed_documents_numbers(
    client: httpx.Client, site_data: SiteData
) -> None:
    with site_data.connect() as conn:
        reports = conn.execute(
            "select r.id, r.document_sha256, r.checks_failing from reports r order by r.id"
        ).fetchall()
    assert len(reports) >= 25
    for report in reports:
        page = client.get(f"/archive/reports/{report['id']}")
        assert page.status_code == 200, report["id"]
        cells = _page_cells(page.text)
        sha = report["document_sha256"]
        parsed = parse_document(site_data.documents[sha], DocumentMeta(url=site_data.urls[sha]))
        for key, values in parsed.requests.items():
            for column, cell in zip(COLUMNS, values, strict=True):
                if f"requests/{key}/{column}" not in cells:
                    # Only a row left wholly blank in a report of no known template is omitted.
                    assert parsed.template not in ("2019", "2021"), (report["id"], key)
                    assert all(c.value is None for c in values), (report["id"], key)
                    continue
                shown, _ = cells[f"requests/{key}/{column}"]
                assert shown == _shown(cell.value), (report["id"], key, column)
        for group, values in parsed.review_litigation.items():
            for outcome, cell in zip(OUTCOMES, values, strict=True):
                shown, _ = cells[f"review_litigation/{group}/{outcome}"]
                assert shown == _shown(cell.value), (report["id"], group, outcome)
        for row in parsed.proactive:
            for metric, cell in row.cells.items():
                shown, _ = cells[f"proactive/{row.key}/{metric}"]
                expected = (
                    cell.text.strip() if metric == "amount" and cell.text else _shown(cell.value)
                )
                assert shown == expected, (report["id"], row.key, metric)
        # Failing checks are listed and their cells highlighted; passing reports have none.
        failing = sorted(
            set(parsed.checks_failing) | set((report["checks_failing"] or "").split(",")) - {""}
        )
        assert set(failing) - set(parsed.checks_failing) <= CROSS_REPORT
        highlighted = {cell for cell, (_, bad) in cells.items() if bad}
        errors = [c for c in failing if c != "T2_CHANGE"]
        if errors:
            assert 'id="checks"' in page.text
            assert highlighted, report["id"]
        if not failing:
            assert not highlighted, report["id"]
        # Links to the original and to our archived copy.
        assert f'href="{site_data.urls[sha]}"' in page.text
        assert f'href="/-/archived/{sha}"' in page.text


def test_report_json_is_the_report_spec_of_the_source(
    client: httpx.Client, site_data: SiteData
) -> None:
    with site_data.connect() as conn:
        ids = {
            row["document_sha256"]: row["id"]
            for row in conn.execute("select id, document_sha256 from reports")
        }
    matched = 0
    for sha, body in site_data.documents.items():
        if sha not in ids:
            continue
        spec = client.get(f"/-/report/{ids[sha]}.json").json()
        parsed = parse_document(body, DocumentMeta(url=site_data.urls[sha])).to_json()
        assert spec["requests"] == parsed["requests"]
        assert spec["review_litigation"] == parsed["review_litigation"]
        assert spec["proactive"] == parsed["proactive"]
        # The build adds the checks across a body's reports (X_CARRY, X_IN_FORCE).
        assert set(parsed["checks_failing"]) <= set(spec["checks_failing"])
        assert set(spec["checks_failing"]) - set(parsed["checks_failing"]) <= CROSS_REPORT
        assert spec["extra"] == parsed["extra"]
        # Sections the document has but left empty are not published.
        assert spec["section_texts"] == {k: v for k, v in parsed["section_texts"].items() if v}
        matched += 1
    assert matched >= 25
    assert client.get("/-/report/nope-1999.json").status_code == 404


def test_archived_copy_is_served_by_sha256_only_and_sandboxed(
    client: httpx.Client, site_data: SiteData
) -> None:
    sha = site_data.hostile_sha256
    response = client.get(f"/-/archived/{sha}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == sha
    assert response.content == site_data.documents[sha]
    csp = response.headers["content-security-policy"]
    assert csp.startswith("sandbox")
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"].startswith("text/html")
    download = client.get(f"/-/archived/{sha}?download=1")
    assert download.headers["content-disposition"] == f'attachment; filename="{sha}.html"'
    # A non-HTML document is always an attachment (the broken PDF is archived all the same).
    pdf = client.get(f"/-/archived/{site_data.broken_sha256}")
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    "path",
    [
        "/-/archived/" + "0" * 64,  # well-formed, not in the archive
        "/-/archived/" + "A" * 64,  # upper-case is not our form
        "/-/archived/abc",
        "/-/archived/..%2F..%2F..%2Fetc%2Fpasswd",
        "/-/archived/../../archive.db",
        "/-/archived/%2e%2e/archive.db",
    ],
)
def test_archived_copy_refuses_anything_else(client: httpx.Client, path: str) -> None:
    # Datasette may first redirect an escaped slash to its own encoding; it still ends in a 404.
    response = client.get(path, follow_redirects=True)
    assert response.status_code in (403, 404)  # ../ is resolved by the client: the DB, not served
    assert b"SQLite format" not in response.content


def test_failed_documents_are_listed_not_dropped(client: httpx.Client, site_data: SiteData) -> None:
    rows = client.get(
        "/archive/parse_failures_by_source.json", params={"source_id": "", "_shape": "array"}
    ).json()
    assert site_data.broken_sha256 in {r["sha256"] for r in rows}


def test_every_table_and_column_is_described_in_chinese_and_english(
    client: httpx.Client, site_data: SiteData
) -> None:
    metadata = client.get("/-/metadata.json").json()
    tables = metadata["databases"]["archive"]["tables"]
    with site_data.connect() as conn:
        names = [
            r[0]
            for r in conn.execute(
                "select name from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' and name not like '%_fts%'"
            )
        ]
        for name in names:
            description = tables[name]["description"]
            assert re.search(r"[\u4e00-\u9fff]", description), name
            assert re.search(r"[A-Za-z]{3}", description), name
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")]
            for column in columns:
                text = tables[name]["columns"][column]
                assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{2}", text), (
                    name,
                    column,
                    text,
                )


def test_body_year_over_year_finds_every_report_of_the_body(
    client: httpx.Client, site_data: SiteData
) -> None:
    with site_data.connect() as conn:
        (name,) = conn.execute(
            "select body_name from reports group by body_id order by count(*) desc, body_name limit 1"
        ).fetchone()
        expected = conn.execute(
            "select year, new_requests from reports where body_name like '%' || ? || '%' "
            "order by body_name, year",
            (name,),
        ).fetchall()
    rows = client.get(
        "/archive/body_year_over_year.json", params={"body": name, "_shape": "array"}
    ).json()
    assert [(r["year"], r["new_requests"]) for r in rows] == [tuple(e) for e in expected]
    assert rows[0]["new_requests_change"] is None
    for before, after in zip(rows, rows[1:], strict=False):
        if before["new_requests"] is not None and after["new_requests"] is not None:
            assert after["new_requests_change"] == after["new_requests"] - before["new_requests"]


def _search_pages(client: httpx.Client, q: str) -> tuple[int, list[str]]:
    """The count the search page shows and the report links of every page of hits."""
    count = None
    links: list[str] = []
    url: str | None = f"/-/search?q={quote(q)}"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        tree = lxml_html.fromstring(page.text)
        shown = tree.xpath("//p[@class='search-count']/strong/text()")
        count = int(shown[0].replace(",", "")) if shown else 0
        links += [a.get("href") for a in tree.xpath("//ol[@class='search-hits']/li/a[1]")]
        nxt = tree.xpath("//a[@class='next-page']/@href")
        url = nxt[0] if nxt else None
    assert count is not None
    return count, links


@pytest.mark.parametrize("q", ["复议", "公开", "诉", "行政 复议"])
def test_search_page_finds_every_section_a_like_scan_finds(
    client: httpx.Client, site_data: SiteData, q: str
) -> None:
    where = " and ".join(f"text like '%{term}%'" for term in q.split())
    with site_data.connect() as conn:
        expected = conn.execute(f"select report_id from sections where {where}").fetchall()
    count, links = _search_pages(client, q)
    assert count == len(expected) == len(links)
    assert sorted(links) == sorted(f"/archive/reports/{r[0]}#sections" for r in expected)


def test_search_page_marks_the_terms_and_survives_odd_input(client: httpx.Client) -> None:
    page = client.get(f"/-/search?q={quote('复议')}")
    assert "<mark>复议</mark>" in page.text
    for odd in ("", "!!!", "<script>alert(1)</script>", "a" * 500, "\"'%_*"):
        response = client.get("/-/search", params={"q": odd})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.text


def test_search_json_pages_through_the_same_hits(client: httpx.Client) -> None:
    count, links = _search_pages(client, "公开")
    ids: list[str] = []
    params: dict[str, object] = {"q": "公开"}
    while True:
        page = client.get("/-/search.json", params=params).json()
        assert page["count"] == count
        ids += [hit["report_id"] for hit in page["hits"]]
        assert all("公开" in "".join(hit["passages"]) for hit in page["hits"])
        if page["next"] is None:
            break
        params["before"] = page["next"]
    assert [f"/archive/reports/{i}#sections" for i in ids] == links
