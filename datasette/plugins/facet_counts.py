"""Default facets answered from counts taken once per served database.

The archive is served immutable: its rows never change while the site runs.
So at startup, in a background thread, each table with default facets in
``metadata.yaml`` is counted once, grouped by all its default facet columns
(``select year, province, level, template, count(*) … group by …``). The
counts go into a small in-memory SQLite table whose columns have the same
declared types as the table's.

A column facet on one of those columns, on a page whose filters are all on
those columns (``?year=2021&province=江西``, ``?level__in=…``), is then
answered from the counts: Datasette's own facet SQL, with the same WHERE
clause and parameters, over the counts table, with ``sum(n)`` for
``count(*)``. Column types (hence comparisons) being the same, the result is
the same as Datasette's; a 700k-row GROUP BY becomes a sum over a few
thousand rows. A later page of such a filter (``_next``) gets the same facets as
its first page, where Datasette would count only the rows after the page's
cursor. On any other page (a search, ``_where``, a filter on another
column…) or a table not counted yet, the page's facets are
Datasette's facet queries, but run as one query that reads the page's rows
once for all of them (Datasette re-reads them, re-running a search, per
facet); a single facet is left to Datasette's ``ColumnFacet``.

A table that is also searched (``xxgk-table-search`` in ``metadata.yaml``:
``reports``) keeps, besides, each row's facet values by rowid, as small codes
in memory (661k reports: 4 columns, ~10 MB). A page whose only filter is a
search then gets its facets from the rowids the FTS index matches: one read
of the index and a count of codes per column, instead of reading every
matching row of the table (48k rows for a common body name, ~150 ms at
national scale). Counts and order are Datasette's (``count desc, value`` as
SQLite orders values; NULL is not a facet value).

``/-/facet-counts.json`` tells whether counting is done, which tables are
counted, how long each took and how many facets each answered (``answered``
from the counts, ``searches`` from the rowid codes).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Generator, Iterable
from typing import Any

import numpy as np
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.filters import Filters
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response

DATABASE = "archive"
SEARCH_PLUGIN = "xxgk-table-search"  # its configuration: {table: FTS table} (table_search.py)
SEARCH_MATCHES = "xxgk_search_matches"  # (table, search, rowids) it leaves in request.scope
# A table whose facet columns have more distinct combinations than this is not
# counted (the counts would be no smaller than the table).
MAX_GROUPS = 100_000
# Query-string arguments that change neither which rows a page has nor its facets.
PRESENTATION_ARGS = frozenset(
    {
        "_facet",
        "_facet_size",
        "_size",
        "_sort",
        "_sort_desc",
        "_labels",
        "_nolabels",
        "_shape",
        "_json",
        "_json_infinity",
        "_col",
        "_nocol",
        "_nocount",
        "_nosuggest",
        "_extra",
        "_trace",
        "_ttl",
        "_timelimit",
        "_context",
        "_rowid",
        "_stream",
        "_dl",
    }
)


def sqlite_order(value: Any) -> tuple[int, Any]:
    """A sort key ordering non-NULL values as SQLite does (numbers, then text, then blobs).

    Text compares as SQLite's BINARY collation (UTF-8 bytes), which is Python's
    code-point order.
    """
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, bytes(value))


class RowCodes:
    """One table's facet values by rowid: ``codes[rowid, i]`` indexes ``values[i]`` (-1: NULL)."""

    def __init__(self, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.columns = columns
        self.values: list[list[Any]] = [[] for _ in columns]
        rowids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        self.codes = np.full((int(rowids.max(initial=0)) + 1, len(columns)), -1, dtype=np.int32)
        self.index: list[dict[Any, int]] = []  # per column: value → code
        self.rowids_follow_key = False  # set by FacetCounts.load_codes
        for i, known in enumerate(self.values):
            index: dict[Any, int] = {}
            self.index.append(index)
            column = []
            for row in rows:
                value = row[i + 1]
                if value is None:
                    column.append(-1)
                    continue
                code = index.get(value)
                if code is None:
                    code = index[value] = len(known)
                    known.append(value)
                column.append(code)
            self.codes[rowids, i] = np.array(column, dtype=np.int32)

    def column(self, column: str, rowids: np.ndarray) -> np.ndarray:
        """The codes of ``column`` for ``rowids`` (-1: NULL, or no such row)."""
        inside = (rowids >= 0) & (rowids < len(self.codes))
        out = np.full(len(rowids), -1, dtype=np.int32)
        out[inside] = self.codes[rowids[inside], self.columns.index(column)]
        return out

    def facet(self, column: str, rowids: np.ndarray, limit: int) -> list[tuple[Any, int]]:
        """(value, count) over the rows ``rowids``, as Datasette's column facet orders them."""
        i = self.columns.index(column)
        rowids = rowids[(rowids >= 0) & (rowids < len(self.codes))]
        codes = self.codes[rowids, i]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.values[i]))
        found = [(self.values[i][c], int(n)) for c, n in enumerate(counts.tolist()) if n]
        found.sort(key=lambda vn: (-vn[1], sqlite_order(vn[0])))
        return found[:limit]


