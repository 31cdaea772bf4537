"""One report, many copies: every document of a report, ranked, and why the chosen one won.

The build groups documents by body and year (an HTML page and its PDF
attachment, a township's report republished by its county's portal, an edited
re-upload) and takes its numbers from the best-parsed document. This stage
publishes that choice: ``report_copies`` lists each document of a report with
several, its rank, the portal it came from, and for the chosen one the reason
it beat the runner-up (fewer failing checks, more cells read, more sections,
a preferred format). All set-based SQL over ``documents``; the runner-up is the
next row of the same window (``lead``), not a self-join, which grew with the
square of the copies at national scale (917 s at 700k reports).
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
  SELECT *, row_number() OVER copy_order AS rank,
         count(*) OVER (PARTITION BY report_id) AS copies,
         -- the next copy in rank order: for the chosen (first) one, the runner-up
         lead(sha256) OVER copy_order AS next_sha256,
         lead(checks_failing) OVER copy_order AS next_checks_failing,
         lead(cells) OVER copy_order AS next_cells,
         lead(format_rank) OVER copy_order AS next_format_rank,
         lead(format) OVER copy_order AS next_format
  FROM docs
  WINDOW copy_order AS (PARTITION BY report_id
                        ORDER BY chosen DESC, checks_failing, cells DESC, format_rank DESC, sha256)
)
SELECT a.report_id, r.body_id, r.body_name, r.year, r.province, r.level,
       a.rank, a.copies, a.sha256 AS document_sha256, a.format, a.source_id, a.url,
       a.fetched_at, a.chosen, a.cells, a.checks_failing, a.warnings,
       CASE WHEN a.chosen = 1 AND a.rank = 1 AND a.next_sha256 IS NOT NULL THEN
         CASE
           WHEN a.checks_failing < a.next_checks_failing THEN
             'fewer failing checks (' || a.checks_failing || ' vs ' || a.next_checks_failing || ')'
           WHEN a.cells > a.next_cells THEN
             'more table cells read (' || a.cells || ' vs ' || a.next_cells || ')'
           WHEN a.format_rank > a.next_format_rank THEN
             a.format || ' reads more reliably than ' || a.next_format
           WHEN a.format = a.next_format THEN 'same reading; kept the ' || a.format || ' found first'
           ELSE 'as good as the ' || a.next_format || ' copy; kept the ' || a.format
         END
       END AS choice_reason
FROM ranked a
JOIN reports r ON r.id = a.report_id;
CREATE INDEX report_copies_report ON report_copies (report_id, rank);
CREATE INDEX report_copies_year ON report_copies (year, province);
"""


def add(conn: sqlite3.Connection) -> int:
    """Fill ``report_copies``; returns the number of reports with several documents."""
    run_script(conn, SQL)
    return int(conn.execute("SELECT count(DISTINCT report_id) FROM report_copies").fetchone()[0])
