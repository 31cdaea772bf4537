"""The published site holds against hostile requests: real ``xxgk serve`` over HTTP.

No write path (the database is immutable and Datasette 0.65 has no write API;
SQL that writes, attaches or loads extensions is refused); SQL time limit;
``max_returned_rows``; CORS for reads only; canned queries bind their
parameters; the site's plugins never build SQL from strings.
"""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
import yaml

from tests.site.conftest import SiteData

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = json.loads((ROOT / "datasette" / "settings.json").read_text())
COUNT_ALL = "select count(*) from reports"
ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def rows_in(site_data: SiteData) -> int:
    with site_data.connect() as db:
        return int(db.execute(COUNT_ALL).fetchone()[0])


def sql(client: httpx.Client, query: str) -> httpx.Response:
    return client.get("/archive.json", params={"sql": query, "_shape": "array"})


@pytest.mark.parametrize(
    "statement",
    [
        "delete from reports",
        "update reports set year = 1900",
        "insert into reports (year) values (1)",
        "drop table reports",
        "create table pwned (x)",
        "attach database '/tmp/pwned.db' as pwned",
        "pragma writable_schema = 1",
        "select load_extension('/tmp/pwned.so')",
        "vacuum into '/tmp/pwned.db'",
    ],
)
def test_sql_that_writes_is_refused(
    client: httpx.Client, site_data: SiteData, statement: str
) -> None:
    before = rows_in(site_data)
    answer = sql(client, statement)
    assert answer.status_code in (400, 403), (answer.status_code, answer.text[:300])
    assert rows_in(site_data) == before
    assert not Path("/tmp/pwned.db").exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/archive"),
        ("POST", "/archive/reports"),
        ("POST", "/archive/-/create"),
        ("POST", "/archive/reports/-/insert"),
        ("POST", "/archive/reports/1/-/delete"),
        ("PUT", "/archive/reports"),
        ("DELETE", "/archive/reports"),
        ("POST", "/-/allow-debug"),
    ],
)
def test_there_is_no_write_path(
    client: httpx.Client, site_data: SiteData, method: str, path: str
) -> None:
    before = rows_in(site_data)
    answer = client.request(
        method, path, data={"sql": "delete from reports", "row": "{}"}, follow_redirects=False
    )
    # Refused; Datasette 0.65 answers a POST to a table page with a 500, which writes nothing either.
    assert answer.status_code in (400, 403, 404, 405, 500), (method, path, answer.status_code)
    assert rows_in(site_data) == before


def test_a_runaway_query_is_stopped_and_the_server_goes_on(client: httpx.Client) -> None:
    assert SETTINGS["sql_time_limit_ms"] <= 5000
    answer = sql(client, ENDLESS)
    assert answer.status_code == 400
    assert "too long" in answer.text.lower() or "interrupted" in answer.text.lower()
    again = sql(client, COUNT_ALL)
    assert again.status_code == 200 and again.json()[0]["count(*)"] > 0


def test_rows_returned_are_capped(client: httpx.Client) -> None:
    limit = SETTINGS["max_returned_rows"]
    many = f"with recursive c(x) as (select 1 union all select x + 1 from c limit {limit * 3}) select x from c"
    answer = client.get("/archive.json", params={"sql": many})
    body = answer.json()
    assert answer.status_code == 200
    assert len(body["rows"]) == limit and body["truncated"] is True
    assert SETTINGS["allow_download"] is False  # the whole database is not one click away
    assert client.get("/archive.db").status_code in (403, 404)


def test_cors_allows_reads_only(client: httpx.Client) -> None:
    read = client.get("/archive/reports.json", headers={"Origin": "https://elsewhere.example"})
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    allowed = read.headers.get("access-control-allow-methods", "GET")
    assert not {"POST", "PUT", "PATCH", "DELETE"} & {m.strip() for m in allowed.split(",")}
    write = client.post(
        "/archive", data={"sql": "delete from reports"}, headers={"Origin": "https://evil.example"}
    )
    assert write.status_code >= 400


def canned_queries() -> dict[str, dict[str, object]]:
    metadata = yaml.safe_load((ROOT / "datasette" / "metadata.yaml").read_text(encoding="utf-8"))
    return metadata["databases"]["archive"]["queries"]


def test_canned_queries_bind_every_parameter_and_never_write() -> None:
    queries = canned_queries()
    assert queries
    for name, query in queries.items():
        text = str(query["sql"])
        assert not query.get("write"), name
        for marker in ("{", "%s", "%(", "$"):
            assert marker not in text, f"{name}: SQL looks templated ({marker!r})"
        # Parsing proves it is one statement, and SQLite reports every :name it binds.
        db = sqlite3.connect(":memory:")
        try:
            db.execute(f"explain {text}")
        except sqlite3.OperationalError as error:
            message = str(error)
            # Tables are absent here; a syntax error is not.
            assert "syntax" not in message and "incomplete" not in message, (name, message)


