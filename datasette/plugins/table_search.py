"""``?_search=`` on the big tables: exact counts from the index, pages that read only their rows.

Datasette's own table search filters with ``rowid in (select rowid from <fts>
where <fts> match …)``, counts with ``select count(*) from <table> where
<that>`` and sorts every match. At national scale each of those visits every
matching row of the table: 1.1M rows (3.4 s) to count a common word among the
sections, 48k (50 ms each) to count and to sort a body name among the reports.

This plugin does the search for the tables named in its configuration
(``plugins: xxgk-table-search: {table: fts table}`` in ``metadata.yaml``;
those tables have no ``fts_table`` metadata, so Datasette's own search filter
leaves them alone). The filter is Datasette's (the same clause, the bigram
``escape_fts``), and two things make it cheap:

- **The count comes from the index.** Every row of an FTS table is a row of
  its table with the same rowid (the build writes them together), so when the
  search is the page's only filter the number of rows Datasette counts is
  the number of index rows matching: ``select count(*) from <fts> where <fts>
  match …`` reads the term's doclist, not the table. The filter declares the
  exact count statement Datasette will build for its clause, and the
  database's ``execute`` answers that statement (and only it, for this
  request and this search) with the index count, kept for the next request
  of the same search (the database is immutable while served).
  ``/-/table-search.json`` says how many counts were answered so.
- **Pages stream from the index** on a table in rowid order with no sort but
  the key's and no facet: the page is exactly the next page-size-plus-one
  matching rowids in order that pass the page's column filters, so the filter
  asks FTS5 for just those (``… order by rowid limit N``, each match checked
  against the filters as it comes) instead of materialising all of them. The
  "next" link continues after the last rowid shown, so every match stays
  reachable. A streamed page is counted only when the search is its only
  filter (from the index, above); with column filters it streams only when no
  count is asked (``_nocount=1``, which the search box adds, or
  ``_shape=array``), since Datasette would count the streamed clause.
- **A sorted search reads its matches once** where ``facet_counts.py`` keeps
  the table's default facet values by rowid (``reports``): the filter reads
  every matching rowid from the index (one ``group_concat``) and keeps those
  that pass the page's column filters, if all are on those columns (each
  filter's values found by Datasette's own clause run on the facet counts
  table, which has the table's column types). Their number is the count, the
  first page of the sort (``year``) is chosen from their values in memory
  (``rowid in (:search_r0, …)``: 26 rows read, not every match), and the
  facets count the same rowids' codes. Only on a first page whose facets are
  all such codes; other pages take the plain filter.

CSV is left the plain filter: Datasette's CSV stream asks for its pages with
a cursor and page size that are not in the query string.

**The indexes are read once at startup** (``warm_indexes``), in a background
thread at the lowest CPU priority, for at most ``WARM_SECONDS``: every block
of each FTS table's data table, in order, so that the operating system's page
cache holds them. A count reads its term's whole doclist (every matching
rowid and its positions; for a phrase, every bigram's): on a freshly started
server, with the file not in the page cache (just built, or evicted), that
was the disk's time, not SQLite's. At 700k reports the sections index is
2 GB, read in ~16 s from a cold disk; a common term's first count then took
2-4× as long as with the file cached (``公开``, 4.06M sections: 817 → 171 ms;
``规范性文件``: 1,137 → 307 ms). The reading stops at the time limit and
changes no result. ``/-/table-search.json`` says what was read (``warmed``).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, NamedTuple

import numpy as np
from datasette import hookimpl
from datasette.database import Results
from datasette.filters import FilterArguments, Filters
from datasette.utils import escape_sqlite, urlsafe_components
from datasette.utils.asgi import Response

from archive.bigram import fts_query
from archive.fts_count import count_matches

PLUGIN = "xxgk-table-search"
# Arguments that change neither which rows a page has nor their order.
PRESENTATION_ARGS = frozenset(
    {"_search", "_nocount", "_next", "_size", "_labels", "_nolabels", "_shape", "_json",
     "_json_infinity", "_col", "_nocol", "_nofacet", "_nosuggest", "_extra", "_trace", "_ttl",
     "_timelimit", "_context", "_stream", "_dl"}
)  # fmt: skip
# How many counts the index answered, and how many of those were kept from an earlier
# request (``/-/table-search.json``; the tests read it).
ANSWERED: dict[str, Any] = {"counts_from_index": 0, "counts_kept": 0, "warmed": {}}
COUNTS_KEPT = 10_000
# How long startup may spend reading the FTS indexes into the page cache (at 700k
# reports the sections index is 2 GB: ~16 s from a cold disk at ~125 MB/s).
WARM_SECONDS = 120.0


def searched_tables(datasette: Any, database: str) -> dict[str, str]:
    """{table: its FTS table} from the plugin's configuration."""
    config = datasette.plugin_config(PLUGIN, database=database) or {}
    return {str(k): str(v) for k, v in config.items()}


