"""Versions: a report page or attachment whose bytes changed after publication.

The crawler's ledger keeps every capture; the build copies them into
``captures``. A URL (report page or attachment) that served different bytes
over time has versions: ``report_versions`` lists each (first and last seen,
the report it belongs to), and ``version_changes`` what changed from the
previous version: 表三 and 表四 cells (before → after), the title, and each
section whose text changed (with both lengths and the first differing passage).
Cell and text diffs need the parsed rows and sections of both versions, which
the build's parse cache holds (``load_readings``); without it only the dates
are listed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from archive import schema
from archive.across.script import run_script

# digests → (digest, prepared rows, section rows): ``BuildState.readings``.
LoadReadings = Callable[[list[str]], Iterator[tuple[str, Any, list[Any]]]]

DDL = """
CREATE TABLE report_versions (
  report_id TEXT, body_name TEXT, year INTEGER, url TEXT, version INTEGER, sha256 TEXT,
  first_seen TEXT, last_seen TEXT, previous_sha256 TEXT, cells_changed INTEGER,
  sections_changed INTEGER, title_changed INTEGER, PRIMARY KEY (url, version)
);
CREATE TABLE version_changes (
  report_id TEXT, url TEXT, version INTEGER, what TEXT, key TEXT, before TEXT, after TEXT
);
"""

# The captures of a URL in order, keeping each run of the same bytes once.
VERSIONS_SQL = """
WITH caps AS (
  SELECT coalesce(final_url, url) AS u, sha256, fetched_at
  FROM captures
  WHERE sha256 IS NOT NULL AND kind IN ('report', 'attachment')
    AND (status IS NULL OR status BETWEEN 200 AND 299)
),
changed AS (SELECT u FROM caps GROUP BY u HAVING count(DISTINCT sha256) > 1)
SELECT c.u, c.sha256, min(c.fetched_at), max(c.fetched_at)
FROM caps c JOIN changed USING (u)
GROUP BY c.u, c.sha256
ORDER BY c.u, min(c.fetched_at)
"""

VALUE_COLUMNS = [c.name for c in schema.REQUEST_VALUE_COLUMNS] + [
    c.name for c in schema.REVIEW_VALUE_COLUMNS
]


def _values(prepared: Any) -> dict[str, Any]:
    values = list(prepared.requests or (None,) * len(schema.REQUEST_VALUE_COLUMNS))
    values += list(prepared.review_litigation or (None,) * len(schema.REVIEW_VALUE_COLUMNS))
    return dict(zip(VALUE_COLUMNS, values, strict=False))


def _first_difference(before: str, after: str, width: int = 40) -> tuple[str, str]:
    i = 0
    while i < min(len(before), len(after)) and before[i] == after[i]:
        i += 1
    start = max(0, i - 10)
    return before[start : i + width], after[start : i + width]


def diff(
    old: tuple[Any, list[Any]], new: tuple[Any, list[Any]]
) -> list[tuple[str, str, str | None, str | None]]:
    """What changed between two readings (prepared rows, sections): (what, key, before, after)."""
    (before, before_sections), (after, after_sections) = old, new
    out: list[tuple[str, str, str | None, str | None]] = []
    if (before.title or "") != (after.title or ""):
        out.append(("title", "title", before.title, after.title))
    a, b = _values(before), _values(after)
    for key in VALUE_COLUMNS:
        if a.get(key) != b.get(key):
            out.append(("cell", key, _text(a.get(key)), _text(b.get(key))))
    sa = {s[0]: s[2] for s in before_sections}
    sb = {s[0]: s[2] for s in after_sections}
    for key in sorted(set(sa) | set(sb)):
        if sa.get(key, "") != sb.get(key, ""):
            was, now = _first_difference(sa.get(key, ""), sb.get(key, ""))
            out.append(("section", key, was, now))
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def add(conn: sqlite3.Connection, load_readings: LoadReadings | None = None) -> int:
    """Fill ``report_versions`` and ``version_changes``; returns the number of versions."""
    run_script(conn, DDL)
    rows = conn.execute(VERSIONS_SQL).fetchall()
    if not rows:
        return 0
    shas = sorted({r[1] for r in rows})
    reports: dict[str, tuple[str | None, str | None, int | None]] = {}
    for start in range(0, len(shas), 500):
        chunk = shas[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for sha, rid, name, year in conn.execute(
            f"SELECT d.sha256, d.report_id, r.body_name, r.year FROM documents d"
            f" LEFT JOIN reports r ON r.id = d.report_id WHERE d.sha256 IN ({marks})",
            chunk,
        ):
            reports[sha] = (rid, name, year)
    readings = {sha: (p, s) for sha, p, s in load_readings(shas)} if load_readings else {}
    versions = []
    changes: list[tuple[Any, ...]] = []
    previous: dict[str, str] = {}
    counter: dict[str, int] = {}
    for url, sha, first_seen, last_seen in rows:
        n = counter[url] = counter.get(url, 0) + 1
        rid, name, year = reports.get(sha, (None, None, None))
        prev = previous.get(url)
        found = []
        if prev and prev in readings and sha in readings:
            found = diff(readings[prev], readings[sha])
            changes.extend((rid, url, n, *change) for change in found)
        versions.append(
            (
                rid,
                name,
                year,
                url,
                n,
                sha,
                first_seen,
                last_seen,
                prev,
                sum(1 for c in found if c[0] == "cell") if prev else None,
                sum(1 for c in found if c[0] == "section") if prev else None,
                int(any(c[0] == "title" for c in found)) if prev else None,
            )
        )
        previous[url] = sha
    conn.executemany(f"INSERT INTO report_versions VALUES ({','.join('?' * 12)})", versions)
    conn.executemany("INSERT INTO version_changes VALUES (?,?,?,?,?,?,?)", changes)
    conn.execute("CREATE INDEX report_versions_report ON report_versions (report_id)")
    conn.execute("CREATE INDEX version_changes_report ON version_changes (report_id, version)")
    return len(versions)
