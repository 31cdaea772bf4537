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
(and the later pages, which already had the key, read theirs; unfiltered,
value by value, below). A sort by a
column with few values (level, template) would read a whole tie to order it
by the key: the big tables list their ``sortable_columns`` in
``metadata.yaml`` without them, and a sort a table does not allow answers 400
saying why (``check_sort``; Datasette's own refusal is a 500). A sort whose
``(sort, key)`` index runs the other way (``_sort=year`` against ``(year DESC,
key)``, the year column's sort link on a page in the default order) is read
one value at a time, each value's rows in key order from that index
(``by_value_of``, ``run_by_value``), on an unfiltered table: SQLite would
otherwise sort a whole year (2.6 s on the 4.6M-row long ``proactive`` 表二 once was;
20-80 ms so).
So is a later page in the index's own order, whose ORed cursor SQLite may
otherwise answer by sorting a year of rows (358 ms on ``reports``).
Views page by OFFSET in Datasette (no key): left alone.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any, NamedTuple

from datasette import hookimpl
from datasette.database import Results
from datasette.renderer import json_renderer
from datasette.utils import escape_sqlite
from datasette.utils.asgi import BadRequest, Response


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


class PageSort(NamedTuple):
    """A table page's sort, read once per request: the column and direction, and the key."""

    table: str  # as named in the URL
    column: str  # as named: ``_sort``/``_sort_desc``, else the table's metadata
    descending: bool
    explicit: bool  # asked for in the URL (not the table's default sort)
    is_view: bool
    pks: list[str]  # the key: the primary key, ``["rowid"]`` without one, ``[]`` on a view

    @property
    def key(self) -> str:
        """The key as in an ORDER BY: ``id``, ``report_id, row_key`` or ``rowid``."""
        return ", ".join(escape_sqlite(pk) for pk in self.pks)


async def page_sort_of(db: Any, datasette: Any, args: Any, table: str) -> PageSort | None:
    """The page's sort, or None for an unsorted page.

    Both ``_sort`` and ``_sort_desc`` answer 400 (Datasette refuses them with a 500).
    """
    if args.get("_sort") and args.get("_sort_desc"):
        raise BadRequest(
            "Cannot use _sort and _sort_desc at the same time: _sort=<column> sorts"
            " ascending, _sort_desc=<column> descending."
        )
    column = args.get("_sort_desc") or args.get("_sort")
    descending, explicit = bool(args.get("_sort_desc")), bool(column)
    if not column:
        metadata = datasette.table_metadata(db.name, table)
        column = metadata.get("sort_desc") or metadata.get("sort")
        descending = bool(metadata.get("sort_desc"))
    if not column:
        return None
    is_view = table in await db.view_names()
    pks = [] if is_view else (await db.primary_keys(table) or ["rowid"])
    return PageSort(table, column, descending, explicit, is_view, pks)


def first_page_of(sort: PageSort | None, args: Any, database: str) -> FirstPage | None:
    """The page's sort and key if it is the first page of a sorted table, else None."""
    if sort is None or args.get("_next") or sort.is_view or sort.pks == [sort.column]:
        return None  # no sort, a later page, a view (OFFSET), or the key itself: a total order
    order_by = escape_sqlite(sort.column) + (" desc" if sort.descending else "")
    return FirstPage(database, escape_sqlite(sort.table), order_by, sort.key, {})


async def check_sort(db: Any, datasette: Any, sort: PageSort | None) -> None:
    """Answer 400, saying why, for a ``_sort``/``_sort_desc`` the table does not allow.

    Datasette 0.65.5 refuses such a sort itself ("Cannot sort table by …"), but
    with status 500, as if the server had failed. The big tables list their
    sortable columns in ``metadata.yaml`` (``sortable_columns``): a sort by a
    column with few values (level, template) would read a third of the table.
    The same rule as Datasette's: the metadata's list, else every column (and
    ``rowid`` on a table without a primary key).
    """
    if sort is None or not sort.explicit:
        return
    table, column = sort.table, sort.column
    columns = await db.table_columns(table)
    listed = datasette.table_metadata(db.name, table).get("sortable_columns")
    allowed = set(listed) if listed is not None else set(columns)
    if sort.pks == ["rowid"]:
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
    BY_VALUE.set(None)

    async def inner() -> None:
        db = datasette.get_database(database)
        sort = await page_sort_of(db, datasette, request.args, table)
        await check_sort(db, datasette, sort)
        page = first_page_of(sort, request.args, database)
        FIRST_PAGE.set(page)
        BY_VALUE.set(await by_value_of(db, sort, request.args))
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
        by_value = BY_VALUE.get()
        if by_value is not None and by_value.database == database:
            arms = value_arms(sql, by_value)
            if arms is not None:
                BY_VALUE.set(None)
                FIRST_PAGE.set(None)
                params = args[0] if args else kwargs.get("params")
                if page is not None and arms.keyed is not None:
                    page.ran.update(sql=arms.keyed, datasette_sql=sql, params=params)
                rest = {k: v for k, v in kwargs.items() if k != "params"}
                return await run_by_value(execute, arms, by_value, dict(params or {}), rest)
        if page is not None and page.database == database:
            keyed = page_query_with_key(sql, page)
            if keyed is not None:
                FIRST_PAGE.set(None)  # one page query per request
                params = args[0] if args else kwargs.get("params")
                page.ran.update(sql=keyed, datasette_sql=sql, params=params)
                sql = keyed
        return await execute(sql, *args, **kwargs)

    db.execute = keyed_execute


# --- Pages read value by value: against the index, or a later page ---------------------


class ByValue(NamedTuple):
    """A page read value by value (its sort's (sort, key) index runs the other way, or it
    is a later page)."""

    database: str
    table: str  # escaped
    column: str  # escaped
    descending: bool
    key: str  # escaped key columns, as in ORDER BY


BY_VALUE: ContextVar[ByValue | None] = ContextVar("xxgk_by_value", default=None)
# (database, table, column) → the directions (descending?) of the column in its (column, key) indexes.
KEY_INDEXES: dict[tuple[str, str, str], frozenset[bool]] = {}
# At most this many values are read one by one; past them, one statement reads the rest.
MAX_VALUES = 64
# Pages read value by value since startup (``/-/sorted-paging.json``; the tests read it).
READ_BY_VALUE = {"pages": 0}


async def key_index_directions(db: Any, table: str, column: str, pks: list[str]) -> frozenset[bool]:
    """The directions of ``column`` in the table's indexes on exactly (column, *key ascending)."""
    cached = KEY_INDEXES.get((db.name, table, column))
    if cached is not None:
        return cached

    def read(conn: Any) -> frozenset[bool]:
        found = set()
        for index in conn.execute(f"pragma index_list({escape_sqlite(table)})").fetchall():
            info = conn.execute(f"pragma index_xinfo({escape_sqlite(index[1])})").fetchall()
            keys = [(row[2], bool(row[3])) for row in info if row[5]]  # name, desc
            if [name for name, _ in keys] == [column, *pks] and not any(d for _, d in keys[1:]):
                found.add(keys[0][1])
        return frozenset(found)

    directions: frozenset[bool] = await db.execute_fn(read)
    KEY_INDEXES[(db.name, table, column)] = directions
    return directions


async def by_value_of(db: Any, sort: PageSort | None, args: Any) -> ByValue | None:
    """The page's sort, if its pages are read value by value: nothing filters the table,
    and its (sort, key) index runs the other way, or the page is a later one.

    ``_sort=year`` on a table with a ``(year DESC, key)`` index: SQLite cannot
    read that index backwards for ``order by year, key`` (the key would run
    backwards too), so it read a whole year's rows (657k on the long ``proactive`` of then) and
    sorted them: 2.6 s at 700k reports, past the SQL time limit under load.
    A later page in the index's own order (the default view's "Next") has a
    cursor of three ORed terms (``year < :p or year is null or (year = :p
    and id > :k)``), which SQLite may answer by merging three index searches
    and sorting what they find: 358 ms at 700k reports, when ANALYZE's sample
    made that plan look cheaper than the index's order (it did for one build
    of the benchmark archive, not another).
    Read one value at a time instead (``year = :v order by key``), each a
    range of that index in page order. Only with no filter (the table's sort
    links): a filter's own index, then a sort of its rows, is Datasette's plan.
    """
    if sort is None or sort.is_view or sort.column in sort.pks:
        return None
    if any(not key.startswith("_") or "__" in key for key in args):
        return None  # a column filter
    if any(key in args for key in ("_where", "_search")) or any(
        key.startswith("_filter") for key in args
    ):
        return None
    directions = await key_index_directions(db, sort.table, sort.column, sort.pks)
    if sort.descending in directions:
        if not args.get("_next"):
            return None  # a first page in the index's order: one range of it (the key appended)
    elif (not sort.descending) not in directions:
        return None  # no (sort, key) index either way: Datasette's plan
    return ByValue(
        db.name,
        escape_sqlite(sort.table),
        escape_sqlite(sort.column),
        sort.descending,
        sort.key,
    )


class Arms(NamedTuple):
    """How to read a page value by value."""

    head: str  # ``select <columns> from <table>``
    first: str | None  # the condition of the value the page starts in (None: a first page)
    after: str | None  # ``<column> > :pN`` / ``< :pN``: the values after it (None: all)
    nulls: str  # where NULLs are: "first", "last", or "only" (a page inside them, descending)
    limit: int
    keyed: str | None  # a first page's statement with the key: what the arms compute


def value_arms(sql: str, page: ByValue) -> Arms | None:
    """How to read the page query ``sql`` value by value, or None if it is not the page's.

    Datasette's page queries of a sort with no filter: a first page ``select …
    from <table> order by <sort>[ desc] limit N``; a later page adds its
    cursor: ``where (<sort> > :pK or (<sort> = :pK and <key after>))``
    (descending: ``<sort> < :pK or <sort> is null or …``; inside the NULLs:
    ``<sort> is not null or (<sort> is null and <key after>)``, descending
    ``(<sort> is null and <key after>)``) and orders by the sort and the key.
    """
    table, col, key, desc = page.table, page.column, page.key, page.descending
    if not sql.startswith("select "):
        return None
    direction = " desc" if desc else ""
    table_re, col_re = re.escape(table), re.escape(col)
    first = re.search(rf" from {table_re} order by {col_re}{direction} limit (\d+)\Z", sql)
    if first is not None:
        head = sql[: first.start()] + f" from {table}"
        keyed = f"{head} order by {col}{direction}, {key} limit {first.group(1)}"
        nulls = "last" if desc else "first"
        return Arms(head, None, None, nulls, int(first.group(1)), keyed)
    c = col_re
    ending = rf" order by {c}{direction}, {re.escape(key)} limit (?P<limit>\d+)\Z"
    start = rf" from {table_re} where "
    if desc:
        value = rf"\({c} < :p(?P<p>\d+) or {c} is null or \({c} = :p(?P=p) and (?P<after>.+)\)\)"
        null = rf"\({c} is null and (?P<after>.+)\)"
    else:
        value = rf"\({c} > :p(?P<p>\d+) or \({c} = :p(?P=p) and (?P<after>.+)\)\)"
        null = rf"\({c} is not null or \({c} is null and (?P<after>.+)\)\)"
    for pattern, in_nulls in ((value, False), (null, True)):
        match = re.search(start + pattern + ending, sql, re.DOTALL)
        if match is None:
            continue
        head = sql[: match.start()] + f" from {table}"
        limit = int(match.group("limit"))
        after_key = match.group("after")
        if in_nulls:
            nulls = "only" if desc else "first"
            return Arms(head, f"{col} is null and {after_key}", None, nulls, limit, None)
        p = match.group("p")
        op = "<" if desc else ">"
        nulls = "last" if desc else "none"
        return Arms(head, f"{col} = :p{p} and {after_key}", f"{col} {op} :p{p}", nulls, limit, None)
    return None


async def run_by_value(
    execute: Any, arms: Arms, page: ByValue, params: dict[str, Any], kwargs: dict[str, Any]
) -> Results:
    """The page's rows: those of each value in turn (NULLs where SQLite sorts them), by key."""
    col, key, table = page.column, page.key, page.table
    rows: list[Any] = []
    description: Any = None
    truncated = False

    async def arm(where: str, extra: dict[str, Any]) -> None:
        nonlocal description, truncated
        head, limit = arms.head, arms.limit - len(rows)
        sql = f"{head} where {where} order by {key} limit {limit}"
        results = await execute(sql, {**params, **extra}, **kwargs)
        rows.extend(results.rows)
        description = results.description
        truncated = truncated or results.truncated

    if arms.first is not None:
        await arm(arms.first, {})
    if arms.nulls == "first" and arms.first is None:
        await arm(f"{col} is null", {})
    if arms.nulls in ("first", "none", "last"):
        bound, extra = arms.after, {}
        seek = "max" if page.descending else "min"
        op = "<" if page.descending else ">"
        for _ in range(MAX_VALUES):
            if len(rows) >= arms.limit:
                break
            where = f" where {bound}" if bound else ""
            found = await execute(f"select {seek}({col}) from {table}{where}", {**params, **extra})
            value = found.rows[0][0]
            if value is None:
                break
            await arm(f"{col} = :xxgk_value", {"xxgk_value": value})
            bound, extra = f"{col} {op} :xxgk_value", {"xxgk_value": value}
        else:
            if len(rows) < arms.limit:  # past MAX_VALUES values: the rest in one statement
                direction = " desc" if page.descending else ""
                head, limit = arms.head, arms.limit - len(rows)
                sql = f"{head} where {bound} order by {col}{direction}, {key} limit {limit}"
                results = await execute(sql, {**params, **extra}, **kwargs)
                rows.extend(results.rows)
                description = results.description
        if arms.nulls == "last" and len(rows) < arms.limit:
            await arm(f"{col} is null", {})
    READ_BY_VALUE["pages"] += 1
    return Results(rows[: arms.limit], truncated, description)


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


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/sorted-paging\.json$", sorted_paging_status)]


async def sorted_paging_status() -> Response:
    return Response.json(READ_BY_VALUE)
