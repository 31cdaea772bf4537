"""Checks across reports: carry-over per column, rules in force, narrative against 表三.

``cross_checks`` holds every failure, each with both values and both reports:

- ``X_CARRY`` (error): 表三 上年结转 of year N, per applicant column, must equal
  结转下年度继续办理 of year N−1 of the same body (``expected`` is last year's).
- ``X_IN_FORCE`` (warning): template 2021 表二, per row with counts:
  现行有效件数 of N = 现行有效件数 of N−1 + 本年制发件数 − 本年废止件数 of N.
- ``X_NARRATIVE`` (error): a number the report's own text states
  ("共收到政府信息公开申请7件", "予以公开3件") against the 表三 cell it names.
  ``other_report_id`` is then the report itself, and ``text`` the sentence.
  It needs the report alone, so it is found when a document's rows are
  prepared (``archive/narrative.py``, cached) and the build writes it into
  this table with the report, before this stage runs.

X_CARRY and X_IN_FORCE are one INSERT … SELECT each over the wide tables
(indexed by body and year).
"""

from __future__ import annotations

import sqlite3

from archive.across.script import run_script
from parsers.template import COLUMNS

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.cross_checks (
  check_id TEXT, report_id TEXT, other_report_id TEXT, body_id TEXT, body_name TEXT,
  year INTEGER, province TEXT, level TEXT, scope TEXT, expected REAL, actual REAL,
  severity TEXT, text TEXT
)
"""
INSERT = f"INSERT INTO cross_checks VALUES ({','.join('?' * 13)})"

CARRY_SQL = """
INSERT INTO cross_checks
SELECT 'X_CARRY', cur.report_id, prev.report_id, cur.body_id, cur.body_name, cur.year,
       cur.province, cur.level, '{col}', prev.carried_forward__{col}, cur.carried_over__{col},
       'error', NULL
FROM requests cur JOIN requests prev ON prev.body_id = cur.body_id AND prev.year = cur.year - 1
WHERE coalesce(cur.carried_over__{col}, 0) != coalesce(prev.carried_forward__{col}, 0)
  AND (cur.carried_over__{col} IS NOT NULL OR prev.carried_forward__{col} IS NOT NULL)
"""

# 表二 rows with a 现行有效件数 (template 2021), indexed by body and year: the
# self-join then looks each row's previous year up instead of scanning a year.
IN_FORCE_ROWS_SQL = """
CREATE TEMP TABLE in_force_rows AS
SELECT report_id, body_id, body_name, year, province, level, 'rules' AS row_key,
       rules__issued AS issued, rules__repealed AS repealed, rules__in_force AS in_force
FROM proactive
WHERE template = '2021' AND rules__in_force IS NOT NULL
UNION ALL
SELECT report_id, body_id, body_name, year, province, level, 'normative_docs',
       normative_docs__issued, normative_docs__repealed, normative_docs__in_force
FROM proactive
WHERE template = '2021' AND normative_docs__in_force IS NOT NULL
UNION ALL
SELECT report_id, body_id, body_name, year, province, level, row_key, issued, repealed, in_force
FROM proactive_other_rows
WHERE template = '2021' AND in_force IS NOT NULL
"""

IN_FORCE_SQL = """
INSERT INTO cross_checks
SELECT 'X_IN_FORCE', cur.report_id, prev.report_id, cur.body_id, cur.body_name, cur.year,
       cur.province, cur.level, cur.row_key,
       prev.in_force + coalesce(cur.issued, 0) - coalesce(cur.repealed, 0),
       cur.in_force, 'warning', NULL
FROM temp.in_force_rows cur
JOIN temp.in_force_rows prev ON prev.body_id = cur.body_id AND prev.year = cur.year - 1
                            AND prev.row_key = cur.row_key
WHERE cur.in_force != prev.in_force + coalesce(cur.issued, 0) - coalesce(cur.repealed, 0)
"""


def create_table(conn: sqlite3.Connection, schema_name: str = "main") -> None:
    """``cross_checks``, if absent, in ``schema_name`` (the build creates it with the reports)."""
    run_script(conn, DDL.format(schema=schema_name))


def add_carry(conn: sqlite3.Connection) -> int:
    """Create ``cross_checks`` (if the build has not) and add X_CARRY per column; returns
    the number of X_CARRY failures."""
    create_table(conn)
    for col in COLUMNS:
        conn.execute(CARRY_SQL.format(col=col))
    return _count(conn, "X_CARRY")


def add_in_force(conn: sqlite3.Connection) -> int:
    """Add X_IN_FORCE (from 表二, ``proactive``) and index ``cross_checks``; returns the
    number of X_IN_FORCE failures."""
    create_table(conn)
    conn.execute(IN_FORCE_ROWS_SQL)
    conn.execute("CREATE INDEX temp.in_force_rows_key ON in_force_rows (body_id, year, row_key)")
    conn.execute(IN_FORCE_SQL)
    conn.execute("DROP TABLE temp.in_force_rows")
    conn.execute("CREATE INDEX cross_checks_report ON cross_checks (report_id)")
    conn.execute("CREATE INDEX cross_checks_year ON cross_checks (year, check_id)")
    conn.execute("CREATE INDEX cross_checks_check ON cross_checks (check_id, year)")
    # A year's failures in the order the canned queries list them (cross_year_checks,
    # narrative_vs_table): they stop after 1,000 rows instead of sorting a year's 500k.
    conn.execute(
        "CREATE INDEX cross_checks_year_order"
        " ON cross_checks (year, province, body_name, check_id, scope)"
    )
    return _count(conn, "X_IN_FORCE")


def _count(conn: sqlite3.Connection, check_id: str) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM cross_checks WHERE check_id = ?", (check_id,)
        ).fetchone()[0]
    )
