"""The build's own state, ``<data>/build-state.db``: the parse cache.

A document is parsed once per (SHA-256 of its bytes, ``parsers.PARSER_VERSION``):
the result — the report record as JSON, or the error — is kept in
``parse_cache``, so a rebuild re-parses only documents whose bytes are new or
whose parser changed. Failures are cached too (a parser is deterministic),
except when the bytes could not be read at all.

Beside each parsed record, ``preparations`` keeps what a build reads of it: a
short summary (for choosing among a report's documents), the report's prepared
rows (``archive.rows.prepare``: the build process reads them) and its section
rows with their search text (``prepare_sections``: the search process reads
them). They sit in their own table, small columns first, so that reading them
never walks the record's overflow pages, and each of the build's two
processes reads only its own column. Preparations of an older
``rows.PREPARED_VERSION`` (or missing ones) are redone from the record when
the outcomes are read, before a build starts writing.

``compositions`` remembers the document composed of a report's page images
(``archive.page_images``), so that a rebuild neither reads nor encodes them
again. ``page_dates`` keeps the publication date each report page states
(``archive.across.deadlines``), read once per page. The published
``archive.db`` never holds this state: it is rebuilt from the cache, the raw
store and the ledger on every build.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.rows import (
    PREPARED_VERSION,
    Prepared,
    SectionRow,
    dump_sections,
    load_sections,
    prepare,
    prepare_sections,
)

STATE_NAME = "build-state.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parse_cache (
    sha256 TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    status TEXT NOT NULL,            -- parsed | failed
    format TEXT,
    error_type TEXT,
    error TEXT,
    report BLOB,                     -- zlib-compressed Report.to_json()
    summary TEXT,                    -- before ``preparations``: see _LEGACY_COLUMNS
    prepared BLOB,
    prepared_sections BLOB,
    prepared_version TEXT,
    seconds REAL,
    parsed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (sha256, parser_version)
);
CREATE TABLE IF NOT EXISTS preparations (
    sha256 TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    prepared_version TEXT NOT NULL,  -- archive.rows.PREPARED_VERSION
    summary TEXT NOT NULL,           -- JSON: what choosing a report's document needs
    prepared BLOB NOT NULL,          -- archive.rows.Prepared: the report's rows, context-free
    sections BLOB NOT NULL,          -- archive.rows.dump_sections: sections + bigram text
    PRIMARY KEY (sha256, parser_version)
);
-- What a build reads of every document before it writes (``outcomes``), without
-- reading the rows themselves: each row is mostly a blob, so a scan of either table
-- reads gigabytes at 700k documents where these indexes are tens of megabytes.
CREATE INDEX IF NOT EXISTS parse_cache_outcome ON parse_cache (parser_version, status, sha256, format);
CREATE INDEX IF NOT EXISTS preparations_summary
    ON preparations (parser_version, sha256, prepared_version, summary);
CREATE TABLE IF NOT EXISTS compositions (
    members TEXT PRIMARY KEY,        -- page images' digests in page order, comma-separated
    sha256 TEXT NOT NULL             -- the document composed of them (archive.page_images)
);
CREATE TABLE IF NOT EXISTS page_dates (
    sha256 TEXT PRIMARY KEY,         -- a report page's bytes
    published TEXT,                  -- the date the page states (ISO), NULL when none
    how TEXT                         -- meta | text (archive.across.deadlines)
);
"""

# Columns of ``parse_cache`` that held the preparation before it had its own table
# (a cache written by an older build is moved over once: ``_move_legacy_preparations``).
_LEGACY_COLUMNS = (
    ("summary", "TEXT"),
    ("prepared", "BLOB"),
    ("prepared_version", "TEXT"),
    ("prepared_sections", "BLOB"),
)


@dataclass
class ParseResult:
    """What parsing one document gave: a report record (JSON shape) or an error."""

    sha256: str
    parser_version: str
    status: str  # "parsed" or "failed"
    format: str | None = None
    error_type: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None
    seconds: float | None = None