class IndexCount(NamedTuple):
    """The statement Datasette counts a search page with, and the index count that answers it."""

    database: str
    # ``select count(*) from <table> where <column filters and> <the search clause> ``,
    # exactly as Datasette builds it for the page.
    count_sql: str
    search: str
    table: str
    fts: str
    value: int | None  # known already (the matches were read), or None: count on the index


# Set by the filter for the request it serves (each request runs in a task of its own).
DECLARED: ContextVar[IndexCount | None] = ContextVar("xxgk_index_count", default=None)


class StreamedPage(NamedTuple):
    """A page that can stream: rows after ``after``, at most ``limit``, passing ``filters``."""

    after: int | None
    limit: int
    filters: list[str]
    params: dict[str, Any]


def filter_args(args: Any) -> list[tuple[str, str]]:
    """The column filters of the query string, as Datasette reads them."""
    return [
        (key, value)
        for key in args
        if not key.startswith("_") or "__" in key
        for value in args.getlist(key)
    ]


def only_search(args: Any) -> bool:
    """True if the page has no column filter and no ``_where``: the search is its only filter.

    Other arguments (a sort, facets, paging, the shape) leave Datasette's count
    statement as it is; one that added a clause would change that statement,
    which then no longer matches the one declared, and Datasette counts it.
    """
    return not filter_args(args) and "_where" not in args


async def streamed_page(
    datasette: Any, request: Any, database: str, table: str, counted: bool
) -> StreamedPage | None:
    """How this page's rows can be streamed from the FTS index in rowid order, or None.

    ``counted``: the page's count will be answered from the index (the search
    is its only filter), so it may stream even when a count is asked.
    """
    args = request.args
    if not (counted or args.get("_nocount") or args.get("_shape") in ("array", "object")):
        return None  # Datasette would count the rows of the streamed filter
    metadata = datasette.table_metadata(database, table)
    if metadata.get("sort") or metadata.get("sort_desc") or metadata.get("units"):
        return None
    db = datasette.get_database(database)
    details = {d.name: d for d in await db.table_column_details(table)}
    pks = await db.primary_keys(table)
    if pks and not (len(pks) == 1 and (details[pks[0]].type or "").upper() == "INTEGER"):
        return None  # not in rowid order
    for key in args:
        if not key.startswith("_") or "__" in key:  # a filter, as Datasette reads them
            if key.rsplit("__", 1)[0] not in details:
                return None
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
    clauses, params = Filters(sorted(filter_args(args))).build_where_clauses(table)
    rename = re.compile(r":p(\d+)\b")
    return StreamedPage(
        after,
        page_size + 1,
        [rename.sub(r":search_p\1", clause) for clause in clauses],
        {f"search_{name}": value for name, value in params.items()},
    )


# Where the filter leaves a search's matching rowids for this request's facets (facet_counts.py).
MATCHES = "xxgk_search_matches"


def row_codes(datasette: Any, table: str) -> Any:
    """The table's facet values by rowid (``RowCodes`` of facet_counts.py), once loaded."""
    counts = getattr(datasette, "xxgk_facet_counts", None)
    return counts.codes.get(table) if counts is not None else None


async def matching_rowids(db: Any, fts: str, search: str) -> np.ndarray:
    """Every rowid the FTS index matches for ``search``, in one read of the index."""
    fts_sql = escape_sqlite(fts)
    sql = f"select group_concat(rowid) from {fts_sql} where {fts_sql} match escape_fts(:search)"
    text = (await db.execute(sql, {"search": search})).first()[0]
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64)


