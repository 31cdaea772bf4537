"""One report, many copies: every document of a report, ranked, and why the chosen one won.

The build groups documents by body and year (an HTML page and its PDF
attachment, a township's report republished by its county's portal, an edited
re-upload) and takes its numbers from the best-parsed document. This stage
publishes that choice: ``report_copies`` lists each document of a report with
several, its rank, the portal it came from, and for the chosen one the reason
it beat the runner-up (fewer failing checks, more cells read, more sections,
a preferred format). All set-based SQL over ``documents``.
"""

from __future__ import annotations

import sqlite3

from archive.across.script import run_script

# Format preference when two copies read equally well (as archive.build.FORMAT_RANK).
FORMAT_SQL = (
    "CASE format WHEN 'html' THEN 5 WHEN 'docx' THEN 5 WHEN 'xlsx' THEN 5 WHEN 'text' THEN 4"
    " WHEN 'doc' THEN 4 WHEN 'wps' THEN 4 WHEN 'xls' THEN 4 WHEN 'pdf' THEN 3"
    " WHEN 'image' THEN 1 ELSE 0 END"
)

SQL = f"""
CREATE TABLE report_copies AS
WITH docs AS (
  SELECT d.report_id, d.sha256, d.format, d.source_id, d.url, d.fetched_at, d.chosen,
         coalesce(d.cells, 0) AS cells, coalesce(d.checks_failing, 0) AS checks_failing,
         coalesce(d.warnings, 0) AS warnings, {FORMAT_SQL} AS format_rank
  FROM documents d
  WHERE d.report_id IN (SELECT report_id FROM documents WHERE parse_status = 'parsed'
                        AND report_id IS NOT NULL GROUP BY report_id HAVING count(*) > 1)
    AND d.parse_status = 'parsed'
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY report_id
              ORDER BY chosen DESC, checks_failing, cells DESC, format_rank DESC, sha256) AS rank,
         count(*) OVER (PARTITION BY report_id) AS copies
  FROM docs
)
SELECT a.report_id, r.body_id, r.body_name, r.year, r.province, r.level,
       a.rank, a.copies, a.sha256 AS document_sha256, a.format, a.source_id, a.url,
       a.fetched_at, a.chosen, a.cells, a.checks_failing, a.warnings,
       CASE WHEN a.chosen = 1 AND b.sha256 IS NOT NULL THEN
         CASE
           WHEN a.checks_failing < b.checks_failing THEN
             'fewer failing checks (' || a.checks_failing || ' vs ' || b.checks_failing || ')'
           WHEN a.cells > b.cells THEN
             'more table cells read (' || a.cells || ' vs ' || b.cells || ')'
           WHEN a.format_rank > b.format_rank THEN
             a.format || ' reads more reliably than ' || b.format
           WHEN a.format = b.format THEN 'same reading; kept the ' || a.format || ' found first'
           ELSE 'as good as the ' || b.format || ' copy; kept the ' || a.format
         END
       END AS choice_reason
FROM ranked a
JOIN reports r ON r.id = a.report_id
LEFT JOIN ranked b ON b.report_id = a.report_id AND b.rank = 2 AND a.rank = 1;
CREATE INDEX report_copies_report ON report_copies (report_id, rank);
CREATE INDEX report_copies_year ON report_copies (year, province);
"""


def add(conn: sqlite3.Connection) -> int:
    """Fill ``report_copies``; returns the number of reports with several documents."""
    run_script(conn, SQL)
    return int(conn.execute("SELECT count(DISTINCT report_id) FROM report_copies").fetchone()[0])
