"""The build's own state, ``<data>/build-state.db``: the parse cache.

A document is parsed once per (SHA-256 of its bytes, ``parsers.PARSER_VERSION``):
the result — the report record as JSON, or the error — is kept here, so a
rebuild re-parses only documents whose bytes are new or whose parser changed.
Beside the record it keeps a short summary (for choosing among a report's
documents) and the report's prepared rows (``archive.rows.prepare``, and the
section rows with their search text apart, ``prepare_sections``), so a build
does not decode and re-cut every record each time.
Failures are cached too (a parser is deterministic), except when the bytes
could not be read at all. ``page_dates`` keeps the publication date each
report page states (``archive.across.deadlines``), read once per page. The published ``archive.db`` never holds this state:
it is rebuilt from the cache, the raw store and the ledger on every build.
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
    summary TEXT,                    -- JSON: what choosing a report's document needs
    prepared BLOB,                   -- archive.rows.Prepared: the report's rows, context-free
    prepared_sections BLOB,          -- archive.rows.prepare_sections: sections + bigram text
    prepared_version TEXT,
    seconds REAL,
    parsed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (sha256, parser_version)
);
CREATE TABLE IF NOT EXISTS page_dates (
    sha256 TEXT PRIMARY KEY,         -- a report page's bytes
    published TEXT,                  -- the date the page states (ISO), NULL when none
    how TEXT                         -- meta | text (archive.across.deadlines)
);
"""


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
    """The parse cache in ``<data>/build-state.db`` (WAL: a killed build keeps what it parsed)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(parse_cache)")}
        for column, type_ in (
            ("summary", "TEXT"),
            ("prepared", "BLOB"),
            ("prepared_version", "TEXT"),
            ("prepared_sections", "BLOB"),
        ):
            if column not in columns:  # a cache written by an older build
                self.conn.execute(f"ALTER TABLE parse_cache ADD COLUMN {column} {type_}")

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
        rows = [
            (
                r.sha256,
                r.parser_version,
                r.status,
                r.format,
                r.error_type,
                r.error,
                encode_report(r.report) if r.report is not None else None,
                json.dumps(summarize(r.report), ensure_ascii=False) if r.report else None,
                *(_preparation(r.report) if r.report is not None else (None, None)),
                PREPARED_VERSION,
                r.seconds,
            )
            for r in results
        ]
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO parse_cache (sha256, parser_version, status, format,"
                " error_type, error, report, summary, prepared, prepared_sections,"
                " prepared_version, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def outcomes(self, parser_version: str) -> dict[str, Outcome]:
        """Per cached digest: status, format, error and the summary (no report JSON)."""
        rows = self.conn.execute(
            "SELECT sha256, status, format, error_type, error, summary FROM parse_cache"
            " WHERE parser_version = ?",
            (parser_version,),
        )
        return {
            sha: Outcome(status, fmt, error_type, error, json.loads(summary) if summary else None)
            for sha, status, fmt, error_type, error, summary in rows
        }

    def prepared(
        self, digests: Iterable[str], parser_version: str
    ) -> Iterator[tuple[str, Prepared, bytes]]:
        """Per parsed digest, in the order given: its prepared rows and its sections' blob.

        The sections stay encoded (``rows.load_sections`` reads them): the build
        hands them to its search process as they are. Preparations of an older
        ``PREPARED_VERSION`` are redone from the cached record and stored again.
        """
        digests = list(digests)
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # The report JSON (the largest column) is read only for outdated preparations.
            rows = self.conn.execute(
                "SELECT sha256, prepared, prepared_sections, prepared_version FROM parse_cache"
                f" WHERE parser_version = ? AND status = 'parsed' AND sha256 IN ({marks})",
                (parser_version, *chunk),
            ).fetchall()
            by_sha = {row[0]: row for row in rows}
            redone = []
            for sha in chunk:
                if sha not in by_sha:
                    continue
                _, blob, sections, version = by_sha[sha]
                if blob is None or sections is None or version != PREPARED_VERSION:
                    report = self.conn.execute(
                        "SELECT report FROM parse_cache WHERE sha256 = ? AND parser_version = ?",
                        (sha, parser_version),
                    ).fetchone()[0]
                    if report is None:
                        continue
                    blob, sections = _preparation(decode_report(report))
                    redone.append((blob, sections, PREPARED_VERSION, sha, parser_version))
                yield sha, Prepared.load(blob), sections
            if redone:
                with self.conn:
                    self.conn.executemany(
                        "UPDATE parse_cache SET prepared = ?, prepared_sections = ?,"
                        " prepared_version = ? WHERE sha256 = ? AND parser_version = ?",
                        redone,
                    )

    def readings(
        self, digests: Iterable[str], parser_version: str
    ) -> Iterator[tuple[str, Prepared, list[SectionRow]]]:
        """Like ``prepared``, with the sections decoded (for comparing two versions)."""
        for sha, prepared, sections in self.prepared(digests, parser_version):
            yield sha, prepared, load_sections(sections)

    def page_dates(self) -> dict[str, tuple[str | None, str | None]]:
        """Every page's stated publication date and where it was found, by digest."""
        rows = self.conn.execute("SELECT sha256, published, how FROM page_dates")
        return {sha: (published, how) for sha, published, how in rows}

    def put_page_dates(self, rows: Iterable[tuple[str, str | None, str | None]]) -> None:
        """Store (digest, ISO date or None, how) for pages read."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO page_dates VALUES (?, ?, ?)", rows)


def _preparation(report: dict[str, Any]) -> tuple[bytes, bytes]:
    """A record's two cached parts: its prepared rows and its sections (encoded)."""
    return prepare(report).dump(), dump_sections(prepare_sections(report))


def encode_report(report: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(report, ensure_ascii=False).encode("utf-8"), 1)


def decode_report(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return data