def first_page(
    datasette: Any, request: Any, database: str, table: str, codes: Any, rowids: np.ndarray
) -> list[int] | None:
    """The rowids of a sorted page's rows (page size + 1), ordered by the sort then rowid.

    Only for a sort on a numeric column whose values are in memory (``year``),
    else None. Datasette orders the page by the sort alone (NULLs last when
    descending, first when ascending), so these are the rows its query would
    return (ties broken by rowid). Its next page continues after the last row
    shown in (sort, primary key) order; rowids follow report ids (the build
    writes reports in id order), and SQLite, reading these rows by rowid,
    keeps ties in that order, so the pages follow on. The facet counts check
    at startup that rowids follow the key (``rowids_follow_key``); if they do
    not, None: the page is Datasette's, ties broken by ``sorted_paging.py``.

    The page's facets are computed over its WHERE clause, which then holds only
    these rows: so only when every facet asked is one the codes answer from all
    the matches (``facet_counts.py``), else None.
    """
    args = request.args
    facets = [key for key in args if key.startswith("_facet") and key != "_facet_size"]
    if any(k != "_facet" or f not in codes.columns for k in facets for f in args.getlist(k)):
        return None
    metadata = datasette.table_metadata(database, table)
    if args.get("_sort") or args.get("_sort_desc"):
        column, descending = (
            args.get("_sort_desc") or args.get("_sort"),
            bool(args.get("_sort_desc")),
        )
    else:
        column, descending = (
            metadata.get("sort_desc") or metadata.get("sort"),
            bool(metadata.get("sort_desc")),
        )
    if column not in codes.columns or not codes.rowids_follow_key:
        return None
    values = codes.values[codes.columns.index(column)]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    size = args.get("_size") or metadata.get("size") or datasette.page_size
    try:
        limit = (datasette.max_returned_rows if size == "max" else int(size)) + 1
    except ValueError:
        return None  # Datasette answers 400
    inside = rowids[(rowids >= 0) & (rowids < len(codes.codes))]
    code = codes.codes[inside, codes.columns.index(column)]
    null = code < 0
    value = np.array(values + [0], dtype=np.int64)[np.where(null, len(values), code)]
    if descending:  # NULLs last, largest first
        order = np.lexsort((inside, -value, null))
    else:  # NULLs first, smallest first
        order = np.lexsort((inside, value, ~null))
    return [int(r) for r in inside[order[:limit]]]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    fts = searched_tables(datasette, database).get(table)
    search = request.args.get("_search")
    DECLARED.set(None)
    if not fts or not search:
        return None

    async def inner() -> FilterArguments:
        fts_sql = escape_sqlite(fts)
        table_sql = escape_sqlite(table)
        subquery = f"select rowid from {fts_sql} where {fts_sql} match escape_fts(:search)"
        params: dict[str, Any] = {"search": search}
        counted = only_search(request.args)
        known: int | None = None
        # Datasette's CSV stream asks for each page itself (its cursor is not in the query
        # string, and its page size is not the query string's): it gets the plain filter.
        whole = request.url_vars.get("format") == "csv"
        page = None if whole else await streamed_page(datasette, request, database, table, counted)
        if page is not None:
            if page.after is not None:
                subquery += " and rowid > :search_after"
                params["search_after"] = page.after
            if page.filters:
                # Checked row by row as the index yields matches, in rowid order.
                filters = " and ".join(page.filters)  # Datasette's own clauses, values bound
                subquery += (
                    f" and exists (select 1 from {table_sql} where {table_sql}.rowid ="
                    f" {fts_sql}.rowid and {filters})"
                )
                params.update(page.params)
            limit = int(page.limit)
            subquery += f" order by rowid limit {limit}"
        clause = f"rowid in ({subquery})"
        counts = getattr(datasette, "xxgk_facet_counts", None)
        codes = row_codes(datasette, table)
        coded = filter_args(request.args)
        if (
            not whole
            and page is None
            and codes
            and "_where" not in request.args
            and not request.args.get("_next")
            and all(key.rsplit("__", 1)[0] in codes.columns for key, _ in coded)
        ):
            # Read the matches once: their number (of those passing the column filters,
            # all on columns whose values are in memory) is the count, and the sorted
            # first page and the facets (facet_counts.py) come from their rowids and codes.
            db = datasette.get_database(database)
            rowids = await matching_rowids(db, fts, search)
            for key, value in coded:
                allowed = counts.allowed(table, key, value)
                if allowed is None:
                    break
                rowids = rowids[np.isin(codes.column(key.rsplit("__", 1)[0], rowids), allowed)]
            else:
                request.scope[MATCHES] = (table, search, rowids)
                known = len(rowids)
                counted = True
                first = first_page(datasette, request, database, table, codes, rowids)
                if first is not None:
                    marks = ", ".join(f":search_r{i}" for i in range(len(first)))
                    clause = f"rowid in ({marks})" if marks else "0"
                    params.update({f"search_r{i}": rowid for i, rowid in enumerate(first)})
        if counted:
            # Datasette's count statement: its column filters' clauses, then this one.
            where = " and ".join([*Filters(sorted(coded)).build_where_clauses(table)[0], clause])
            count_sql = f"select count(*) from {table_sql} where {where} "
            DECLARED.set(IndexCount(database, count_sql, search, table, fts, known))
        return FilterArguments([clause], params, [f'search matches "{search}"'], {"search": search})

    return inner


