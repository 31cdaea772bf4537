"""Missing and late reports.

**Late.** The Regulation on Government Information Disclosure (条例, art. 50)
sets two deadlines for the report on year N: government departments
(including the State Council's) publish by **31 January of N+1**; governments
(province, city, county, township, and sub-district offices) by **31 March of
N+1**. A report's publication date is read from the page it was published on:
the ``<meta name="PubDate">`` every portal CMS writes, else the page's
"发布日期：2021年03月05日" / "发布时间：2021-03-05" line (only the page's first
64 KB are read, once per page: the build state keeps what a page states).
``report_publication`` lists every report with its date (or none found),
deadline and days late.

**Missing.** A source's ``expected`` list (crawler/sources/*.yml) names the
bodies its column covers. For each expected body (matched to a body through
``body_aliases``) and each year the source published any report in (from its
first to its last), ``missing_reports`` lists the years with no report.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from archive.across.divisions import resolve
from archive.across.script import run_script
from archive.bodies import province_for
from archive.build_state import BuildState
from archive.store import RawStore

PUBDATE_META = re.compile(
    rb'<meta[^>]+name=["\']?PubDate["\']?[^>]+content=["\']?(\d{4})-(\d{1,2})-(\d{1,2})', re.I
)
PUBDATE_TEXT = re.compile(
    r"(?:发布日期|发布时间|发文日期)[:：]\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
)
HEAD_BYTES = 65536

DDL = """
CREATE TABLE report_publication (
  report_id TEXT PRIMARY KEY, body_id TEXT, body_name TEXT, year INTEGER, province TEXT,
  level TEXT, kind TEXT, published TEXT, how TEXT, deadline TEXT, days_late INTEGER,
  late INTEGER, page_sha256 TEXT
);
CREATE TABLE missing_reports (
  source_id TEXT, body_name TEXT, body_id TEXT, match_confidence REAL, province TEXT,
  year INTEGER, reports_of_body INTEGER
);
"""


def deadline(year: int, kind: str) -> date:
    """The last day a report on ``year`` may be published: departments 31 Jan, governments 31 Mar."""
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


def publication_date(head: bytes) -> tuple[date | None, str | None]:
    """The publication date a page states, and where it was found."""
    m = PUBDATE_META.search(head)
    how = "meta"
    if m is None:
        text = head.decode("utf-8", "ignore")
        if "发布" not in text and "发文" not in text:
            text = head.decode("gb18030", "ignore")
        t = PUBDATE_TEXT.search(text)
        if t is None:
            return None, None
        groups: tuple[Any, ...] = t.groups()
        how = "text"
    else:
        groups = m.groups()
    try:
        return date(int(groups[0]), int(groups[1]), int(groups[2])), how
    except ValueError:
        return None, None


def _head(store: RawStore, sha: str) -> bytes:
    with open(store.path(sha), "rb") as f:
        return f.read(HEAD_BYTES)


def add_late(conn: sqlite3.Connection, data_dir: Path) -> int:
    store = RawStore(data_dir)
    # The page each report was published on: a report-page capture of its page_url,
    # else the chosen document itself when it is an HTML page.
    # The first report-page capture of each URL (asked for or redirected to),
    # indexed once: a join, not a scan of every capture per report.
    conn.execute(
        """
        CREATE TEMP TABLE page_captures AS
        SELECT u, sha256, min(fetched_at) AS fetched_at FROM (
          SELECT url AS u, sha256, fetched_at FROM captures
          WHERE kind = 'report' AND sha256 IS NOT NULL
          UNION ALL
          SELECT final_url, sha256, fetched_at FROM captures
          WHERE kind = 'report' AND sha256 IS NOT NULL AND final_url IS NOT NULL)
        GROUP BY u
        """
    )
    conn.execute("CREATE INDEX temp.page_captures_u ON page_captures (u)")
    rows = conn.execute(
        """
        SELECT r.id, r.body_id, r.body_name, r.year, r.province, r.level, b.kind,
               coalesce(p.sha256,
                        CASE WHEN r.document_format = 'html' THEN r.document_sha256 END)
        FROM reports r
        LEFT JOIN body_divisions b ON b.body_id = r.body_id
        LEFT JOIN page_captures p ON p.u = r.page_url
        WHERE r.year IS NOT NULL
        """
    ).fetchall()
    out = []
    with BuildState.open(data_dir) as state:
        stated = state.page_dates()
        read: list[tuple[str, str | None, str | None]] = []
        for rid, bid, name, year, province, level, kind, sha in rows:
            published, how = _published(store, sha, stated, read)
            kind = kind or "government"
            due = deadline(int(year), kind)
            late = None if published is None else int(published > due)
            days = None if published is None else max(0, (published - due).days)
            out.append(
                (
                    rid,
                    bid,
                    name,
                    year,
                    province,
                    level,
                    kind,
                    published.isoformat() if published else None,
                    how,
                    due.isoformat(),
                    days,
                    late,
                    sha,
                )
            )
        state.put_page_dates(read)
    conn.execute("DROP TABLE temp.page_captures")
    conn.executemany(f"INSERT INTO report_publication VALUES ({','.join('?' * 13)})", out)
    conn.execute("CREATE INDEX report_publication_late ON report_publication (late, year)")
    return sum(1 for r in out if r[11])


def _published(
    store: RawStore,
    sha: str | None,
    stated: dict[str, tuple[str | None, str | None]],
    read: list[tuple[str, str | None, str | None]],
) -> tuple[date | None, str | None]:
    """The date page ``sha`` states: from the build state, else read (and noted in ``read``)."""
    if not sha:
        return None, None
    if sha in stated:
        iso, how = stated[sha]
        return (date.fromisoformat(iso) if iso else None), how
    try:
        published, how = publication_date(_head(store, sha))
    except OSError:  # not in the raw store (yet): read again next time
        return None, None
    stated[sha] = (published.isoformat() if published else None, how)
    read.append((sha, *stated[sha]))
    return published, how


def add_missing(conn: sqlite3.Connection, sources_dir: Path | None) -> int:
    try:
        from crawler.registry import load_sources
    except ImportError:  # pragma: no cover - the registry ships with the crawler
        return 0
    registered = load_sources(sources_dir)
    out = []
    for source_id, src in registered.items():
        expected = src.expected if isinstance(src.expected, list) else []
        if not expected:
            continue
        years = conn.execute(
            "SELECT min(r.year), max(r.year) FROM reports r JOIN documents d"
            " ON d.report_id = r.id WHERE d.source_id = ? AND r.year IS NOT NULL",
            (source_id,),
        ).fetchone()
        if years[0] is None:
            continue
        for name in expected:
            province = province_for(str(name), src.division_code, str(src.level))
            bid, confidence = resolve(conn, str(name), province)
            have = {
                y
                for (y,) in conn.execute(
                    "SELECT year FROM reports WHERE body_id = ? AND year IS NOT NULL", (bid,)
                )
            }
            for year in range(years[0], years[1] + 1):
                if year not in have:
                    out.append((source_id, name, bid, confidence, province, year, len(have)))
    conn.executemany("INSERT INTO missing_reports VALUES (?,?,?,?,?,?,?)", out)
    conn.execute("CREATE INDEX missing_reports_year ON missing_reports (year, province)")
    return len(out)


def add(conn: sqlite3.Connection, data_dir: Path, sources_dir: Path | None = None) -> int:
    run_script(conn, DDL)
    late = add_late(conn, data_dir)
    add_missing(conn, sources_dir)
    return late
