"""Capture rows from every worker, merged into the one ledger.

A worker crawls on its own copy of ``crawl.db`` (a snapshot taken when the run
started: it answers "is this URL known?", "what were its validators?"). Every
write it makes there — captures, discovered URLs, list entries, blocks, titles,
gone URLs — is also appended, as JSON, to the run's journal in Redis, in the
order it happened across all workers (``JournalLedger``). The journal survives
the worker: a killed worker loses nothing it had written.

``merge_journal`` replays the journal into ``<data>/crawl.db`` through the
ledger's own methods, so the classification of each fetch (new, changed,
unchanged, …) and the URL state come out exactly as on one machine. A request
processed twice (its worker died after fetching it) keeps its first successful
capture only. Each batch is one SQLite transaction that also stores how far
the journal is merged, so a merge can be interrupted and run again.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

from archive.ledger import Capture, Ledger, utcnow
from crawler.distributed.keys import RunKeys

MERGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS cluster_merges (
    run_id TEXT PRIMARY KEY,
    merged INTEGER NOT NULL DEFAULT 0   -- journal entries already applied
);
CREATE TABLE IF NOT EXISTS cluster_capture_ids (
    run_id TEXT NOT NULL,
    worker TEXT NOT NULL,
    local_id INTEGER NOT NULL,
    capture_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, worker, local_id)
);
"""


class JournalLedger(Ledger):
    """A worker's ledger: its own SQLite copy, every write also journaled to Redis."""

    def __init__(self, path: Any, *, server: Any, keys: RunKeys, worker: str) -> None:
        super().__init__(path)
        self.server = server
        self.keys = keys
        self.worker = worker

    def journal(self, op: str, **fields: Any) -> None:
        entry = {"op": op, "worker": self.worker, **fields}
        self.server.rpush(self.keys.journal, json.dumps(entry, ensure_ascii=False))

    def record_capture(self, capture: Capture) -> tuple[int, str]:
        if capture.fetched_at is None:
            capture.fetched_at = utcnow()
        capture_id, change = super().record_capture(capture)
        self.journal("capture", local_id=capture_id, capture=dataclasses.asdict(capture))
        return capture_id, change

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
        new = super().discover(
            url, run_id=run_id, source_id=source_id, kind=kind, parent_url=parent_url, title=title
        )
        if new:
            self.journal(
                "discover",
                url=url,
                run_id=run_id,
                source_id=source_id,
                kind=kind,
                parent_url=parent_url,
                title=title,
            )
        return new

    def record_listing(self, **fields: Any) -> None:
        super().record_listing(**fields)
        self.journal("listing", fields=fields)

    def record_block(self, **fields: Any) -> None:
        super().record_block(**fields)
        self.journal("block", fields=fields)

    def set_capture_details(
        self, capture_id: int, *, title: str | None, kind: str | None, url: str
    ) -> None:
        super().set_capture_details(capture_id, title=title, kind=kind, url=url)
        self.journal("details", local_id=capture_id, title=title, kind=kind, url=url)

    def mark_gone(self, url: str, when: str | None = None) -> bool:
        when = when or utcnow()
        gone = super().mark_gone(url, when)
        self.journal("gone", url=url, when=when)
        return gone


@dataclasses.dataclass
class MergeResult:
    applied: int = 0
    captures: int = 0
    duplicates: int = 0
    problems: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    tally: Counter[str] = dataclasses.field(default_factory=Counter)


def merge_journal(server: Any, keys: RunKeys, ledger: Ledger, batch: int = 500) -> MergeResult:
    """Apply the run's journal entries not yet in ``ledger``; what was applied.

    Problems and tallies are read from the whole journal each time (they are not
    rows), so the result describes the run so far.
    """
    db = ledger.db
    db.executescript(MERGE_SCHEMA)
    run_id = keys.run_id
    db.execute("INSERT OR IGNORE INTO cluster_merges (run_id) VALUES (?)", (run_id,))
    result = MergeResult()
    done = int(
        db.execute("SELECT merged FROM cluster_merges WHERE run_id=?", (run_id,)).fetchone()[0]
    )
    for raw in server.lrange(keys.journal, 0, done - 1) if done else []:
        note_only(json.loads(raw), result)
    while True:
        entries = server.lrange(keys.journal, done, done + batch - 1)
        if not entries:
            return result
        db.execute("BEGIN IMMEDIATE")
        try:
            for raw in entries:
                apply_entry(ledger, run_id, json.loads(raw), result)
            done += len(entries)
            db.execute("UPDATE cluster_merges SET merged=? WHERE run_id=?", (done, run_id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        result.applied += len(entries)


def note_only(entry: dict[str, Any], result: MergeResult) -> None:
    """What a journal entry says about the run beyond rows: problems and tallies."""
    if entry["op"] == "problem":
        result.problems.setdefault(entry["source_id"], []).append(entry["text"])
    elif entry["op"] == "tally":
        result.tally.update(entry["tally"])


def apply_entry(ledger: Ledger, run_id: str, entry: dict[str, Any], result: MergeResult) -> None:
    """One journal entry into the ledger."""
    op, worker = entry["op"], entry["worker"]
    note_only(entry, result)
    db = ledger.db
    if op == "capture":
        capture = Capture(**entry["capture"])
        existing = None
        if capture.fingerprint:
            existing = db.execute(
                "SELECT MAX(id) FROM captures WHERE run_id=? AND fingerprint=?"
                " AND change NOT IN ('failed', 'blocked')",
                (run_id, capture.fingerprint),
            ).fetchone()[0]
        if existing is not None:
            capture_id = int(existing)  # fetched twice (a worker died): keep the first
            result.duplicates += 1
        else:
            capture_id, _change = ledger.record_capture(capture)
            result.captures += 1
        db.execute(
            "INSERT OR REPLACE INTO cluster_capture_ids VALUES (?, ?, ?, ?)",
            (run_id, worker, entry["local_id"], capture_id),
        )
    elif op == "details":
        row = db.execute(
            "SELECT capture_id FROM cluster_capture_ids WHERE run_id=? AND worker=? AND local_id=?",
            (run_id, worker, entry["local_id"]),
        ).fetchone()
        if row is not None:
            ledger.set_capture_details(
                int(row[0]), title=entry["title"], kind=entry["kind"], url=entry["url"]
            )
    elif op == "discover":
        ledger.discover(
            entry["url"],
            run_id=entry["run_id"],
            source_id=entry["source_id"],
            kind=entry["kind"],
            parent_url=entry["parent_url"],
            title=entry["title"],
        )
    elif op == "listing":
        ledger.record_listing(**entry["fields"])
    elif op == "block":
        fields = entry["fields"]
        seen = db.execute(
            "SELECT 1 FROM blocks WHERE run_id=? AND host=?", (fields["run_id"], fields["host"])
        ).fetchone()
        if seen is None:  # two workers may both have seen the challenge
            ledger.record_block(**fields)
    elif op == "gone":
        ledger.mark_gone(entry["url"], entry["when"])
    elif op not in ("problem", "tally"):
        raise ValueError(f"unknown journal entry {op!r} (journal written by a newer version?)")
