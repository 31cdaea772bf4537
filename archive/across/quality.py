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

# Per report: failing checks of its own and against its text, failures against last
# year, and how many of 表二/表三/表四 it has — aggregated once, joined by report id.
SQL = """
CREATE TEMP TABLE quality_counts AS
SELECT report_id, sum(own) AS own, sum(cross_year) AS cross_year, sum(tables) AS tables
FROM (
  SELECT report_id, 1 AS own, 0 AS cross_year, 0 AS tables FROM failed_checks
  WHERE severity = 'error' AND check_id NOT LIKE 'X\\_%' ESCAPE '\\'
  UNION ALL
  SELECT report_id, check_id = 'X_NARRATIVE', check_id IN ('X_CARRY', 'X_IN_FORCE'), 0
  FROM cross_checks
  UNION ALL
  SELECT report_id, 0, 0, 1 FROM proactive
  UNION ALL
  SELECT report_id, 0, 0, 1 FROM requests
  UNION ALL
  SELECT report_id, 0, 0, 1 FROM review_litigation
)
GROUP BY report_id;
CREATE UNIQUE INDEX temp.quality_counts_report ON quality_counts (report_id);
CREATE TABLE report_quality AS
WITH parts AS (
  SELECT r.id AS report_id, r.body_id, r.body_name, r.year, coalesce(b.province, r.province)
         AS province, b.city, r.level, r.division_code, r.template,
         CASE p.late WHEN 0 THEN 20.0 WHEN 1 THEN 0.0 ELSE 10.0 END AS on_time,
         round(20.0 * min(coalesce(r.sections, 0), 6) / 6, 2) AS sections,
         round(20.0 / 3 * coalesce(q.tables, 0), 2) AS tables,
         max(0.0, 20.0 - 5.0 * coalesce(q.own, 0)) AS checks,
         max(0.0, 20.0 - 10.0 * coalesce(q.cross_year, 0)) AS consistent,
         p.late, p.published
  FROM reports r
  LEFT JOIN body_divisions b ON b.body_id = r.body_id
  LEFT JOIN report_publication p ON p.report_id = r.id
  LEFT JOIN temp.quality_counts q ON q.report_id = r.id
)
SELECT *, round(on_time + sections + tables + checks + consistent, 1) AS score,
       rank() OVER (PARTITION BY year
                    ORDER BY on_time + sections + tables + checks + consistent DESC) AS rank_in_year
FROM parts;
DROP TABLE temp.quality_counts;
CREATE UNIQUE INDEX report_quality_report ON report_quality (report_id);
CREATE INDEX report_quality_year_score ON report_quality (year, score);
-- The table's default order (best first, ties by rowid, as Datasette pages it).
CREATE INDEX report_quality_score ON report_quality (score DESC);
CREATE INDEX report_quality_facets ON report_quality (province, city, level);
"""


def add(conn: sqlite3.Connection) -> int:
    run_script(conn, SQL)
    return int(conn.execute("SELECT count(*) FROM report_quality").fetchone()[0])
