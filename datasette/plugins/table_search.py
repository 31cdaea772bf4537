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
``escape_fts``), except on pages that need no count: with ``_nocount=1``
(which the search box adds) or ``_shape=array``, no facet, no sort but the
key's, on a table in rowid order, the page is exactly the next
page-size-plus-one matching rowids in order that pass the page's column
filters, so the filter asks FTS5 for just those (``… order by rowid limit
N``, streamed from the index, each match checked against the filters as it
comes) instead of all of them.
Every match is still reachable: the page's "next" link continues after the
last rowid shown. API users get the same with ``_nocount=1``; without it they
get Datasette's exact ``filtered_table_rows_count``.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from datasette import hookimpl
from datasette.filters import FilterArguments, Filters
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


class StreamedPage(NamedTuple):
    """A page that can stream: rows after ``after``, at most ``limit``, passing ``filters``."""

    after: int | None
    limit: int
    filters: list[str]
    params: dict[str, Any]


async def streamed_page(
    datasette: Any, request: Any, database: str, table: str
) -> StreamedPage | None:
    """How this page's rows can be streamed from the FTS index in rowid order, or None."""
    args = request.args
    if not (args.get("_nocount") or args.get("_shape") in ("array", "object")):
        return None  # Datasette would count the rows of the streamed filter
    metadata = datasette.table_metadata(database, table)
    if metadata.get("sort") or metadata.get("sort_desc") or metadata.get("units"):
        return None
    db = datasette.get_database(database)
    details = {d.name: d for d in await db.table_column_details(table)}
    pks = await db.primary_keys(table)
    if pks and not (len(pks) == 1 and (details[pks[0]].type or "").upper() == "INTEGER"):
        return None  # not in rowid order
    filter_args = []
    for key in args:
        if not key.startswith("_") or "__" in key:  # a filter, as Datasette reads them
            if key.rsplit("__", 1)[0] not in details:
                return None
            filter_args += [(key, value) for value in args.getlist(key)]
        # The table form submits the current sort: the rowid key, ascending, is rowid order.
        elif not (key in PRESENTATION_ARGS or (key == "_sort" and args[key] in ("rowid", *pks))):
            return None  # a facet, another sort, _where, ...
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
    # Datasette's own filter clauses, with parameters of our own names.
    clauses, params = Filters(sorted(filter_args)).build_where_clauses(table)
    rename = re.compile(r":p(\d+)\b")
    return StreamedPage(
        after,
        page_size + 1,
        [rename.sub(r":search_p\1", clause) for clause in clauses],
        {f"search_{name}": value for name, value in params.items()},
    )


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
            if page.after is not None:
                subquery += " and rowid > :search_after"
                params["search_after"] = page.after
            if page.filters:
                # Checked row by row as the index yields matches, in rowid order.
                table_sql = escape_sqlite(table)
                filters = " and ".join(page.filters)  # Datasette's own clauses, values bound
                subquery += (
                    f" and exists (select 1 from {table_sql} where {table_sql}.rowid ="
                    f" {fts_sql}.rowid and {filters})"
                )
                params.update(page.params)
            limit = int(page.limit)
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