@dataclass
class Outcome:
    """A cached result without its report: enough to list and choose documents."""

    status: str
    format: str | None
    error_type: str | None
    error: str | None
    summary: dict[str, Any] | None


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The few facts about a parsed report that choosing and listing documents need."""
    cells = report.get("cells") or []
    return {
        "title": report.get("title"),
        "organization": report.get("organization"),
        "year": report.get("year"),
        "template": report.get("template"),
        "format": report.get("format"),
        "cells": len(cells),
        "filled": sum(1 for c in cells if c.get("value") is not None),
        "tables": len({c.get("table") for c in cells}),
        "sections": sum(1 for t in (report.get("section_texts") or {}).values() if t),
        "checks_failing": len(report.get("checks_failing") or []),
        "warnings": len(report.get("warnings") or []),
    }


class BuildState:
    """The parse cache in ``<data>/build-state.db`` (WAL: a killed build keeps what it parsed).

    ``BuildState(path, create=False)`` opens an existing cache to read only (the
    build's search process reads its sections through one).
    """

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not create:
            self.conn = sqlite3.connect(self.path, timeout=30)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        tables = {name for (name,) in self.conn.execute("SELECT name FROM sqlite_master")}
        self.conn.executescript(_SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(parse_cache)")}
        for column, type_ in _LEGACY_COLUMNS:
            if column not in columns:  # a cache written by a much older build
                self.conn.execute(f"ALTER TABLE parse_cache ADD COLUMN {column} {type_}")
        if "parse_cache" in tables and "preparations" not in tables:
            self._move_legacy_preparations()

    def _move_legacy_preparations(self) -> None:
        """Preparations kept in ``parse_cache`` by an older build, into ``preparations``.

        Once, when the table is new. The old columns are cleared; the space they
        took is reused by later results.
        """
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO preparations SELECT sha256, parser_version,"
                " prepared_version, summary, prepared, prepared_sections FROM parse_cache"
                " WHERE status = 'parsed' AND prepared_version IS NOT NULL"
                " AND summary IS NOT NULL AND prepared IS NOT NULL"
                " AND prepared_sections IS NOT NULL"
            )
            self.conn.execute(
                "UPDATE parse_cache SET summary = NULL, prepared = NULL,"
                " prepared_sections = NULL, prepared_version = NULL"
                " WHERE prepared_version IS NOT NULL"
            )

    @classmethod
    def open(cls, data_dir: str | Path) -> BuildState:
        return cls(Path(data_dir) / STATE_NAME)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> BuildState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cached(self, parser_version: str) -> set[str]:
        """Digests that already have a result for this parser version."""
        rows = self.conn.execute(
            "SELECT sha256 FROM parse_cache WHERE parser_version = ?", (parser_version,)
        )
        return {sha for (sha,) in rows}

    def put(self, results: Iterable[ParseResult]) -> None:
        """Store results (replacing any for the same digest and version) in one transaction."""
        results = list(results)
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO parse_cache (sha256, parser_version, status, format,"
                " error_type, error, report, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.sha256,
                        r.parser_version,
                        r.status,
                        r.format,
                        r.error_type,
                        r.error,
                        encode_report(r.report) if r.report is not None else None,
                        r.seconds,
                    )
                    for r in results
                ],
            )
            self.conn.executemany(
                "DELETE FROM preparations WHERE sha256 = ? AND parser_version = ?",
                [(r.sha256, r.parser_version) for r in results if r.report is None],
            )
            self._put_preparations(
                (r.sha256, r.parser_version, r.report) for r in results if r.report is not None
            )

    def put_encoded(
        self, rows: Iterable[tuple[str, str, str | None, bytes, str, bytes, bytes]]
    ) -> None:
        """Store parsed results already encoded: (digest, parser version, format, report
        blob, summary JSON, prepared rows, sections), the current ``PREPARED_VERSION``."""
        rows = list(rows)
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO parse_cache (sha256, parser_version, status, format,"
                " report) VALUES (?, ?, 'parsed', ?, ?)",
                [row[:4] for row in rows],
            )
            self.conn.executemany(
                _PUT_PREPARATION,
                [
                    (sha, version, PREPARED_VERSION, summary, prepared, sections)
                    for sha, version, _, _, summary, prepared, sections in rows
                ],
            )

    def _put_preparations(self, records: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        self.conn.executemany(
            _PUT_PREPARATION,
            [
                (
                    sha,
                    version,
                    PREPARED_VERSION,
                    json.dumps(summarize(report), ensure_ascii=False),
                    *_preparation(report),
                )
                for sha, version, report in records
            ],
        )

    def outcomes(self, parser_version: str) -> dict[str, Outcome]:
        """Per cached digest: status, format, error and the summary (no report JSON).

        Parsed documents whose preparation is missing or of an older
        ``PREPARED_VERSION`` are prepared again from their cached record first,
        so that every preparation a build reads is current.
        """
        prepared = {
            sha: (summary, version)
            for sha, summary, version in self.conn.execute(
                "SELECT sha256, summary, prepared_version FROM preparations"
                " WHERE parser_version = ?",
                (parser_version,),
            )
        }
        out: dict[str, Outcome] = {}
        stale: list[str] = []
        for sha, fmt in self.conn.execute(
            "SELECT sha256, format FROM parse_cache WHERE parser_version = ? AND status = 'parsed'",
            (parser_version,),
        ):
            summary, version = prepared.get(sha, (None, None))
            if version != PREPARED_VERSION:
                stale.append(sha)
            out[sha] = Outcome("parsed", fmt, None, None, json.loads(summary) if summary else None)
        for sha, status, fmt, error_type, error in self.conn.execute(
            "SELECT sha256, status, format, error_type, error FROM parse_cache"
            " WHERE parser_version = ? AND status != 'parsed'",
            (parser_version,),
        ):
            out[sha] = Outcome(status, fmt, error_type, error, None)
        for sha, summary in self._prepare_again(stale, parser_version):
            out[sha].summary = summary
        return out

    def _prepare_again(
        self, digests: list[str], parser_version: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Redo the preparations of ``digests`` from their records; yields their summaries."""
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            records = [
                (sha, parser_version, decode_report(blob))
                for sha, blob in self.conn.execute(
                    f"SELECT sha256, report FROM parse_cache WHERE parser_version = ?"
                    f" AND status = 'parsed' AND report IS NOT NULL AND sha256 IN ({marks})",
                    (parser_version, *chunk),
                )
            ]
            with self.conn:
                self._put_preparations(records)
            for sha, _, report in records:
                yield sha, summarize(report)

    def prepared(
        self, digests: Iterable[str], parser_version: str
    ) -> Iterator[tuple[str, Prepared]]:
        """Per digest with a preparation, in the order given: its prepared rows."""
        for sha, blob in self._read("prepared", digests, parser_version):
            yield sha, Prepared.load(blob)

    def sections(self, digests: Iterable[str], parser_version: str) -> Iterator[tuple[str, bytes]]:
        """Per digest with a preparation, in the order given: its sections as stored
        (``rows.dump_sections``; ``rows.unpack_sections`` and ``read_stored`` read them)."""
        return self._read("sections", digests, parser_version)

    def readings(
        self, digests: Iterable[str], parser_version: str
    ) -> Iterator[tuple[str, Prepared, list[SectionRow]]]:
        """Prepared rows and decoded sections together (for comparing two versions)."""
        digests = list(digests)
        sections = dict(self.sections(digests, parser_version))
        for sha, prepared in self.prepared(digests, parser_version):
            yield sha, prepared, load_sections(sections[sha])

    def _read(
        self, column: str, digests: Iterable[str], parser_version: str
    ) -> Iterator[tuple[str, bytes]]:
        digests = list(digests)
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = dict(
                self.conn.execute(
                    f"SELECT sha256, {column} FROM preparations"
                    f" WHERE parser_version = ? AND sha256 IN ({marks})",
                    (parser_version, *chunk),
                )
            )
            for sha in chunk:
                if sha in found:
                    yield sha, found[sha]

    def compositions(self) -> dict[str, str]:
        """Every composed document's digest, by its members' digests (comma-separated)."""
        return dict(self.conn.execute("SELECT members, sha256 FROM compositions"))

    def put_compositions(self, rows: Iterable[tuple[str, str]]) -> None:
        """Store (members, composed digest) pairs."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO compositions VALUES (?, ?)", rows)

    def page_dates(self) -> dict[str, tuple[str | None, str | None]]:
        """Every page's stated publication date and where it was found, by digest."""
        rows = self.conn.execute("SELECT sha256, published, how FROM page_dates")
        return {sha: (published, how) for sha, published, how in rows}

    def put_page_dates(self, rows: Iterable[tuple[str, str | None, str | None]]) -> None:
        """Store (digest, ISO date or None, how) for pages read."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO page_dates VALUES (?, ?, ?)", rows)


_PUT_PREPARATION = (
    "INSERT OR REPLACE INTO preparations (sha256, parser_version, prepared_version, summary,"
    " prepared, sections) VALUES (?, ?, ?, ?, ?, ?)"
)


def _preparation(report: dict[str, Any]) -> tuple[bytes, bytes]:
    """A record's two cached parts: its prepared rows and its sections (encoded)."""
    return prepare(report).dump(), dump_sections(prepare_sections(report))


def encode_report(report: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(report, ensure_ascii=False).encode("utf-8"), 1)


def decode_report(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return data
