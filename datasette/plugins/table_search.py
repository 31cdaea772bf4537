"""``?_search=`` on the sections table, with a first page that does not read every match.

Datasette's own table search filters with ``rowid in (select rowid from <fts>
where <fts> match …)``: SQLite materialises every matching rowid before the
first row is shown, and Datasette then counts every matching row of the
table. For a common two-character word at national scale that is millions of
rows read per page.

This plugin does the search for the tables named in its configuration
(``plugins: xxgk-table-search: {table: fts table}`` in ``metadata.yaml``;
those tables have no ``fts_table`` metadata, so Datasette's own search filter
leaves them alone). The filter is Datasette's (the same clause, the bigram
``escape_fts``), except on the page the table's search box asks for: with
``_nocount=1`` (which the box adds), no other filter, facet or sort, on a
table in rowid order, the page is exactly the next page-size-plus-one
matching rowids in order, so the filter asks FTS5 for just those
(``… order by rowid limit N``, streamed from the index) instead of all of them.
Every match is still reachable: the page's "next" link continues after the
last rowid shown. API users get the same with ``_nocount=1``; without it they
get Datasette's exact ``filtered_table_rows_count``.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, urlsafe_components

PLUGIN = "xxgk-table-search"
# Arguments that change neither which rows a page has nor their order.
PRESENTATION_ARGS = frozenset(
    {"_search", "_nocount", "_next", "_size", "_labels", "_nolabels", "_shape", "_json",
     "_json_infinity", "_col", "_nocol", "_nofacet", "_nosuggest", "_extra", "_trace", "_ttl",
     "_timelimit", "_context", "_stream", "_dl"}
)  # fmt: skip


def searched_tables(datasette: Any, database: str) -> dict[str, str]:
    """{table: its FTS table} from the plugin's configuration."""
    config = datasette.plugin_config(PLUGIN, database=database) or {}
    return {str(k): str(v) for k, v in config.items()}


async def streamed_page(
    datasette: Any, request: Any, database: str, table: str
) -> tuple[int | None, int] | None:
    """(rowid after which the page starts, rows to fetch) if this page can stream, else None."""
    args = request.args
    if not args.get("_nocount"):
        return None
    metadata = datasette.table_metadata(database, table)
    if metadata.get("sort") or metadata.get("sort_desc"):
        return None
    db = datasette.get_database(database)
    details = {d.name: d for d in await db.table_column_details(table)}
    pks = await db.primary_keys(table)
    if pks and not (len(pks) == 1 and (details[pks[0]].type or "").upper() == "INTEGER"):
        return None  # not in rowid order
    for key in args:
        # The table form submits the current sort: the rowid key, ascending, is rowid order.
        if key == "_sort" and args[key] in ("rowid", *pks):
            continue
        if key not in PRESENTATION_ARGS:
            return None  # a filter, facet, other sort, _where, ...
    size = args.get("_size") or metadata.get("size") or datasette.page_size
    if size == "max":
        size = datasette.max_returned_rows
    try:
        page_size = int(size)
    except ValueError:
        return None  # Datasette answers 400
    after = None
    if args.get("_next"):
        try:
            after = int(urlsafe_components(args["_next"])[0])
        except (ValueError, IndexError):
            return None
    return after, page_size + 1


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    fts = searched_tables(datasette, database).get(table)
    search = request.args.get("_search")
    if not fts or not search:
        return None

    async def inner() -> FilterArguments:
        fts_sql = escape_sqlite(fts)
        subquery = f"select rowid from {fts_sql} where {fts_sql} match escape_fts(:search)"
        params: dict[str, Any] = {"search": search}
        page = await streamed_page(datasette, request, database, table)
        if page is not None:
            after, limit = page
            if after is not None:
                subquery += " and rowid > :search_after"
                params["search_after"] = after
            subquery += f" order by rowid limit {limit}"
        return FilterArguments(
            [f"rowid in ({subquery})"],
            params,
            [f'search matches "{search}"'],
            {"search": search},
        )

    return inner


@hookimpl
def extra_template_vars(
    template: str, database: str, table: str, request: Any, datasette: Any
) -> Any:
    """The table page shows the search box, and the box asks for the streamed page."""
    if template != "table.html" or not request or table not in searched_tables(datasette, database):
        return None
    hidden = [
        (key, value)
        for key in request.args
        if key.startswith("_")
        and key not in ("_sort", "_sort_desc", "_search", "_next")
        and "__" not in key
        for value in request.args.getlist(key)
    ]
    if "_nocount" not in request.args:
        hidden.append(("_nocount", "1"))
    return {
        "supports_search": True,
        "search": request.args.get("_search", ""),
        "form_hidden_args": hidden,
    }
