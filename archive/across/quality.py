"""A quality score per report (0–100), ranked within its year; documented on /about.

Five parts of 20 points each:

- **on time** — published by its deadline (``report_publication``); no date found: 10.
- **sections** — the six sections of the template present: 20 × found / 6.
- **tables** — 表二, 表三 and 表四 present, each 20 / 3 (a pre-2019 report has none).
- **checks** — no failing check inside the report (T3_*, T4_TOTAL; warnings don't
  count) nor against its own text (X_NARRATIVE): 20; else 20 − 5 per failure, at least 0.
- **consistent** — no X_CARRY or X_IN_FORCE failure against last year: 20;
  −10 per failing column or row, at least 0; no report for last year: 20
  (nothing to contradict).

``report_quality`` has the parts, the total, the rank in its year (1 = best) and
the body's province, city and level for facets. One INSERT … SELECT.
"""

from __future__ import annotations

import sqlite3

from archive.across.script import run_script

SQL = """
CREATE TABLE report_quality AS
WITH parts AS (
  SELECT r.id AS report_id, r.body_id, r.body_name, r.year, r.province, b.city, r.level,
         r.division_code, r.template,
         CASE p.late WHEN 0 THEN 20.0 WHEN 1 THEN 0.0 ELSE 10.0 END AS on_time,
         round(20.0 * min(coalesce(r.sections, 0), 6) / 6, 2) AS sections,
         round(20.0 / 3 * ((EXISTS (SELECT 1 FROM proactive x WHERE x.report_id = r.id))
                         + (EXISTS (SELECT 1 FROM requests x WHERE x.report_id = r.id))
                         + (EXISTS (SELECT 1 FROM review_litigation x
                                    WHERE x.report_id = r.id))), 2) AS tables,
         max(0.0, 20.0 - 5.0 * (
            (SELECT count(*) FROM failed_checks f WHERE f.report_id = r.id
               AND f.severity = 'error' AND f.check_id NOT LIKE 'X\\_%' ESCAPE '\\')
          + (SELECT count(*) FROM cross_checks c WHERE c.report_id = r.id
               AND c.check_id = 'X_NARRATIVE'))) AS checks,
         max(0.0, 20.0 - 10.0 * (SELECT count(*) FROM cross_checks c WHERE c.report_id = r.id
               AND c.check_id IN ('X_CARRY', 'X_IN_FORCE'))) AS consistent,
         p.late, p.published
  FROM reports r
  LEFT JOIN body_divisions b ON b.body_id = r.body_id
  LEFT JOIN report_publication p ON p.report_id = r.id
)
SELECT *, round(on_time + sections + tables + checks + consistent, 1) AS score,
       rank() OVER (PARTITION BY year
                    ORDER BY on_time + sections + tables + checks + consistent DESC) AS rank_in_year
FROM parts;
CREATE UNIQUE INDEX report_quality_report ON report_quality (report_id);
CREATE INDEX report_quality_year_score ON report_quality (year, score);
CREATE INDEX report_quality_score ON report_quality (score);
CREATE INDEX report_quality_facets ON report_quality (province, city, level);
"""


def add(conn: sqlite3.Connection) -> int:
    run_script(conn, SQL)
    return int(conn.execute("SELECT count(*) FROM report_quality").fetchone()[0])
