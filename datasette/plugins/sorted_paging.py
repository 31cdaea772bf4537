"""A sorted table's first page breaks ties by the primary key, as its later pages do.

Datasette 0.65.5 (``views/table.py``) orders the first page of a sorted table
by the sort column alone (``order by year desc limit 26``) but every later
page by the sort and then the primary key, after the last row shown
(``where year < :y or (year = :y and id > :id) order by year desc, id``).
When a page boundary falls inside a run of equal values, the first page holds
whichever rows of that value the query plan met first, and the next page
continues from the last of them in key order: rows are shown twice or never.
``/archive/reports`` (``sort_desc: year``, 100k reports a year at national
scale) did so on its default view, and so did any ``_sort``/``_sort_desc`` on
a column with ties, in HTML, JSON and the CSV stream alike.

The fix gives the first page the later pages' order. Datasette builds that
page's SQL inside its table view with no hook to change it, so, as
``table_search.py`` does for its counts, the database's ``execute`` is
wrapped: the ``filters_from_request`` hook (run on every table page) notes
the page's sort and key when the page is a first page of a sorted table, and
the one statement of that request that ends ``order by <that sort> limit N``
(the page's own query; Datasette writes nothing after it) gets the key
appended: ``order by year desc, id limit 26``. Nothing else is touched, so
later pages, counts and facets are Datasette's own.

The SQL the page reports is the one that ran: Datasette writes its own string
into the page (``query.sql`` in JSON, the "View and edit SQL" link in HTML),
so the statement run is noted in the request, and the table template's
variables (``extra_template_vars``) and the JSON renderer (this plugin's
``json``, Datasette's with that one field replaced) show it instead.

Speed: the key in the ORDER BY needs an index in that order for the default
sorts (``(year DESC, id)`` on ``reports``, see ``archive/schema.py``), or
SQLite sorts a whole year's rows; with it the first page reads its 26 rows
(and the later pages, which already had the key, read theirs). A sort by a
column with few values (level, template) would read a whole tie to order it
by the key: the big tables list their ``sortable_columns`` in
``metadata.yaml`` without them, and a sort a table does not allow answers 400
saying why (``check_sort``; Datasette's own refusal is a 500). Views page by
OFFSET in Datasette (no key): left alone.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any, NamedTuple

from datasette import hookimpl
from datasette.renderer import json_renderer
from datasette.utils import escape_sqlite
from datasette.utils.asgi import BadRequest


class FirstPage(NamedTuple):
    """The first page of a sorted table: its ORDER BY as Datasette writes it, and the key."""

    database: str
    table: str  # escaped, as in Datasette's ``from <table>``
    order_by: str  # ``year desc``, as Datasette writes it
    key: str  # ``id``, ``report_id, row_key`` or ``rowid``
    # What ran, once it has: ``sql`` (with the key), ``datasette_sql`` (Datasette's
    # string, which the page would show) and ``params``. Also in ``request.scope[RAN]``.
    ran: dict[str, Any]


# Where the filter hook leaves the page's ``FirstPage.ran`` for the page's renderers.
RAN = "xxgk_sorted_page_ran"


# Set by the filter hook for the request it runs in (each request runs in a task of its own).
FIRST_PAGE: ContextVar[FirstPage | None] = ContextVar("xxgk_first_page", default=None)


async def first_page_of(
    datasette: Any, request: Any, database: str, table: str
) -> FirstPage | None:
    """The page's sort and key if it is the first page of a sorted table, else None."""
    args = request.args
    if args.get("_next"):
        return None
    if args.get("_sort") or args.get("_sort_desc"):
        sort, descending = args.get("_sort_desc") or args.get("_sort"), bool(args.get("_sort_desc"))
    else:
        metadata = datasette.table_metadata(database, table)
        sort = metadata.get("sort_desc") or metadata.get("sort")
        descending = bool(metadata.get("sort_desc"))
    if not sort:
        return None
    db = datasette.get_database(database)
    if table in await db.view_names():
        return None
    pks = await db.primary_keys(table) or ["rowid"]
    if pks == [sort]:
        return None  # the key itself: a total order already
    order_by = escape_sqlite(sort) + (" desc" if descending else "")
    key = ", ".join(escape_sqlite(pk) for pk in pks)
    return FirstPage(database, escape_sqlite(table), order_by, key, {})


