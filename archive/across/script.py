"""Run a block of SQL statements inside the caller's transaction.

``sqlite3.Connection.executescript`` commits any open transaction first; the
stage keeps one transaction for all its tables, so statements run one by one.
"""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    """Execute each ``;``-terminated statement of ``sql`` (no ``;`` inside literals)."""
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)
