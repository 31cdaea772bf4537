"""Checks across reports: carry-over per column, rules in force, narrative against 表三.

``cross_checks`` holds every failure, each with both values and both reports:

- ``X_CARRY`` (error): 表三 上年结转 of year N, per applicant column, must equal
  结转下年度继续办理 of year N−1 of the same body (``expected`` is last year's).
- ``X_IN_FORCE`` (warning): template 2021 表二, per row with counts:
  现行有效件数 of N = 现行有效件数 of N−1 + 本年制发件数 − 本年废止件数 of N.
- ``X_NARRATIVE`` (error): a number the report's own text states
  ("共收到政府信息公开申请7件", "予以公开3件") against the 表三 cell it names.
  ``other_report_id`` is then the report itself, and ``text`` the sentence.

X_CARRY and X_IN_FORCE are one INSERT … SELECT each over the wide tables
(indexed by body and year); the narrative check reads only the sections that
can state these numbers (总体情况 and 收到和处理政府信息公开申请情况).
"""

from __future__ import annotations

import re
import sqlite3

from archive.across.script import run_script
from parsers.template import COLUMNS

DDL = """
CREATE TABLE cross_checks (
  check_id TEXT, report_id TEXT, other_report_id TEXT, body_id TEXT, body_name TEXT,
  year INTEGER, province TEXT, level TEXT, scope TEXT, expected REAL, actual REAL,
  severity TEXT, text TEXT
);
"""

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
SELECT report_id, body_id, body_name, year, province, level, row_key, issued, repealed, in_force
FROM proactive
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

# Sentences stating a 表三 total, as data: pattern → the requests column it states.
NARRATIVE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?:共|新)收到(?:各类)?政府信息公开申请(?:公开|共计|共)?(\d+)\s*[件个条]"),
        "new_received__total",
    ),
    (
        re.compile(r"(?:本年)?新收政府信息公开申请(?:数量)?(?:为|共)?(\d+)\s*件"),
        "new_received__total",
    ),
    (re.compile(r"(?<!不)予以公开(\d+)\s*件"), "granted__total"),
    (re.compile(r"部分公开(\d+)\s*件"), "partially_granted__total"),
)
NARRATIVE_SECTIONS = ("overview", "requests")


def add_narrative(conn: sqlite3.Connection) -> int:
    columns = sorted({column for _, column in NARRATIVE})
    select = ", ".join(f"q.{c}" for c in columns)
    marks = ",".join("?" * len(NARRATIVE_SECTIONS))
    found = []
    seen: set[tuple[str, str]] = set()  # (report, column): the first statement only
    for rid, bid, name, year, province, level, text, *values in conn.execute(
        f"SELECT s.report_id, s.body_id, s.body_name, s.year, s.province, s.level, s.text,"
        f" {select} FROM sections s JOIN requests q ON q.report_id = s.report_id"
        f" WHERE s.section IN ({marks}) ORDER BY s.report_id, s.section",
        NARRATIVE_SECTIONS,
    ):
        table = dict(zip(columns, values, strict=True))
        for pattern, column in NARRATIVE:
            if (rid, column) in seen:
                continue
            for m in pattern.finditer(text or ""):
                stated = int(m.group(1))
                printed = table[column]
                seen.add((rid, column))
                if printed is not None and stated != printed:
                    start = max(0, text.rfind("。", 0, m.start()) + 1)
                    end = text.find("。", m.end())
                    sentence = text[start : end + 1 if end >= 0 else len(text)]
                    found.append(
                        (
                            "X_NARRATIVE",
                            rid,
                            rid,
                            bid,
                            name,
                            year,
                            province,
                            level,
                            column,
                            printed,
                            stated,
                            "error",
                            sentence.strip(),
                        )
                    )
                break
    conn.executemany(f"INSERT INTO cross_checks VALUES ({','.join('?' * 13)})", found)
    return len(found)


def add(conn: sqlite3.Connection) -> int:
    """Fill ``cross_checks``; returns the number of failures."""
    run_script(conn, DDL)
    for col in COLUMNS:
        conn.execute(CARRY_SQL.format(col=col))
    conn.execute(IN_FORCE_ROWS_SQL)
    conn.execute("CREATE INDEX temp.in_force_rows_key ON in_force_rows (body_id, year, row_key)")
    conn.execute(IN_FORCE_SQL)
    conn.execute("DROP TABLE temp.in_force_rows")
    add_narrative(conn)
    conn.execute("CREATE INDEX cross_checks_report ON cross_checks (report_id)")
    conn.execute("CREATE INDEX cross_checks_year ON cross_checks (year, check_id)")
    conn.execute("CREATE INDEX cross_checks_check ON cross_checks (check_id, year)")
    return int(conn.execute("SELECT count(*) FROM cross_checks").fetchone()[0])