def answer_counts_from_the_index(db: Any, database: str) -> None:
    """Wrap ``db.execute``: the count statement a search page declared is answered from the index.

    A database served immutable never changes while this process runs (a new
    build restarts ``xxgk serve``), so each search's count is kept (the last
    ``COUNTS_KEPT`` searches): paging through a search, or a search many people
    make, counts its doclist once.
    """
    execute = db.execute
    kept: OrderedDict[tuple[str, str], int] = OrderedDict()

    async def counted_execute(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        declared = DECLARED.get()
        if not (
            declared is not None
            and declared.database == database
            and sql == declared.count_sql
            and isinstance(params, dict)
            and params.get("search") == declared.search
        ):
            return await execute(sql, params, *args, **kwargs)
        ANSWERED["counts_from_index"] += 1
        if declared.value is not None:
            return Results([(declared.value,)], False, [("count(*)",)])
        key = (declared.fts, fts_query(declared.search))
        if key in kept and not db.is_mutable:
            kept.move_to_end(key)
            ANSWERED["counts_kept"] += 1
            return Results([(kept[key],)], False, [("count(*)",)])
        # The rows of the FTS table matching the search, counted on the index alone
        # (a rowid range per core, at once).
        kept[key] = await count_matches(
            lambda sql, values: execute(sql, values, *args, **kwargs),
            declared.table,
            declared.fts,
            declared.search,
            "escape_fts(:search)",
            {"search": declared.search},
        )
        while len(kept) > COUNTS_KEPT:
            kept.popitem(last=False)
        return Results([(kept[key],)], False, [("count(*)",)])

    db.execute = counted_execute


def warm_indexes(path: str, fts_tables: list[str], seconds: float, status: dict[str, Any]) -> None:
    """Read every block of each FTS table's index (``<fts>_data``) for at most ``seconds``.

    What is read stays in the operating system's page cache (the connection
    keeps SQLite's small default cache), so a term's first count reads its
    doclist from memory rather than from the disk. FTS5 writes blocks of at
    most a page (``pgsz``), kept in the table's leaf pages: reading each row's
    length reads every page. ``status`` gets, per FTS table, the blocks and
    bytes read, the seconds taken and whether the whole index was read.
    """
    with contextlib.suppress(AttributeError, OSError):  # lowest CPU priority (Linux: per thread)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    deadline = time.monotonic() + seconds
    uri = f"file:{urllib.parse.quote(path)}?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        for fts in fts_tables:
            started = time.monotonic()
            blocks = size = 0
            complete = True
            data = escape_sqlite(f"{fts}_data")  # FTS5's shadow table of the configured index
            try:
                for (length,) in conn.execute(f"select length(block) from {data}"):
                    blocks += 1
                    size += length or 0
                    if blocks % 1024 == 0 and time.monotonic() > deadline:
                        complete = False
                        break
            except sqlite3.Error as exc:
                status[fts] = {"error": str(exc)}
                continue
            status[fts] = {
                "blocks": blocks,
                "bytes": size,
                "seconds": round(time.monotonic() - started, 1),
                "complete": complete,
            }
            if not complete:
                break
    finally:
        conn.close()


@hookimpl
def startup(datasette: Any) -> None:
    for name, db in datasette.databases.items():
        fts_tables = list(dict.fromkeys(searched_tables(datasette, name).values()))
        if not fts_tables:
            continue
        answer_counts_from_the_index(db, name)
        if db.path is not None and not db.is_mutable:
            threading.Thread(
                target=warm_indexes,
                args=(db.path, fts_tables, WARM_SECONDS, ANSWERED["warmed"]),
                daemon=True,
                name="warm-search-indexes",
            ).start()


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/table-search\.json$", table_search_status)]


async def table_search_status() -> Response:
    return Response.json(ANSWERED)


@hookimpl
def extra_template_vars(
    template: str, database: str, table: str, request: Any, datasette: Any
) -> Any:
    """The table page shows the search box; on a table in rowid order it asks for no count.

    The box's page there streams from the index whatever the count; leaving
    the count out keeps the page to the rows it shows (a common word's count
    reads its whole doclist the first time: 0.1–1 s among 4M sections).
    """
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
    metadata = datasette.table_metadata(database, table)
    if "_nocount" not in request.args and not (metadata.get("sort") or metadata.get("sort_desc")):
        hidden.append(("_nocount", "1"))
    return {
        "supports_search": True,
        "search": request.args.get("_search", ""),
        "form_hidden_args": hidden,
    }