def test_canned_query_parameters_are_data_not_sql(
    client: httpx.Client, site_data: SiteData
) -> None:
    injection = "x' or 1=1 --"
    for name, query in canned_queries().items():
        params = {p: injection for p in query.get("params") or []}
        if not params:
            continue
        answer = client.get(f"/archive/{name}.json", params={**params, "_shape": "array"})
        assert answer.status_code in (200, 400), (name, answer.status_code)
        if answer.status_code == 200:
            # Bound as a string, the injection matches nothing it should not.
            assert len(answer.json()) <= 1, name


SQL_WORDS = ("select ", "insert ", "update ", "delete ", "from ", "where ", "order by")
# Names a plugin may interpolate into SQL, each checked by reading the plugin: a
# clause chosen by code, or placeholders (``:r0, :r1, …``) whose values are bound.
SAFE_FRAGMENTS = {
    ("search_page.py", "cursor"): "'' or 'and rowid < :before' (the value is bound)",
    ("search_page.py", "marks"): "':r0, :r1, …' placeholders (the values are bound)",
    ("facet_counts.py", "col"): "escape_sqlite() of a column of the table (checked first)",
    ("facet_counts.py", "counted"): "escape_sqlite() of a table named in metadata.yaml",
    ("facet_counts.py", "where"): "Datasette's own WHERE clause of the page (values bound)",
    ("facet_counts.py", "i"): "an enumerate() index",
    ("facet_counts.py", "selected"): "escape_sqlite() of columns of the table (checked first)",
    ("facet_counts.py", "page_sql"): "Datasette's own SQL for the page's rows (values bound)",
    ("facet_counts.py", "union"): "the arms above, built from the same reviewed names",
    ("facet_counts.py", "cols"): "escape_sqlite() of the facet columns named in metadata.yaml",
    ("facet_counts.py", "source_table"): "escape_sqlite() of a table named in metadata.yaml",
    ("facet_counts.py", "most"): "a constant (MAX_GROUPS + 1)",
    ("facet_counts.py", "limit"): "an int: Datasette's facet size + 1",
    ("table_search.py", "fts_sql"): "escape_sqlite() of the FTS table the plugin's config names",
    ("table_search.py", "table_sql"): "escape_sqlite() of the searched table (from the config)",
    ("table_search.py", "filters"): "Datasette's own filter clauses (values bound, renamed)",
    ("table_search.py", "limit"): "an int: the page size + 1",
    ("table_search.py", "where"): "Datasette's column filter clauses, then the filter's own",
    ("facet_counts.py", "fts_sql"): "escape_sqlite() of an FTS table named in metadata.yaml",
    ("facet_counts.py", "table_sql"): "escape_sqlite() of a searched table named in metadata.yaml",
    ("facet_counts.py", "key"): "escape_sqlite() of that table's primary key column",
    ("sorted_paging.py", "table"): "escape_sqlite() of the page's table (matched, not run)",
    ("sorted_paging.py", "sort"): "re.escape() of the ORDER BY below (a regex, not SQL)",
    ("sorted_paging.py", "head"): "Datasette's own page SQL up to its ORDER BY (values bound)",
    ("sorted_paging.py", "order_by"): "escape_sqlite() of the sort column Datasette checked, desc",
    ("sorted_paging.py", "key"): "escape_sqlite() of the table's primary key columns, or rowid",
    ("sorted_paging.py", "limit"): "an int: Datasette's page size + 1, less the rows read",
    ("sorted_paging.py", "table_re"): "re.escape() of the escaped table (a regex, not SQL)",
    ("sorted_paging.py", "col_re"): "re.escape() of the escaped sort column (a regex, not SQL)",
    ("sorted_paging.py", "direction"): "' desc' or '', chosen by code",
    ("sorted_paging.py", "col"): "escape_sqlite() of the sort column Datasette checked",
    ("sorted_paging.py", "where"): "conditions on the sort column, the page's cursor (bound)",
    ("sorted_paging.py", "bound"): "'<col> > :xxgk_value' or the page's own cursor (bound)",
    ("sorted_paging.py", "seek"): "'max' or 'min', chosen by code",
    ("table_search.py", "data"): "escape_sqlite() of the configured FTS table's _data table",
}


def test_plugins_never_build_sql_from_strings() -> None:
    """SQL in a plugin is a literal; only reviewed code-made fragments are interpolated."""
    problems = []
    for path in sorted((ROOT / "datasette" / "plugins").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.JoinedStr):
                parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
                values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
                parts = [
                    side.value
                    for side in (node.left, node.right)
                    if isinstance(side, ast.Constant) and isinstance(side.value, str)
                ]
                values = [
                    side for side in (node.left, node.right) if not isinstance(side, ast.Constant)
                ]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant)
            ):
                parts, values = [str(node.func.value.value)], list(node.args)
            else:
                continue
            text = " ".join(str(p) for p in parts).lower()
            if sum(word in text for word in SQL_WORDS) < 2:
                continue
            for value in values:
                if not (isinstance(value, ast.Name) and (path.name, value.id) in SAFE_FRAGMENTS):
                    problems.append(
                        f"{path.name}:{node.lineno}: {ast.unparse(value)} in {text[:60]!r}"
                    )
    assert not problems, problems
