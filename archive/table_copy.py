"""Copying a built file's tables into another file, as SQLite stores them.

The build writes its tables in three files at once (``archive.build``) and
gathers them into the one it publishes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_tables(conn: sqlite3.Connection, source: Path) -> None:
    """Copy every table of the file ``source`` (absent from ``conn``'s) with its indexes.

    Each table is created with the source's own statement and indexes, then
    filled with ``INSERT INTO t SELECT * FROM other.t``: between tables of the
    same shape, into an empty table with the same indexes, that is SQLite's
    transfer optimisation: records and index entries are copied as they are,
    in order, without decoding them or sorting for the indexes.
    """
    conn.execute("ATTACH DATABASE ? AS source", (str(source),))
    conn.execute("BEGIN")
    tables = conn.execute(
        "SELECT name, sql FROM source.sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    for name, sql in tables:
        conn.execute(sql)
        for (index_sql,) in conn.execute(
            "SELECT sql FROM source.sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL ORDER BY rowid",
            (name,),
        ).fetchall():
            conn.execute(index_sql)
        conn.execute(f"INSERT INTO main.[{name}] SELECT * FROM source.[{name}]")
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE source")