def rowids_follow_key(source: sqlite3.Connection, table: str) -> bool:
    """True if the table's rows in rowid order are in primary key order (one-column key).

    ``table_search.py`` picks a search's first page by (sort, rowid), and
    Datasette continues from its last row in (sort, key) order: the two agree
    only if this holds (the build writes ``reports`` in id order).
    """
    table_sql = escape_sqlite(table)  # a searched table named in metadata.yaml
    info = source.execute(f"pragma table_info({table_sql})").fetchall()
    keys = [row[1] for row in info if row[5]]
    if len(keys) != 1:
        return not keys  # no key: Datasette's key is the rowid
    key = escape_sqlite(keys[0])  # the table's primary key column
    before = None
    try:
        for (value,) in source.execute(f"select {key} from {table_sql} order by rowid"):
            if before is not None and not before < value:
                return False
            before = value
    except TypeError:  # values of different types: not worth ordering here
        return False
    return True


class FacetCounts:
    """Per table: the row counts of every combination of its default facet columns."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()
        self.columns: dict[str, tuple[str, ...]] = {}  # table → counted columns, once ready
        self.codes: dict[str, RowCodes] = {}  # searched table → facet codes by rowid, once ready
        self.status: dict[str, dict[str, Any]] = {}
        self.done = False  # every table counted (or given up on)

    def count(self, source: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> None:
        """Count ``table`` of ``source`` grouped by ``columns`` (the table's default facets)."""
        started = time.perf_counter()
        declared = {
            row[1]: row[2] for row in source.execute(f"PRAGMA table_info({escape_sqlite(table)})")
        }
        cols = ", ".join(escape_sqlite(c) for c in columns)  # the facets named in metadata.yaml
        source_table = escape_sqlite(table)
        most = MAX_GROUPS + 1
        rows = source.execute(
            f"select {cols}, count(*) from {source_table} group by {cols} limit {most}"
        ).fetchall()
        if len(rows) > MAX_GROUPS:
            self.status[table] = {"counted": False, "reason": f"more than {MAX_GROUPS} groups"}
            return
        definition = ", ".join(f"{escape_sqlite(c)} {declared[c]}" for c in columns)
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        with self.lock, self.conn:
            self.conn.execute(f"create table {escape_sqlite(table)} ({definition}, n integer)")
            self.conn.executemany(f"insert into {escape_sqlite(table)} values ({marks})", rows)
        self.columns[table] = columns
        self.status[table] = {
            "counted": True,
            "columns": list(columns),
            "groups": len(rows),
            "seconds": round(time.perf_counter() - started, 3),
            "answered": 0,
        }

    def allowed(self, table: str, key: str, value: str) -> np.ndarray | None:
        """The codes (of ``RowCodes``) of the values the column filter ``key=value`` lets pass.

        Datasette's own clause for the filter (``Filters``), evaluated on the
        counts table over the column's distinct values: the counts table has the
        table's column types, so the comparisons are the table's. -1 (NULL) is
        included if NULL passes. None if the filter is not on a counted column
        or Datasette makes no clause of it.
        """
        codes = self.codes.get(table)
        name = key.rsplit("__", 1)[0]
        if codes is None or name not in codes.columns or name not in self.columns.get(table, ()):
            return None
        clauses, params = Filters([(key, value)]).build_where_clauses(table)
        if len(clauses) != 1:
            return None
        col = escape_sqlite(name)  # a column counted at startup (named in metadata.yaml)
        counted = escape_sqlite(table)  # its table of counts
        where = f"where {clauses[0]}"  # Datasette's own clause for the filter (value bound)
        with self.lock:
            rows = self.conn.execute(f"select distinct {col} from {counted} {where}", params)
            values = [row[0] for row in rows]
        index = codes.index[codes.columns.index(name)]
        passing = [-1 if v is None else index[v] for v in values if v is None or v in index]
        return np.array(passing, dtype=np.int32)

    def load_codes(self, source: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> None:
        """Keep each row's values of ``columns`` by rowid (a searched table's default facets)."""
        started = time.perf_counter()
        cols = ", ".join(escape_sqlite(c) for c in columns)  # the facets named in metadata.yaml
        source_table = escape_sqlite(table)
        rows = source.execute(f"select rowid, {cols} from {source_table}").fetchall()
        if rows and max(row[0] for row in rows) > 2 * len(rows) + 1000:
            self.status[table]["rowid_codes"] = "rowids too sparse"
            return
        self.codes[table] = codes = RowCodes(columns, rows)
        codes.rowids_follow_key = rowids_follow_key(source, table)
        self.status[table].update(
            searches=0,
            rowid_codes_seconds=round(time.perf_counter() - started, 3),
            rowids_follow_key=codes.rowids_follow_key,
        )

    def count_all(
        self,
        path: str,
        tables: Iterable[tuple[str, tuple[str, ...]]],
        searched: Iterable[str] = (),
    ) -> None:
        """Count every (table, facet columns) of the database file at ``path`` (read-only).

        Tables in ``searched`` also get their facet codes by rowid (``RowCodes``).
        """
        uri = f"file:{urllib.parse.quote(path)}?mode=ro&immutable=1"
        source = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            real = {
                r[0] for r in source.execute("select name from sqlite_master where type = 'table'")
            }
            for table, columns in tables:
                if table not in real:
                    continue
                try:
                    self.count(source, table, columns)
                except sqlite3.Error as exc:
                    self.status[table] = {"counted": False, "reason": str(exc)}
                    continue
                if table in searched and self.status[table]["counted"]:
                    try:
                        self.load_codes(source, table, columns)
                    except (sqlite3.Error, MemoryError) as exc:
                        self.status[table]["rowid_codes"] = str(exc)
        finally:
            source.close()
            self.done = True

    def facet(
        self, table: str, column: str, where: str, params: dict[str, Any], limit: int
    ) -> list[tuple[Any, int]] | None:
        """(value, count) as Datasette's column facet orders them, or None if not counted."""
        if column not in self.columns.get(table, ()):
            return None
        col = escape_sqlite(column)  # a column counted at startup (named in metadata.yaml)
        counted = escape_sqlite(table)  # its table of counts
        where = f"{where} and {col} is not null" if where else f"where {col} is not null"
        sql = (
            f"select {col} as value, sum(n) as count from {counted} {where} "
            f"group by {col} order by count desc, value limit {limit}"
        )
        with self.lock:
            rows = self.conn.execute(sql, params).fetchall()
        self.status[table]["answered"] += 1
        return rows


def counts_of(datasette: Any) -> FacetCounts | None:
    """The counts ``startup`` began for this Datasette instance (None if it did not)."""
    counts: FacetCounts | None = getattr(datasette, "xxgk_facet_counts", None)
    return counts


def default_facet_columns(metadata: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(table, its default column facets) for every table of the archive with some."""
    tables = (metadata.get("databases", {}).get(DATABASE) or {}).get("tables") or {}
    out = []
    for table, config in tables.items():
        columns = tuple(f for f in (config or {}).get("facets") or () if isinstance(f, str))
        if columns:
            out.append((table, columns))
    return out


class CountedColumnFacet(ColumnFacet):
    """Datasette's column facet, answered from the startup counts when the page's filters allow."""

    def where_on(self, columns: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
        """The page's WHERE clause and parameters if every filter is on ``columns``, else None.

        A later page (``_next``) gets its filters' clause, not Datasette's: Datasette
        counts its facets over the rows after the page's cursor (its count stays the
        whole filter's), so they shrank page by page, and reading those rows took
        1.5 s on page 2 of ``/archive/reports`` at 700k. Every page of a filter
        now shows the first page's facets, which agree with the count it shows.
        """
        pairs = self.get_querystring_pairs()
        for key, _ in pairs:
            if key.startswith("_") and "__" not in key:
                if key not in PRESENTATION_ARGS and not key.startswith("_facet") and key != "_next":
                    return None
            elif key.split("__", 1)[0] not in columns:
                return None
        if any(key == "_next" for key, _ in pairs):
            filters = [(k, v) for k, v in pairs if not k.startswith("_") or "__" in k]
            clauses, params = Filters(sorted(filters)).build_where_clauses(self.table)
            joined = " and ".join(clauses)  # Datasette's own filter clauses (values bound)
            return (f"where {joined}" if joined else ""), params
        head, sep, where = self.sql.partition(f" from {escape_sqlite(self.table)} ")
        if (
            not sep
            or not head.startswith("select ")
            or not (where == "" or where.startswith("where "))
        ):
            return None
        return where.strip(), dict(self.params)

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        counts = counts_of(self.ds) if self.database == DATABASE else None
        columns = counts.columns.get(self.table or "") if counts else None
        configs = [
            (c["config"].get("column") or c["config"]["simple"], c["source"])
            for c in self.get_configs()
        ]
        page_filter = self.where_on(columns) if columns else None
        limit = self.get_facet_size() + 1
        if counts and columns and page_filter and all(c in columns for c, _ in configs):
            where, params = page_filter
            found = {c: counts.facet(self.table, c, where, params, limit) or [] for c, _ in configs}
            return [await self.result(c, source, found[c]) for c, source in configs], []
        codes = counts.codes.get(self.table or "") if counts else None
        if codes and all(c in codes.columns for c, _ in configs):
            rowids = await self.search_rowids()
            if rowids is not None:
                found = {c: codes.facet(c, rowids, limit) for c, _ in configs}
                counts.status[self.table]["searches"] += 1
                return [await self.result(c, source, found[c]) for c, source in configs], []
        real = await self.ds.get_database(self.database).table_columns(self.table)
        if len({c for c, _ in configs}) < 2 or any(c not in real for c, _ in configs):
            return await super().facet_results()  # Datasette's own facet (and its errors)
        try:
            found = await self.one_pass([c for c, _ in configs], limit)
        except QueryInterrupted:
            return [], [c for c, _ in configs]
        return [await self.result(c, source, found[c]) for c, source in configs], []

    def searched_only(self) -> str | None:
        """The table's FTS table if the page's only filter is ``_search`` (else None).

        The table is searched by ``table_search.py`` (``xxgk-table-search`` in
        ``metadata.yaml``), whose filter selects exactly the rows the index matches.
        """
        searched = self.ds.plugin_config(SEARCH_PLUGIN, database=self.database) or {}
        args = self.request.args
        if self.table not in searched or not args.get("_search"):
            return None
        for key in args:
            if not (
                key in PRESENTATION_ARGS
                or key == "_search"
                or (key.startswith("_facet") and "__" not in key)
            ):
                return None  # a filter, _where, _next (Datasette's facets then start at it), ...
        return str(searched[self.table])

    async def search_rowids(self) -> np.ndarray | None:
        """The rowids of the page's rows if it is a search the codes can answer, else None.

        The search's filter (``table_search.py``) leaves them in the request when
        it read them (a first page whose column filters are all on counted
        columns); a page whose only filter is the search reads them here.
        """
        search = self.request.args.get("_search")
        matches = self.request.scope.get(SEARCH_MATCHES)
        if matches is not None and matches[:2] == (self.table, search):
            found: np.ndarray = matches[2]
            return found
        fts = self.searched_only()
        if fts is None:
            return None
        fts_sql = escape_sqlite(fts)  # the FTS table named in metadata.yaml
        sql = f"select rowid from {fts_sql} where {fts_sql} match escape_fts(:search)"

        def read(conn: sqlite3.Connection) -> np.ndarray:
            rows = conn.execute(sql, {"search": search})
            return np.fromiter((row[0] for row in rows), dtype=np.int64)

        rowids: np.ndarray = await self.ds.get_database(self.database).execute_fn(read)
        return rowids

    async def one_pass(self, columns: list[str], limit: int) -> dict[str, list[tuple[Any, int]]]:
        """Datasette's facet query for each column, reading the page's rows once for all.

        Datasette runs one GROUP BY per facet, each re-reading every row the
        page's filters select (for a search, re-running it); here the rows'
        facet columns are materialised once and each facet groups those.
        """
        unique = list(dict.fromkeys(columns))
        arms = [
            f"select {i} as facet, row_number() over (order by count(*) desc, {col}) as rank,"
            f" {col} as value, count(*) as count from facet_rows where {col} is not null group by {col}"
            for i, col in enumerate(escape_sqlite(c) for c in unique)
        ]
        selected = ", ".join(escape_sqlite(c) for c in unique)
        page_sql = self.sql  # Datasette's own SQL for the page's rows (its values are bound)
        union = " union all ".join(arms)
        sql = (
            f"with facet_rows as materialized (select {selected} from ({page_sql}))"
            f" select facet, value, count from ({union}) where rank <= {limit}"
            " order by facet, rank"
        )
        rows = await self.ds.execute(
            self.database,
            sql,
            self.params,
            truncate=False,
            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )
        found: dict[str, list[tuple[Any, int]]] = {c: [] for c in unique}
        for facet, value, count in rows.rows:
            found[unique[facet]].append((value, count))
        return found

    async def result(self, column: str, source: str, rows: list[tuple[Any, int]]) -> dict[str, Any]:
        """One facet's entry, as Datasette's ColumnFacet writes it, from (value, count) rows."""
        qs_pairs = self.get_querystring_pairs()
        facet_size = self.get_facet_size()
        values = [value for value, _ in rows[:facet_size]]
        expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, values)
        entries = []
        for value, count in rows[:facet_size]:
            column_qs = f"{column}__exact" if column.startswith("_") else column
            selected = (column_qs, str(value)) in qs_pairs
            if selected:
                toggle_path = path_with_removed_args(self.request, {column_qs: str(value)})
            else:
                toggle_path = path_with_added_args(self.request, {column_qs: value})
            entries.append(
                {
                    "value": value,
                    "label": expanded.get((column, value), value),
                    "count": count,
                    "toggle_url": self.ds.absolute_url(
                        self.request, self.ds.urls.path(toggle_path)
                    ),
                    "selected": selected,
                }
            )
        return {
            "name": column,
            "type": self.type,
            "hideable": source != "metadata",
            "toggle_url": self.ds.urls.path(
                path_with_removed_args(self.request, {"_facet": column})
            ),
            "results": entries,
            "truncated": len(rows) > facet_size,
        }


@hookimpl(wrapper=True)
def register_facet_classes() -> Generator[None, list[list[type]], list[list[type]]]:
    """Datasette's facet classes, with its ColumnFacet replaced by ``CountedColumnFacet``."""
    registered = yield
    return [
        [CountedColumnFacet if k is ColumnFacet else k for k in classes] for classes in registered
    ]


@hookimpl
def startup(datasette: Any) -> None:
    """Count in a background thread: pages are served (with Datasette's facets) meanwhile."""
    database = datasette.databases.get(DATABASE)
    if database is None or database.path is None or database.is_mutable:
        return
    tables = default_facet_columns(datasette.metadata())
    searched = tuple(datasette.plugin_config(SEARCH_PLUGIN, database=DATABASE) or {})
    datasette.xxgk_facet_counts = counts = FacetCounts()
    threading.Thread(
        target=counts.count_all,
        args=(database.path, tables, searched),
        daemon=True,
        name="facet-counts",
    ).start()


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/facet-counts\.json$", facet_counts_status)]


async def facet_counts_status(datasette: Any) -> Response:
    counts = counts_of(datasette)
    return Response.json({"done": counts.done, "tables": counts.status} if counts else {})