async def check_sort(datasette: Any, request: Any, database: str, table: str) -> None:
    """Answer 400, saying why, for a ``_sort``/``_sort_desc`` the table does not allow.

    Datasette 0.65.5 refuses such a sort itself ("Cannot sort table by …"), but
    with status 500, as if the server had failed. The big tables list their
    sortable columns in ``metadata.yaml`` (``sortable_columns``): a sort by a
    column with few values (level, template) would read a third of the table.
    The same rule as Datasette's: the metadata's list, else every column (and
    ``rowid`` on a table without a primary key).
    """
    column = request.args.get("_sort") or request.args.get("_sort_desc")
    if not column:
        return
    db = datasette.get_database(database)
    columns = await db.table_columns(table)
    listed = datasette.table_metadata(database, table).get("sortable_columns")
    allowed = set(listed) if listed is not None else set(columns)
    if not await db.primary_keys(table) and table not in await db.view_names():
        allowed.add("rowid")
    if column in allowed:
        return
    if column not in columns:
        raise BadRequest(f"Cannot sort {table} by {column}: {table} has no column {column}.")
    raise BadRequest(
        f"Cannot sort {table} by {column}: at national scale a sort by {column} would read"
        f" a large part of the table. Filter by it (?{column}=…) or count its values"
        f" (?_facet={column}); the sortable columns are the table's sortable_columns"
        " in /-/metadata.json."
    )


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    FIRST_PAGE.set(None)

    async def inner() -> None:
        await check_sort(datasette, request, database, table)
        page = await first_page_of(datasette, request, database, table)
        FIRST_PAGE.set(page)
        if page is not None:
            request.scope[RAN] = page.ran

    return inner


def page_query_with_key(sql: str, page: FirstPage) -> str | None:
    """``sql`` with the key after the sort, if it is the page's own query, else None.

    Datasette's page query is ``select <columns> from <table> <where>order by
    <sort> limit <n>``: nothing follows the ORDER BY but the limit, so the
    key goes right after the sort.
    """
    table, order_by, key = page.table, page.order_by, page.key
    if not sql.startswith("select ") or f" from {table} " not in sql:
        return None
    sort = re.escape(order_by)
    ending = re.search(rf" order by {sort} limit (\d+)\Z", sql)
    if ending is None:
        return None
    head, limit = sql[: ending.start()], int(ending.group(1))
    return f"{head} order by {order_by}, {key} limit {limit}"


def break_ties_by_key(db: Any, database: str) -> None:
    """Wrap ``db.execute``: the first page of a sorted table is ordered by its sort, then its key."""
    execute = db.execute

    async def keyed_execute(sql: str, *args: Any, **kwargs: Any) -> Any:
        page = FIRST_PAGE.get()
        if page is not None and page.database == database:
            keyed = page_query_with_key(sql, page)
            if keyed is not None:
                FIRST_PAGE.set(None)  # one page query per request
                params = args[0] if args else kwargs.get("params")
                page.ran.update(sql=keyed, datasette_sql=sql, params=params)
                sql = keyed
        return await execute(sql, *args, **kwargs)

    db.execute = keyed_execute


@hookimpl
def startup(datasette: Any) -> None:
    for name, db in datasette.databases.items():
        if not name.startswith("_"):
            break_ties_by_key(db, name)


def ran_instead(request: Any, shown: Any) -> dict[str, Any] | None:
    """The page's ``query`` ({sql, params}) as it ran, if Datasette's ``shown`` SQL is not it."""
    ran = request.scope.get(RAN) if request is not None else None
    if not ran or "sql" not in ran or shown != ran["datasette_sql"]:
        return None
    return {"sql": ran["sql"], "params": ran["params"]}


@hookimpl
def extra_template_vars(template: str, request: Any) -> dict[str, Any] | None:
    """The table page's "View and edit SQL" link: the statement that ran, with the key."""
    if template != "table.html" or request is None:
        return None
    ran = request.scope.get(RAN)
    if not ran or "sql" not in ran:
        return None
    return {"query": {"sql": ran["sql"], "params": ran["params"]}}


def render_json(args: Any, data: Any, view_name: str, request: Any) -> Any:
    """Datasette's JSON, with ``query.sql`` of a sorted table's first page as it ran."""
    query = data.get("query") if isinstance(data, dict) else None
    if isinstance(query, dict):
        ran = ran_instead(request, query.get("sql"))
        if ran is not None:
            data = {**data, "query": {**query, **ran}}
    return json_renderer(args, data, view_name)


@hookimpl
def register_output_renderer() -> dict[str, Any]:
    # Registered under Datasette's own extension: it replaces Datasette's JSON renderer.
    return {"extension": "json", "render": render_json, "can_render": lambda: True}
