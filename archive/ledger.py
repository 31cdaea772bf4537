"""The crawler's ledger, ``<data>/crawl.db``: runs, captures and per-URL state.

Tables (the build reads ``captures`` and ``url_state``; nothing is ever deleted):

- ``runs``: one row per crawl run (``run_id``), with its status, the sources it
  covered, its settings and the per-run summary.
- ``run_sources``: per run and source, the counts the operator reads in the
  morning: lists fetched, new, changed, unchanged, gone, blocked, errors.
- ``captures``: one row per fetch (every HTTP exchange the crawler made, and
  every failure), pointing at the body in the raw store by SHA-256. ``change``
  says what the fetch meant for that URL: ``new``, ``changed`` (a new version),
  ``unchanged``, ``not_modified`` (304), ``gone`` (404/410 of a known URL),
  ``failed`` or ``blocked``.
- ``url_state``: the latest known state of each URL (validators, last body,
  first/last seen, last change, gone since, number of versions).
- ``listings``: every item seen in a source's list pages, kept after it drops
  out of the list.
- ``blocks``: evidence for each host found blocked (WAF challenge, robots.txt
  answering 5xx or a challenge).
- ``source_state``: per source, the last run whose list walk was complete
  (incremental paging only stops early after one complete walk).

Writes are committed at once (WAL mode), so a crash loses at most the fetch in
flight and a resumed run can trust every row it finds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LEDGER_NAME = "crawl.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,          -- running | finished | failed | interrupted
    spider TEXT,
    sources TEXT,                  -- JSON list of source ids
    settings TEXT,                 -- JSON of the settings overrides
    jobdir TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    exit_code INTEGER,
    summary TEXT                   -- JSON totals
);
CREATE TABLE IF NOT EXISTS run_sources (
    run_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',   -- ok | failed | blocked | running
    lists_fetched INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    gone INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    PRIMARY KEY (run_id, source_id)
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    source_id TEXT,
    url TEXT NOT NULL,
    final_url TEXT,
    method TEXT NOT NULL DEFAULT 'GET',
    fingerprint TEXT,
    status INTEGER,
    headers TEXT,
    fetched_at TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    content_type TEXT,
    declared_encoding TEXT,
    used_encoding TEXT,
    kind TEXT,                     -- list | report | attachment | robots | other
    parent_url TEXT,
    title TEXT,
    filename TEXT,
    redirect_urls TEXT,            -- JSON list, the hops before final_url
    change TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS captures_run_fingerprint ON captures (run_id, fingerprint);
CREATE INDEX IF NOT EXISTS captures_url ON captures (url);
CREATE INDEX IF NOT EXISTS captures_sha256 ON captures (sha256);
CREATE INDEX IF NOT EXISTS captures_run_source ON captures (run_id, source_id);
CREATE TABLE IF NOT EXISTS url_state (
    url TEXT PRIMARY KEY,
    final_url TEXT,                -- where it last redirected to (re-checks go there)
    source_id TEXT,
    kind TEXT,
    parent_url TEXT,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    status INTEGER,
    first_seen TEXT NOT NULL,
    first_run TEXT NOT NULL,
    last_seen TEXT,
    last_changed TEXT,
    gone_since TEXT,
    versions INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS url_state_source ON url_state (source_id);
CREATE TABLE IF NOT EXISTS listings (
    source_id TEXT NOT NULL,
    url TEXT NOT NULL,
    list_url TEXT,
    title TEXT,
    published TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_run TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);
CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    source_id TEXT,
    host TEXT NOT NULL,
    url TEXT,
    status INTEGER,
    reason TEXT NOT NULL,
    sha256 TEXT,
    headers TEXT,
    snippet TEXT,
    detected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source_state (
    source_id TEXT PRIMARY KEY,
    walk_complete_run TEXT,
    walk_complete_at TEXT
);
"""

COUNT_COLUMNS = ("lists_fetched", "new", "changed", "unchanged", "gone", "blocked", "errors")
DOCUMENT_KINDS = ("report", "attachment", "other")


