"""Canned queries that sum a year of a wide table, answered from sums taken once at startup.

``denial_reasons`` sums eight 表三 columns of ``requests`` over a year
(optionally one province): at national scale ~100k rows of 189 columns, each
on a page of its own, 270-320 ms a request at 700k. No index covers the
eight columns, and the build's summary tables do not hold them.

The archive is served immutable (as for ``facet_counts.py``), so at startup a
background thread runs, once, the ``summary`` statement of each query in this
plugin's configuration (``plugins: xxgk-startup-sums: {query: {summary,
answer}}`` in ``metadata.yaml``): the same sums grouped by the query's
filter columns (a few hundred rows), kept in an in-memory SQLite table named
``summary``, beside a copy of the archive's ``default_year`` (the year an
empty ``:year`` stands for). Its group columns have the source table's
declared types, so a parameter compares with them as with the table's
(``year = '2023'``).

The database's ``execute`` is wrapped: the canned query's own statement
(exactly its SQL in the metadata) is answered by the query's ``answer``
statement over that table, with the same parameters; the sums of the groups
are the sums of their rows (``sum`` of groups whose sums are all NULL is
NULL, as over the rows). Until the sums are taken, and for any other
statement (the same SQL edited by hand, say), the archive answers.
``/-/startup-sums.json`` says whether they are ready and how often they answered.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse
from typing import Any

from datasette import hookimpl
from datasette.database import Results
from datasette.utils import escape_sqlite
from datasette.utils.asgi import Response

DATABASE = "archive"
PLUGIN = "xxgk-startup-sums"


class StartupSums:
    """Per canned query: its SQL, the answer statement, and the sums once taken."""

    def __init__(self, queries: dict[str, tuple[str, str, str]]) -> None:
        # name → (the canned query's SQL, the summary statement, the answer statement)
        self.queries = queries
        self.conns: dict[str, sqlite3.Connection] = {}  # name → its summary, once taken
        self.lock = threading.Lock()
        self.status: dict[str, dict[str, Any]] = {name: {"ready": False} for name in queries}
        self.done = False

    def take(self, path: str) -> None:
        """Run each summary statement on the database file at ``path`` (read-only)."""
        uri = f"file:{urllib.parse.quote(path)}?mode=ro&immutable=1"
        source = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            for name, (_, summary, _) in self.queries.items():
                started = time.perf_counter()
                try:
                    conn = summarise(source, summary)
                    # The year an empty ``:year`` stands for (the archive's view), for the
                    # answer statement as for the canned query.
                    conn.execute("create table default_year (year integer)")
                    conn.executemany(
                        "insert into default_year values (?)",
                        source.execute("select year from default_year").fetchall(),
                    )
                except sqlite3.Error as exc:
                    self.status[name] = {"ready": False, "error": str(exc)}
                    continue
                with self.lock:
                    self.conns[name] = conn
                rows = conn.execute("select count(*) from summary").fetchone()[0]
                self.status[name] = {
                    "ready": True,
                    "groups": rows,
                    "seconds": round(time.perf_counter() - started, 3),
                    "answered": 0,
                }
        finally:
            source.close()
            self.done = True

    def answer(self, sql: str, params: Any) -> Results | None:
        """The answer to ``sql`` from the sums, if it is a canned query's and they are taken."""
        for name, (canned_sql, _, answer_sql) in self.queries.items():
            if sql != canned_sql:
                continue
            with self.lock:
                conn = self.conns.get(name)
                if conn is None:
                    return None
                cursor = conn.execute(answer_sql, params or {})
                rows = cursor.fetchall()
            self.status[name]["answered"] += 1
            return Results(rows, False, cursor.description)
        return None


def summarise(source: sqlite3.Connection, summary: str) -> sqlite3.Connection:
    """An in-memory ``summary`` table of ``summary``'s rows, group columns typed as the source's."""
    cursor = source.execute(summary)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    declared: dict[str, str] = {}
    for (table,) in source.execute("select name from sqlite_master where type = 'table'"):
        for row in source.execute(f"pragma table_info({escape_sqlite(table)})"):
            declared.setdefault(row[1], row[2])
    # A column named as a column of the archive (year, province) gets its type; sums none.
    definition = ", ".join(f"{escape_sqlite(n)} {declared.get(n, '')}".strip() for n in names)
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    with conn:
        conn.execute(f"create table summary ({definition})")
        marks = ", ".join("?" for _ in names)
        conn.executemany(f"insert into summary values ({marks})", rows)
    return conn


def configured(datasette: Any) -> dict[str, tuple[str, str, str]]:
    """{query: (its SQL, summary, answer)} for the configured canned queries of the archive."""
    config = datasette.plugin_config(PLUGIN, database=DATABASE) or {}
    canned = (datasette.metadata("databases") or {}).get(DATABASE, {}).get("queries", {})
    out = {}
    for name, entry in config.items():
        query = canned.get(name)
        sql = query.get("sql") if isinstance(query, dict) else query
        if sql and entry.get("summary") and entry.get("answer"):
            out[str(name)] = (str(sql), str(entry["summary"]), str(entry["answer"]))
    return out


def answer_from_sums(db: Any, sums: StartupSums) -> None:
    """Wrap ``db.execute``: a configured canned query's statement is answered from its sums."""
    execute = db.execute

    async def summed_execute(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(params, dict) or params is None:
            answered = sums.answer(sql, params)
            if answered is not None:
                return answered
        return await execute(sql, params, *args, **kwargs)

    db.execute = summed_execute


@hookimpl
def startup(datasette: Any) -> None:
    database = datasette.databases.get(DATABASE)
    if database is None or database.path is None or database.is_mutable:
        return
    queries = configured(datasette)
    if not queries:
        return
    datasette.xxgk_startup_sums = sums = StartupSums(queries)
    answer_from_sums(database, sums)
    threading.Thread(
        target=sums.take, args=(database.path,), daemon=True, name="startup-sums"
    ).start()


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/startup-sums\.json$", startup_sums_status)]


async def startup_sums_status(datasette: Any) -> Response:
    sums: StartupSums | None = getattr(datasette, "xxgk_startup_sums", None)
    return Response.json({"done": sums.done, "queries": sums.status} if sums else {})