def utcnow() -> str:
    """The current time as an ISO 8601 UTC string (seconds precision, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Capture:
    """One fetch, as the crawler saw it (the ``captures`` row before insertion)."""

    run_id: str
    url: str
    source_id: str | None = None
    final_url: str | None = None
    method: str = "GET"
    fingerprint: str | None = None
    status: int | None = None
    headers: dict[str, list[str]] | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    declared_encoding: str | None = None
    used_encoding: str | None = None
    kind: str | None = None
    parent_url: str | None = None
    title: str | None = None
    filename: str | None = None
    redirect_urls: list[str] | None = None
    error: str | None = None
    fetched_at: str | None = None


class Ledger:
    """The crawl ledger in one SQLite file; one connection, committed per write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    @classmethod
    def open(cls, data_dir: str | Path) -> Ledger:
        return cls(Path(data_dir) / LEDGER_NAME)

    def close(self) -> None:
        self.db.close()

    # -- runs -------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        *,
        spider: str,
        sources: Iterable[str],
        settings: dict[str, Any] | None = None,
        jobdir: str | None = None,
    ) -> None:
        """Create the run (or, when resuming, mark it running again)."""
        source_ids = list(sources)
        existing = self.run(run_id)
        if existing is None:
            self.db.execute(
                "INSERT INTO runs (id, started_at, status, spider, sources, settings, jobdir)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (
                    run_id,
                    utcnow(),
                    spider,
                    json.dumps(source_ids),
                    json.dumps(settings or {}),
                    jobdir,
                ),
            )
        else:
            self.db.execute(
                "UPDATE runs SET status='running', finished_at=NULL, attempts=attempts+1"
                " WHERE id=?",
                (run_id,),
            )
        for source_id in source_ids:
            self.db.execute(
                "INSERT OR IGNORE INTO run_sources (run_id, source_id) VALUES (?, ?)",
                (run_id, source_id),
            )

    def finish_run(
        self, run_id: str, *, status: str, exit_code: int, summary: dict[str, Any]
    ) -> None:
        self.db.execute(
            "UPDATE runs SET status=?, finished_at=?, exit_code=?, summary=? WHERE id=?",
            (status, utcnow(), exit_code, json.dumps(summary, ensure_ascii=False), run_id),
        )

    def run(self, run_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM runs WHERE id=?", (run_id,)
        ).fetchone()
        return row

    def last_run(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return row

    def run_sources(self, run_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM run_sources WHERE run_id=? ORDER BY source_id", (run_id,)
        ).fetchall()

    def set_source_result(
        self, run_id: str, source_id: str, status: str, counts: dict[str, int], note: str | None
    ) -> None:
        assignments = ", ".join(f"{column}=?" for column in COUNT_COLUMNS)
        self.db.execute(
            f"UPDATE run_sources SET status=?, note=?, {assignments}"
            " WHERE run_id=? AND source_id=?",
            (status, note, *(counts.get(c, 0) for c in COUNT_COLUMNS), run_id, source_id),
        )

    # -- captures and url state --------------------------------------------

    def successful_fingerprints(self, run_id: str) -> dict[str, int]:
        """Fingerprint → capture id of every fetch of this run that need not be repeated."""
        rows = self.db.execute(
            "SELECT fingerprint, MAX(id) AS id FROM captures WHERE run_id=?"
            " AND fingerprint IS NOT NULL AND change NOT IN ('failed', 'blocked')"
            " GROUP BY fingerprint",
            (run_id,),
        )
        return {row["fingerprint"]: row["id"] for row in rows}

    def capture(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM captures WHERE id=?", (capture_id,)
        ).fetchone()
        return row

    def url_state(self, url: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM url_state WHERE url=?", (url,)
        ).fetchone()
        return row

    def known_urls(self, source_id: str, *, before_run: str) -> set[str]:
        """URLs of a source first seen before ``before_run`` (the stop rule's 'known')."""
        rows = self.db.execute(
            "SELECT url FROM url_state WHERE source_id=? AND first_run<>?",
            (source_id, before_run),
        )
        return {row["url"] for row in rows}

    def documents(self, source_id: str) -> list[sqlite3.Row]:
        """Every report page and attachment of a source (re-checked each run)."""
        placeholders = ",".join("?" for _ in DOCUMENT_KINDS)
        return self.db.execute(
            f"SELECT * FROM url_state WHERE source_id=? AND kind IN ({placeholders})"
            " ORDER BY first_seen, url",
            (source_id, *DOCUMENT_KINDS),
        ).fetchall()

    def discover(
        self,
        url: str,
        *,
        run_id: str,
        source_id: str,
        kind: str,
        parent_url: str | None = None,
        title: str | None = None,
    ) -> bool:
        """Note a URL as known to the archive; True when it is new."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO url_state (url, source_id, kind, parent_url, title,"
            " first_seen, first_run) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (url, source_id, kind, parent_url, title, utcnow(), run_id),
        )
        return cursor.rowcount == 1

    def record_capture(self, capture: Capture) -> tuple[int, str]:
        """Insert a capture, update the URL's state; return (capture id, change)."""
        now = capture.fetched_at or utcnow()
        state = self.url_state(capture.url)
        change = classify_change(capture, state)
        headers = capture.headers or {}
        cursor = self.db.execute(
            "INSERT INTO captures (run_id, source_id, url, final_url, method, fingerprint,"
            " status, headers, fetched_at, sha256, size, content_type, declared_encoding,"
            " used_encoding, kind, parent_url, title, filename, redirect_urls, change, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                capture.run_id,
                capture.source_id,
                capture.url,
                capture.final_url,
                capture.method,
                capture.fingerprint,
                capture.status,
                json.dumps(headers, ensure_ascii=False),
                now,
                capture.sha256,
                capture.size,
                capture.content_type,
                capture.declared_encoding,
                capture.used_encoding,
                capture.kind,
                capture.parent_url,
                capture.title,
                capture.filename,
                json.dumps(capture.redirect_urls) if capture.redirect_urls else None,
                change,
                capture.error,
            ),
        )
        capture_id = int(cursor.lastrowid or 0)
        if capture.method == "GET":
            self._update_state(capture, state, change, now)
        return capture_id, change

    def _update_state(
        self, capture: Capture, state: sqlite3.Row | None, change: str, now: str
    ) -> None:
        if state is None:
            self.discover(
                capture.url,
                run_id=capture.run_id,
                source_id=capture.source_id or "",
                kind=capture.kind or "other",
                parent_url=capture.parent_url,
            )
        if change in ("failed", "blocked"):
            self.db.execute(
                "UPDATE url_state SET last_error=? WHERE url=?", (capture.error, capture.url)
            )
            return
        if change == "gone":
            self.db.execute(
                "UPDATE url_state SET status=?, last_seen=?, gone_since=COALESCE(gone_since, ?),"
                " last_error=NULL WHERE url=?",
                (capture.status, now, now, capture.url),
            )
            return
        if change == "not_modified":
            self.db.execute(
                "UPDATE url_state SET last_seen=?, gone_since=NULL, last_error=NULL WHERE url=?",
                (now, capture.url),
            )
            return
        headers = {k.lower(): v for k, v in (capture.headers or {}).items()}
        etag = first(headers.get("etag"))
        last_modified = first(headers.get("last-modified"))
        versions = 1 if change in ("new", "changed") else 0
        self.db.execute(
            "UPDATE url_state SET etag=?, last_modified=?, sha256=COALESCE(?, sha256), status=?,"
            " final_url=COALESCE(?, final_url),"
            " last_seen=?, last_changed=CASE WHEN ? THEN ? ELSE last_changed END,"
            " gone_since=NULL, versions=versions+?, last_error=NULL,"
            " title=COALESCE(?, title), kind=COALESCE(?, kind) WHERE url=?",
            (
                etag,
                last_modified,
                capture.sha256,
                capture.status,
                capture.final_url if capture.final_url != capture.url else None,
                now,
                versions,
                now,
                versions,
                capture.title,
                capture.kind,
                capture.url,
            ),
        )

    def set_capture_details(
        self, capture_id: int, *, title: str | None, kind: str | None, url: str
    ) -> None:
        """What the spider learnt from the body (its title, whether it is a report)."""
        self.db.execute(
            "UPDATE captures SET title=COALESCE(?, title), kind=COALESCE(?, kind) WHERE id=?",
            (title, kind, capture_id),
        )
        self.db.execute(
            "UPDATE url_state SET title=COALESCE(?, title), kind=COALESCE(?, kind) WHERE url=?",
            (title, kind, url),
        )

    def mark_gone(self, url: str, when: str | None = None) -> bool:
        """Mark a known URL gone (True if it was not gone already)."""
        cursor = self.db.execute(
            "UPDATE url_state SET gone_since=? WHERE url=? AND gone_since IS NULL",
            (when or utcnow(), url),
        )
        return cursor.rowcount == 1

    # -- listings, blocks, walks --------------------------------------------

    def record_listing(
        self,
        *,
        run_id: str,
        source_id: str,
        url: str,
        list_url: str | None,
        title: str | None,
        published: str | None,
    ) -> None:
        now = utcnow()
        self.db.execute(
            "INSERT INTO listings (source_id, url, list_url, title, published, first_seen,"
            " last_seen, last_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source_id, url) DO UPDATE SET last_seen=excluded.last_seen,"
            " last_run=excluded.last_run, title=COALESCE(excluded.title, title),"
            " published=COALESCE(excluded.published, published)",
            (source_id, url, list_url, title, published, now, now, run_id),
        )

    def record_block(
        self,
        *,
        run_id: str,
        source_id: str | None,
        host: str,
        url: str | None,
        status: int | None,
        reason: str,
        sha256: str | None = None,
        headers: dict[str, list[str]] | None = None,
        snippet: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO blocks (run_id, source_id, host, url, status, reason, sha256, headers,"
            " snippet, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                source_id,
                host,
                url,
                status,
                reason,
                sha256,
                json.dumps(headers or {}, ensure_ascii=False),
                snippet,
                utcnow(),
            ),
        )

    def blocks(self, run_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM blocks WHERE run_id=? ORDER BY id", (run_id,)
        ).fetchall()

    def walk_complete(self, source_id: str) -> bool:
        row = self.db.execute(
            "SELECT walk_complete_run FROM source_state WHERE source_id=?", (source_id,)
        ).fetchone()
        return bool(row and row["walk_complete_run"])

    def set_walk_complete(self, source_id: str, run_id: str) -> None:
        self.db.execute(
            "INSERT INTO source_state (source_id, walk_complete_run, walk_complete_at)"
            " VALUES (?, ?, ?) ON CONFLICT (source_id) DO UPDATE SET"
            " walk_complete_run=excluded.walk_complete_run,"
            " walk_complete_at=excluded.walk_complete_at",
            (source_id, run_id, utcnow()),
        )

    # -- per-run accounting, from the rows themselves ----------------------

    def source_counts(self, run_id: str, source_id: str) -> dict[str, int]:
        """The run's counts for one source, computed from its captures.

        A URL counts once per run whatever the retries: its last capture in the run
        decides. ``errors`` are URLs whose last fetch in this run failed.
        """
        rows = self.db.execute(
            "SELECT c.url, c.kind, c.change FROM captures c JOIN ("
            "  SELECT url, method, MAX(id) AS id FROM captures"
            "  WHERE run_id=? AND source_id=? AND kind<>'robots' GROUP BY url, method, fingerprint"
            ") last ON c.id = last.id",
            (run_id, source_id),
        ).fetchall()
        counts = dict.fromkeys(COUNT_COLUMNS, 0)
        for row in rows:
            change, kind = row["change"], row["kind"]
            if change == "failed":
                counts["errors"] += 1
            elif change == "blocked":
                counts["blocked"] += 1
            elif kind == "list":
                counts["lists_fetched"] += 1
            elif change == "gone":
                counts["gone"] += 1
            elif change == "new":
                counts["new"] += 1
            elif change == "changed":
                counts["changed"] += 1
            elif change in ("unchanged", "not_modified"):
                counts["unchanged"] += 1
        blocked_hosts = self.db.execute(
            "SELECT COUNT(DISTINCT host) FROM blocks WHERE run_id=? AND source_id=?",
            (run_id, source_id),
        ).fetchone()[0]
        counts["blocked"] = max(counts["blocked"], int(blocked_hosts))
        return counts

    def failed_lists(self, run_id: str, source_id: str) -> list[tuple[str, str]]:
        """(URL, error) of list pages whose last fetch in this run failed."""
        rows = self.db.execute(
            "SELECT c.url, c.error, c.status FROM captures c JOIN (SELECT MAX(id) AS id"
            " FROM captures WHERE run_id=? AND source_id=? AND kind='list' GROUP BY fingerprint)"
            " last ON c.id=last.id WHERE c.change IN ('failed', 'blocked')",
            (run_id, source_id),
        ).fetchall()
        return [(row["url"], row["error"] or f"HTTP {row['status']}") for row in rows]

    def captures_of_run(self, run_id: str) -> Iterator[sqlite3.Row]:
        yield from self.db.execute("SELECT * FROM captures WHERE run_id=? ORDER BY id", (run_id,))


def first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def classify_change(capture: Capture, state: sqlite3.Row | None) -> str:
    """What a fetch means for its URL, given the URL's previous state."""
    if capture.error:
        return "blocked" if capture.error.startswith("blocked") else "failed"
    status = capture.status or 0
    if status == 304:
        return "not_modified"
    if status in (404, 410) or (capture.kind != "robots" and status >= 400):
        if status in (404, 410) and state is not None and state["sha256"]:
            return "gone"
        return "failed"
    if state is None or not state["sha256"]:
        return "new"
    return "unchanged" if state["sha256"] == capture.sha256 else "changed"
