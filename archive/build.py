"""``xxgk build``: every archived document → the published SQLite database.

Steps:

1. **Collect** documents: each capture of a report page or attachment in the
   crawler's ledger (``<data>/crawl.db``) whose body is in the raw store, plus
   every file of ``--from-dir`` folders (copied into the raw store first). One
   document per SHA-256; its first capture gives the URL, headers and page title.
2. **Parse** the documents the parse cache (``build_state.py``) has no result
   for under the current ``parsers.PARSER_VERSION``. A document that fails is
   recorded with its error, never dropped.
3. **Choose**: documents are grouped by body and year (one report each); the
   best-parsed document of a group (most tables, fewest failing checks, most
   filled cells and sections) gives the report's numbers, the others stay listed.
4. **Write** ``<data>/archive.db.new`` from scratch on two processes (``ArchiveWriter``:
   this one writes most tables, their indexes, summaries and the across-report
   stage, ``archive/across``; ``search_writer`` the sections and the bigram FTS,
   reading them from the parse cache itself), then **publish** it atomically
   (``publish.py``).

The published file is rebuilt from the cache every time, so it never holds
state of its own; only parsing is incremental.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive import across, page_images, schema, search_writer
from archive.bodies import (
    UNKNOWN_BODY,
    body_id,
    level_from_name,
    normalize_name,
    province_for,
)
from archive.build_state import BuildState, Outcome, ParseResult
from archive.ledger import DOCUMENT_KINDS
from archive.phase_clock import PhaseClock, Phases, timed
from archive.regions import province_from_code
from archive.rows import Prepared, Provenance, ReportContext, assemble
from archive.store import RawStore
from archive.table_copy import copy_tables

# Which format's reading is preferred when two documents of a report parse equally well.
FORMAT_RANK = {
    "html": 5,
    "docx": 5,
    "xlsx": 5,
    "text": 4,
    "doc": 4,
    "wps": 4,
    "xls": 4,
    "pdf": 3,
    "image": 1,
}


class BuildError(Exception):
    """The build could not produce a database; the published one is untouched."""


@dataclass
class SourceDocument:
    """One document to archive: its bytes' digest and where it came from."""

    sha256: str
    size: int | None = None
    content_type: str | None = None
    name: str | None = None
    url: str | None = None
    page_url: str | None = None
    page_title: str | None = None
    source_id: str | None = None
    fetched_at: str | None = None
    kind: str | None = None
    captures: int = 0
    raw_headers: str | None = None  # the ledger's JSON, read when the document is parsed

    @property
    def headers(self) -> dict[str, str]:
        return _flat_headers(self.raw_headers)


@dataclass(frozen=True)
class Source:
    """What the build needs of a portal's source entry."""

    id: str
    name: str
    level: str | None = None
    division_code: str | None = None
    start_url: str | None = None
    family: str | None = None


@dataclass
class BuildStats:
    documents: int = 0
    parsed_now: int = 0
    parse_failed: int = 0
    parse_seconds: float = 0.0
    reports: int = 0
    bodies: int = 0
    failed_documents: int = 0
    write_seconds: float = 0.0
    publish_seconds: float = 0.0
    phases: Phases = field(default_factory=dict)

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.write_seconds if self.write_seconds else 0.0


# --- collecting documents -------------------------------------------------------------


def _flat_headers(raw: Any) -> dict[str, str]:
    """Ledger headers (JSON: name → value or list of values) as name → value."""
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    out: dict[str, str] = {}
    for name, value in dict(data).items():
        out[str(name)] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


@dataclass(frozen=True)
class LedgerSnapshot:
    """The crawler's ledger as the build reads it: captures up to ``last_capture`` (by id),
    so that documents and the captures copied beside them agree while a crawl goes on."""

    path: Path
    last_capture: int


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the ledger (a crawl may be writing it)."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)


def open_ledger(data_dir: Path) -> LedgerSnapshot | None:
    """``<data>/crawl.db`` and its last capture now; None without a ledger or captures."""
    path = data_dir / "crawl.db"
    if not path.exists():
        return None
    conn = _open_read_only(path)
    try:
        last = conn.execute("SELECT max(id) FROM captures").fetchone()[0]
    finally:
        conn.close()
    return None if last is None else LedgerSnapshot(path, int(last))


# A ledger's successful report and attachment captures, oldest first (by time, then
# id). A table scan: the sha256 index would cost a random lookup per capture.
_LEDGER_DOCUMENTS_SQL = f"""
SELECT sha256, size, content_type, filename, coalesce(nullif(final_url, ''), url), kind,
       parent_url, title, source_id, fetched_at, headers
FROM captures NOT INDEXED
WHERE id <= :last AND sha256 IS NOT NULL AND sha256 != ''
  AND kind IN ({", ".join(f"'{kind}'" for kind in sorted(DOCUMENT_KINDS))})
  AND (status IS NULL OR status BETWEEN 200 AND 299)
ORDER BY fetched_at, id
"""

# The title of each page an attachment hangs from: the first capture (by time, then
# id) of that URL, or redirected to it, that has one.
_PAGE_TITLES_SQL = """
WITH pages AS (
  SELECT DISTINCT parent_url AS url FROM captures
  WHERE id <= :last AND kind = 'attachment' AND parent_url IS NOT NULL
)
SELECT url, final_url, title FROM captures
WHERE id <= :last AND title IS NOT NULL AND title != ''
  AND (url IN pages OR final_url IN pages)
ORDER BY fetched_at, id
"""


def ledger_documents(ledger: LedgerSnapshot) -> list[SourceDocument]:
    """One document per digest among the ledger's successful report/attachment captures.

    Its first capture gives the URL, headers and title (an attachment's: its
    page's). Rows are read as tuples, the headers' JSON only when the document
    is parsed.
    """
    conn = _open_read_only(ledger.path)
    try:
        args = {"last": ledger.last_capture}
        page_titles: dict[str, str] = {}
        for url, final_url, title in conn.execute(_PAGE_TITLES_SQL, args):
            for page in (url, final_url):
                if page and page not in page_titles:
                    page_titles[page] = title
        docs: dict[str, SourceDocument] = {}
        for row in conn.execute(_LEDGER_DOCUMENTS_SQL, args):
            sha, size, ctype, name, url, kind, parent, title, source, fetched, headers = row
            doc = docs.get(sha)
            if doc is not None:
                doc.captures += 1
                continue
            is_page = kind == "report"
            docs[sha] = SourceDocument(
                sha256=sha,
                size=size,
                content_type=ctype,
                name=name,
                url=url,
                page_url=url if is_page else parent,
                page_title=title if is_page else page_titles.get(parent or ""),
                source_id=source,
                fetched_at=fetched,
                kind=kind,
                captures=1,
                raw_headers=headers,
            )
        return list(docs.values())
    finally:
        conn.close()


def documents_from_dir(directory: Path, store: RawStore) -> list[SourceDocument]:
    """Every regular file under ``directory`` as a document (copied into the raw store)."""
    if not directory.is_dir():
        raise BuildError(f"--from-dir {directory}: not a directory")
    docs = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        data = path.read_bytes()
        sha = store.put(data)
        docs.append(
            SourceDocument(sha256=sha, size=len(data), name=str(path.relative_to(directory)))
        )
    return docs


def merge_documents(*groups: Iterable[SourceDocument]) -> list[SourceDocument]:
    """Documents by digest, the first seen winning (ledger before folders)."""
    merged: dict[str, SourceDocument] = {}
    for group in groups:
        for doc in group:
            if doc.sha256 in merged:
                merged[doc.sha256].captures += doc.captures
                merged[doc.sha256].name = merged[doc.sha256].name or doc.name
            else:
                merged[doc.sha256] = doc
    return list(merged.values())


def load_sources(directory: Path | None = None) -> dict[str, Source]:
    """The portals declared in ``crawler/sources/*.yml`` (or ``directory``), via ``crawler.registry``."""
    try:
        from crawler.registry import SourceError
        from crawler.registry import load_sources as registry_sources
    except ImportError:  # pragma: no cover - the registry ships with the crawler
        return {}
    try:
        registered = registry_sources(directory)
    except SourceError as exc:
        raise BuildError(f"the source registry has bad entries:\n{exc}") from exc
    out = {}
    for source_id, src in registered.items():
        out[source_id] = Source(
            id=source_id,
            name=src.name,
            level=str(src.level) if src.level else None,
            division_code=src.division_code,
            start_url=src.start_url,
            family=str(src.family) if src.family else None,
        )
    return out


# --- parsing --------------------------------------------------------------------------


def parser_version() -> str:
    import parsers

    return str(getattr(parsers, "PARSER_VERSION", "unversioned"))


def parse_one(data: bytes, doc: SourceDocument, version: str) -> ParseResult:
    """Parse one document; any failure becomes a failed result with its error (never raised)."""
    from parsers import DocumentMeta, ParseError, parse_document

    meta = DocumentMeta(
        name=doc.name, url=doc.url, headers=dict(doc.headers), page_title=doc.page_title
    )
    start = time.perf_counter()
    try:
        report = parse_document(data, meta)
    except ParseError as exc:
        return ParseResult(
            doc.sha256,
            version,
            "failed",
            None,
            type(exc).__name__,
            str(exc) or repr(exc),
            seconds=time.perf_counter() - start,
        )
    except Exception as exc:  # a parser bug: listed as a failure, the build goes on
        return ParseResult(
            doc.sha256,
            version,
            "failed",
            None,
            type(exc).__name__,
            f"internal parser error: {exc!r}",
            seconds=time.perf_counter() - start,
        )
    record = report.to_json()
    return ParseResult(
        doc.sha256,
        version,
        "parsed",
        record.get("format"),
        report=record,
        seconds=time.perf_counter() - start,
    )


def _parse_job(args: tuple[str, SourceDocument, str]) -> ParseResult:
    root, doc, version = args
    try:
        data = RawStore(root).get(doc.sha256)
    except OSError as exc:
        return ParseResult(doc.sha256, version, "unreadable", None, type(exc).__name__, str(exc))
    return parse_one(data, doc, version)


def parse_missing(
    docs: list[SourceDocument],
    data_dir: Path,
    state: BuildState,
    version: str,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, float, dict[str, ParseResult]]:
    """Parse the documents without a cached result; returns (count, seconds, unreadable).

    Results are committed to the cache in batches, so a killed build keeps them.
    Documents whose bytes cannot be read are returned, not cached: a later build
    retries them once the raw store has them.
    """
    cached = state.cached(version)
    todo = [d for d in docs if d.sha256 not in cached]
    unreadable: dict[str, ParseResult] = {}
    if not todo:
        return 0, 0.0, unreadable
    start = time.perf_counter()
    jobs_args = [(str(data_dir), d, version) for d in todo]
    batch: list[ParseResult] = []

    def take(result: ParseResult, done: int) -> None:
        if result.status == "unreadable":
            unreadable[result.sha256] = result
        else:
            batch.append(result)
        if len(batch) >= 50:
            state.put(batch)
            batch.clear()
        if progress:
            progress(done, len(todo))

    # Each document is parsed in a worker process under a time and memory limit
    # (parsers.bounded): a zip bomb or a runaway parse becomes a failed document
    # with its reason, the worker is replaced, and the build goes on.
    from parsers.bounded import BoundedWorkers

    with BoundedWorkers(_parse_job, jobs=jobs) as workers:
        for done, (args, outcome) in enumerate(workers.map(jobs_args), 1):
            if isinstance(outcome, BaseException):
                outcome = ParseResult(
                    args[1].sha256, version, "failed", None, type(outcome).__name__, str(outcome)
                )
            take(outcome, done)
    state.put(batch)
    return len(todo), time.perf_counter() - start, unreadable


# --- choosing one document per report ------------------------------------------------


@dataclass
class Assignment:
    """The report a parsed document belongs to, and who published it."""

    report_id: str
    body_id: str
    body_name: str
    year: int | None
    province: str | None
    level: str | None
    division_code: str | None
    source_id: str | None
    template: str | None
    score: tuple[Any, ...]


def has_report_content(summary: dict[str, Any]) -> bool:
    """Whether a parse found a report at all (a year, a template, a table or a section)."""
    return bool(
        summary.get("year")
        or summary.get("template")
        or summary.get("cells")
        or summary.get("sections")
    )


@functools.cache  # one entry per organisation: a bounded cache would cycle at 100k bodies
def _body(
    organization: str | None, source: Source | None
) -> tuple[str, str, str | None, str | None, str | None]:
    """(body id, name, level, province, division code) of a report's organisation.

    Cached: a body's reports of every year ask the same question.
    """
    name = normalize_name(organization)
    if name is None and source is not None:
        name = normalize_name(source.name)
    name = name or UNKNOWN_BODY
    own_portal = source is not None and normalize_name(source.name) == name
    level = source.level if own_portal and source else level_from_name(name)
    code = source.division_code if source else None
    province = province_for(name, code, source.level if source else None)
    if code and province_from_code(code) != province:
        code = None
    return body_id(name, province), name, level, province, code


def assign(doc: SourceDocument, summary: dict[str, Any], sources: dict[str, Source]) -> Assignment:
    """Which body and year a parsed document reports on."""
    bid, name, level, province, code = _body(
        summary.get("organization"), sources.get(doc.source_id or "")
    )
    year = summary.get("year")
    report_id = f"{bid}-{year}" if year else f"{bid}-{doc.sha256[:12]}"
    score = (
        summary.get("tables", 0),
        -summary.get("checks_failing", 0),
        summary.get("filled", 0),
        summary.get("sections", 0),
        FORMAT_RANK.get(summary.get("format") or "", 0),
        doc.kind == "report",
    )
    return Assignment(
        report_id,
        bid,
        name,
        year,
        province,
        level,
        code,
        doc.source_id,
        summary.get("template"),
        score,
    )


# --- writing the database ---------------------------------------------------------------


def _insert_sql(table: schema.Table, with_rowid: bool = False) -> str:
    cols = table.column_names
    names = (["rowid"] if with_rowid else []) + cols
    marks = ",".join("?" * len(names))
    return f"INSERT INTO [{table.name}] ({','.join(f'[{c}]' for c in names)}) VALUES ({marks})"


# The tables the build process writes itself; ``search_writer`` writes the rest.
OWN_TABLES = tuple(t for t in schema.TABLES if t.name not in search_writer.CHILD_TABLES)


def side_path(path: Path) -> Path:
    """The file the build process writes most of its tables into, beside ``path``."""
    return path.with_name(path.name + "-tables")


def across_path(path: Path) -> Path:
    """The file of the tables the across-report stage writes or changes, beside ``path``."""
    return path.with_name(path.name + "-across")


# The build process's tables the across-report stage changes (``divisions`` sets
# division codes, ``checks`` adds cross checks): written into ``across_path``, with
# the stage's own tables; every other table of this process is final when its
# rows are in, and the search process copies it meanwhile (``finish``).
ACROSS_TABLES = (schema.REPORTS.name, schema.BODIES.name)
ACROSS_SCHEMA = "across"

# Tables of this process whose indexes the search process builds, once it has
# copied them in (``finish``): a knob to even out the two processes' work, for
# tables the across stage reads without their indexes (e.g. 表二, only scanned or
# read by its primary key). Empty: on the 700k benchmark the search process is the
# longer of the two (it finished ~60 s after the build process with 表二's indexes,
# ~30 CPU-s, among its work).
INDEXED_BY_THE_SEARCH_PROCESS: tuple[schema.Table, ...] = ()


class ArchiveWriter:
    """Writes one fresh database file at ``path``, on two cores.

    A child process (``search_writer``), started on the plan of reports,
    creates ``path`` and writes ``sections`` and the FTS tables there. This
    process writes every other table into two side files (``side_path``, and
    ``across_path`` for ``reports``, ``bodies`` and ``cross_checks``, attached),
    indexes them, adds the cross-report checks and summaries, then hands the
    first file to the child, which copies it into ``path`` once its own tables
    are done, while this process runs the across-report stage (``finish``'s
    ``stage``) on the second. At last this process copies the second file in.
    Rows are buffered and bulk-inserted with ``executemany`` on prepared tuples.
    """

    FLUSH_EVERY = 2000

    def __init__(
        self,
        path: Path,
        plan: search_writer.SearchPlan,
        phases: Phases | None = None,
        ledger: LedgerSnapshot | None = None,
    ) -> None:
        self.path = path
        self.phases: Phases = {} if phases is None else phases
        self.ledger = ledger
        self.side = side_path(path)
        self.across = across_path(path)
        for file in (self.side, self.across):
            file.unlink(missing_ok=True)
        self.search = search_writer.SearchWriter(path, plan)
        self.conn = search_writer.open_bulk(self.side)
        self.conn.execute(f"ATTACH DATABASE ? AS [{ACROSS_SCHEMA}]", (str(self.across),))
        self.conn.execute(f"PRAGMA [{ACROSS_SCHEMA}].page_size={search_writer.PAGE_SIZE}")
        self.conn.execute(f"PRAGMA [{ACROSS_SCHEMA}].journal_mode=OFF")
        self.conn.execute(f"PRAGMA [{ACROSS_SCHEMA}].synchronous=OFF")
        self.conn.execute("BEGIN")
        # Indexes are built after the last row (``finish``): inserting into a
        # dozen indexes of a table as it fills cost about twice as much, and this
        # process has more to do than the child. The cache holds the indexes
        # being built (~1 GiB at 700k).
        self.conn.execute(f"PRAGMA cache_size=-{2 * 1024 * 1024}")
        for table in OWN_TABLES:
            self.conn.execute(schema.create_table_sql(table, _schema_of(table)))
        # X_NARRATIVE failures are found when a document is prepared and written
        # with the report; the across-report stage adds the other cross checks.
        across.checks.create_table(self.conn, ACROSS_SCHEMA)
        self.buffers: dict[str, list[tuple[Any, ...]]] = {}
        self.sql = {t.name: _insert_sql(t) for t in OWN_TABLES}
        self.sql["reports"] = _insert_sql(schema.REPORTS, with_rowid=True)
        self.sql["cells"] = self.sql["cells"].replace("INSERT", "INSERT OR IGNORE", 1)
        self.sql["cross_checks"] = across.checks.INSERT
        self.check_id = 0
        self.pending = 0

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        rows = self.buffers.setdefault(table, [])
        rows.append(row)
        if len(rows) >= 50_000:  # long runs of one table (documents, captures)
            self.conn.executemany(self.sql[table], rows)
            rows.clear()

    def add_report(
        self, rowid: int, prepared: Prepared, ctx: ReportContext, prov: Provenance
    ) -> None:
        """One report's rows; ``rowid`` is its place in the plan the child writes."""
        rows = assemble(prepared, ctx, prov)
        self.add("reports", (rowid, *rows.report))
        if rows.requests is not None:
            self.add("requests", rows.requests)
        if rows.review_litigation is not None:
            self.add("review_litigation", rows.review_litigation)
        if rows.proactive is not None:
            self.add("proactive", rows.proactive)
        buffers = self.buffers
        if rows.proactive_other_rows:
            buffers.setdefault("proactive_other_rows", []).extend(rows.proactive_other_rows)
        buffers.setdefault("cells", []).extend(rows.cells)
        buffers.setdefault("cross_checks", []).extend(rows.narrative)
        for check in rows.failed_checks:
            self.check_id += 1
            self.add("failed_checks", (self.check_id, *check))
        for extra in rows.extra_facts:
            self.add("extra_facts", (None, *extra))
        self.pending += 1
        if self.pending >= self.FLUSH_EVERY:
            self.flush()

    def add_captures(self) -> None:
        """The ledger's captures (up to its last one), oldest first, as they are."""
        if self.ledger is None:
            return
        columns = ", ".join(f"[{c}]" for c in schema.CAPTURES.column_names)
        ledger = _open_read_only(self.ledger.path)
        try:
            rows = ledger.execute(
                f"SELECT {columns} FROM captures WHERE id <= ? ORDER BY fetched_at, id",
                (self.ledger.last_capture,),
            )
            self.conn.executemany(self.sql["captures"], rows)
        finally:
            ledger.close()

    def flush(self) -> None:
        self.search.check()  # a failed child stops the build now, not at the end
        for table, rows in self.buffers.items():
            if rows:
                self.conn.executemany(self.sql[table], rows)
                rows.clear()
        self.pending = 0

    def finish(
        self, info: dict[str, Any], stage: Callable[[Path, Path], Any] | None = None
    ) -> None:
        """Indexes, X_CARRY and summaries; then the child copies the side file (and
        indexes ``INDEXED_BY_THE_SEARCH_PROCESS``) while ``stage`` runs on the across
        file (reading the side file's tables, attached read-only: ``stage(across file,
        side file)``); last, the across file is copied."""
        phases = self.phases
        self.flush()
        # The rows are committed first: at 700k they outgrow the page cache, and
        # CREATE INDEX in a transaction whose cache is full of dirty pages cost
        # 105 CPU-s against 64 (+4 for this commit) after it.
        with timed(phases, "commit the rows"):
            self.conn.execute("COMMIT")
            self.conn.execute("BEGIN")
        with timed(phases, "indexes"):
            for table in OWN_TABLES:
                if table not in INDEXED_BY_THE_SEARCH_PROCESS:
                    for statement in schema.create_index_sql(table, _schema_of(table)):
                        self.conn.execute(statement)
        with timed(phases, "cross-report checks (X_CARRY) and summaries"):
            add_carry_checks(self.conn)
            build_summaries(self.conn)
        for key, value in info.items():
            self.conn.execute("INSERT INTO build_info VALUES (?, ?)", (key, str(value)))
        with timed(phases, "commit"):
            self.conn.execute("COMMIT")
            self.conn.close()
        self.search.copy_when_done(
            self.side,
            [
                sql
                for table in INDEXED_BY_THE_SEARCH_PROCESS
                for sql in schema.create_index_sql(table)
            ],
        )
        if stage is not None:
            with timed(phases, "across-report stage"):
                stage(self.across, self.side)
        with timed(phases, "wait for the search process"):
            for name, seconds in self.search.finish().items():
                phases[f"search process: {name}"] = seconds
        self.side.unlink()
        with timed(phases, "copy the across file into the search process's file"):
            conn = search_writer.open_bulk(self.path)
            copy_tables(conn, self.across)
            conn.close()
        self.across.unlink()
        with timed(phases, "analyze"):
            conn = search_writer.open_bulk(self.path)
            conn.execute("PRAGMA analysis_limit=1000")
            conn.execute("ANALYZE")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()

    def abort(self) -> None:
        self.conn.close()
        self.search.abort()
        for file in (self.side, self.across):
            file.unlink(missing_ok=True)


def _schema_of(table: schema.Table) -> str | None:
    """The attached database a table of this process is written in (None: the side file)."""
    return ACROSS_SCHEMA if table.name in ACROSS_TABLES else None


def add_carry_checks(conn: sqlite3.Connection) -> None:
    """X_CARRY: carried_over (total) of year N = carried_forward (total) of N−1, same body."""
    conn.execute(
        """
        INSERT INTO failed_checks (report_id, body_id, body_name, year, province, level, template,
                                   check_id, scope, expected, actual, severity)
        SELECT cur.report_id, cur.body_id, cur.body_name, cur.year, cur.province, cur.level,
               cur.template, 'X_CARRY', 'total', prev.carried_forward__total,
               cur.carried_over__total, 'error'
        FROM requests cur JOIN requests prev
          ON prev.body_id = cur.body_id AND prev.year = cur.year - 1
        WHERE cur.carried_over__total IS NOT NULL AND prev.carried_forward__total IS NOT NULL
          AND cur.carried_over__total != prev.carried_forward__total
        """
    )
    conn.execute(
        """
        UPDATE reports SET
          checks_failing = CASE WHEN checks_failing IS NULL THEN 'X_CARRY'
                                ELSE checks_failing || ',X_CARRY' END,
          checks_failing_count = checks_failing_count + 1
        WHERE id IN (SELECT report_id FROM failed_checks WHERE check_id = 'X_CARRY')
        """
    )


def build_summaries(conn: sqlite3.Connection) -> None:
    """The summary_* tables: totals per grouping, from the reports table."""
    measures = """
        count(*), count(DISTINCT body_id), sum(new_requests), sum(processed), sum(granted),
        sum(partially_granted), sum(denied), sum(unavailable), sum(rejected),
        round(CAST(sum(denied) AS REAL) / nullif(sum(processed), 0), 6),
        sum(reviews), sum(reviews_corrected), sum(suits), sum(suits_corrected),
        sum(checks_failing_count > 0)
    """
    for name, keys in schema.SUMMARY_GROUPINGS.items():
        group = ", ".join(keys)
        conn.execute(
            f"INSERT INTO [{name}] SELECT {group}, {measures} FROM reports "
            f"WHERE year IS NOT NULL GROUP BY {group}"
        )


Chosen = dict[str, tuple[SourceDocument, Assignment, list[SourceDocument]]]


def choose_documents(
    docs: list[SourceDocument], outcomes: dict[str, Outcome], sources: dict[str, Source]
) -> tuple[Chosen, dict[str, Assignment]]:
    """Group parsed documents by report; per report its best document and all of them.

    Returns (report id → (chosen document, its assignment, every document of the
    report)) and the assignment of every parsed document with report content.
    """
    groups: dict[str, list[tuple[SourceDocument, Assignment]]] = {}
    assigned: dict[str, Assignment] = {}
    for doc in docs:
        outcome = outcomes.get(doc.sha256)
        if outcome is None or outcome.status != "parsed" or outcome.summary is None:
            continue
        if not has_report_content(outcome.summary):
            continue
        a = assign(doc, outcome.summary, sources)
        assigned[doc.sha256] = a
        groups.setdefault(a.report_id, []).append((doc, a))
    chosen: Chosen = {}
    for rid, group in groups.items():
        group.sort(key=lambda m: (m[1].score, m[0].sha256), reverse=True)
        best, best_assignment = group[0]
        chosen[rid] = (best, best_assignment, [m[0] for m in group])
    return chosen, assigned


@dataclass(frozen=True)
class PlannedReport:
    """A report to write: its rowid (its place in report-id order), document and context."""

    rowid: int
    sha256: str
    context: ReportContext


def plan_reports(chosen: Chosen) -> list[PlannedReport]:
    """The reports in report-id order, each with the rowid both processes give it."""
    plan = []
    for rowid, report_id in enumerate(sorted(chosen), 1):
        doc, a, _ = chosen[report_id]
        context = ReportContext(
            report_id,
            a.body_id,
            a.body_name,
            a.year,
            a.province,
            a.level,
            a.template,
            a.division_code,
        )
        plan.append(PlannedReport(rowid, doc.sha256, context))
    return plan


def write_archive(
    path: Path,
    docs: list[SourceDocument],
    outcomes: dict[str, Outcome],
    state: BuildState,
    version: str,
    sources: dict[str, Source],
    ledger: LedgerSnapshot | None = None,
    info: dict[str, Any] | None = None,
    phases: Phases | None = None,
    stage: Callable[[Path, Path], Any] | None = None,
) -> BuildStats:
    """Write a complete archive database at ``path`` (which must not exist).

    Args:
        docs: every document, whatever became of its parse.
        outcomes: per digest, the parse outcome (documents without one are
            listed as unreadable); their preparations are current
            (``BuildState.outcomes``).
        state: the parse cache the preparations of ``version`` are read from (by
            this process, and by the search process through its own connection).
        sources: the portals, for body levels, provinces and the sources table.
        ledger: the crawler's ledger, whose captures are copied as provenance.
        phases: where to add the (wall, CPU) seconds of each step.
        stage: the across-report stage, run as ``stage(across file, side file)``
            (``ArchiveWriter.finish``).
    """
    stats = BuildStats(documents=len(docs), phases={} if phases is None else phases)
    start = time.perf_counter()
    phases = stats.phases
    clock = PhaseClock(phases)
    clock.switch("choose documents")
    chosen, assigned = choose_documents(docs, outcomes, sources)
    plan = plan_reports(chosen)
    search_plan = search_writer.SearchPlan(
        state.path,
        version,
        [
            (p.rowid, p.sha256, p.context.values(), (outcomes[p.sha256].summary or {}).get("title"))
            for p in plan
        ],
    )
    writer = ArchiveWriter(path, search_plan, phases, ledger)
    try:
        bodies: dict[str, dict[str, Any]] = {}
        for start_i in range(0, len(plan), 1000):
            chunk = plan[start_i : start_i + 1000]
            clock.switch("load prepared rows")
            loaded = dict(state.prepared([p.sha256 for p in chunk], version))
            clock.switch("report rows (assemble, insert)")
            for planned in chunk:
                sha, ctx = planned.sha256, planned.context
                prepared = loaded.get(sha)
                if prepared is None:
                    continue
                doc, a, members = chosen[ctx.report_id]
                page_url = next((m.url for m in members if m.kind == "report"), doc.page_url)
                summary = outcomes[sha].summary or {}
                prov = Provenance(
                    sha,
                    outcomes[sha].format,
                    doc.url,
                    page_url,
                    len(members),
                    summary.get("warnings", 0),
                )
                writer.add_report(planned.rowid, prepared, ctx, prov)
                add_warnings(writer, sha, ctx.report_id, prepared)
                body = bodies.setdefault(a.body_id, {"a": a, "years": []})
                body["years"].append(a.year)

        # Warnings of the other parsed documents (the chosen ones' were written above).
        chosen_shas = {p.sha256 for p in plan}
        others = [
            d.sha256
            for d in docs
            if d.sha256 not in chosen_shas
            and (outcome := outcomes.get(d.sha256)) is not None
            and outcome.status == "parsed"
            and (outcome.summary or {}).get("warnings")
        ]
        for sha, prepared in state.prepared(others, version):
            add_warnings(
                writer, sha, assigned[sha].report_id if sha in assigned else None, prepared
            )

        clock.switch("documents, captures, sources, bodies rows")
        for doc in docs:
            row = document_row(doc, outcomes.get(doc.sha256), assigned, chosen, version)
            writer.add("documents", row)
            if outcomes.get(doc.sha256) is None or outcomes[doc.sha256].status != "parsed":
                stats.failed_documents += 1
        writer.add_captures()
        for src in sources.values():
            writer.add(
                "sources",
                (
                    src.id,
                    src.name,
                    src.level,
                    src.division_code,
                    "全国" if src.level == "national" else province_from_code(src.division_code),
                    src.start_url,
                    src.family,
                ),
            )
        for bid, body in bodies.items():
            a = body["a"]
            years = [y for y in body["years"] if y]
            writer.add(
                "bodies",
                (
                    bid,
                    a.body_name,
                    a.level,
                    a.province,
                    a.division_code,
                    a.source_id,
                    len(body["years"]),
                    min(years) if years else None,
                    max(years) if years else None,
                ),
            )
        stats.reports = len(chosen)
        stats.bodies = len(bodies)
        clock.switch(None)
        writer.finish(
            {
                "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "schema_version": schema.SCHEMA_VERSION,
                "documents": len(docs),
                "reports": len(chosen),
                "failed_documents": stats.failed_documents,
                **(info or {}),
            },
            stage,
        )
    except search_writer.SearchWriterError as exc:
        writer.abort()
        raise BuildError(f"the process writing sections and search tables failed:\n{exc}") from exc
    except BaseException:
        writer.abort()
        raise
    stats.write_seconds = time.perf_counter() - start
    return stats


def add_warnings(
    writer: ArchiveWriter, sha: str, report_id: str | None, prepared: Prepared
) -> None:
    for warning in prepared.warnings:
        writer.add("warnings", (None, sha, report_id, *warning))


def document_row(
    doc: SourceDocument,
    outcome: Outcome | None,
    assigned: dict[str, Assignment],
    chosen: dict[str, tuple[SourceDocument, Assignment, list[SourceDocument]]],
    version: str | None = None,
) -> tuple[Any, ...]:
    summary = (outcome.summary if outcome else None) or {}
    a = assigned.get(doc.sha256)
    is_chosen = a is not None and chosen[a.report_id][0].sha256 == doc.sha256
    status: str = outcome.status if outcome else "failed"
    error_type = outcome.error_type if outcome else "Unreadable"
    error = outcome.error if outcome else "the archived bytes could not be read"
    return (
        doc.sha256,
        (outcome.format if outcome else None) or summary.get("format"),
        doc.size,
        doc.content_type,
        doc.name,
        doc.url,
        doc.source_id,
        doc.fetched_at,
        doc.captures,
        status,
        error_type,
        error,
        version if outcome else None,
        summary.get("title"),
        summary.get("organization"),
        summary.get("year"),
        summary.get("template"),
        a.report_id if a else None,
        int(is_chosen),
        summary.get("cells"),
        summary.get("warnings"),
        summary.get("checks_failing"),
    )


# --- the whole build -----------------------------------------------------------------------


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while the build runs, run once afterwards.

    The build holds millions of long-lived objects (documents, parse outcomes,
    assignments) and makes almost no reference cycles, but every few thousand
    allocations the collector walks the young objects and, as they pile up,
    all of them again: loading 700k parse outcomes took 47.6 CPU-s with it and
    24.4 without.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()


def build(
    data_dir: Path,
    from_dirs: Iterable[Path] = (),
    jobs: int = 1,
    use_ledger: bool = True,
    progress: Callable[[str], None] | None = None,
    sources_dir: Path | None = None,
) -> BuildStats:
    """Collect, parse what is new, write ``archive.db.new`` and publish it atomically."""
    from archive.publish import build_lock, new_path, publish

    say = progress or (lambda message: None)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = RawStore(data_dir)
    phases: Phases = {}
    clock = PhaseClock(phases)
    clock.switch("collect documents")
    with build_lock(data_dir), without_cycle_collection():
        ledger = open_ledger(data_dir) if use_ledger else None
        docs = merge_documents(
            ledger_documents(ledger) if ledger else [],
            *(documents_from_dir(Path(d), store) for d in from_dirs),
        )
        say(
            f"{len(docs)} documents"
            + (f" (ledger up to capture #{ledger.last_capture})" if ledger else "")
        )
        version = parser_version()
        with BuildState.open(data_dir) as state:
            # A report published as one image per page is also one document (page_images).
            before = state.compositions()
            known = dict(before)
            composed = page_images.compose(docs, store, known)
            state.put_compositions((k, v) for k, v in known.items() if k not in before)
            docs = merge_documents(docs, composed)
            clock.switch("parse new documents")
            parsed_now, parse_seconds, unreadable = parse_missing(
                docs, data_dir, state, version, jobs
            )
            say(f"parsed {parsed_now} new documents in {parse_seconds:.1f}s (parser {version})")
            clock.switch("collect documents")
            outcomes = state.outcomes(version)
            for sha, result in unreadable.items():
                outcomes[sha] = Outcome("failed", None, result.error_type, result.error, None)

            def across_stage(path: Path, tables: Path) -> Any:
                # Issue 6: tables that compare reports (divisions, copies, versions,
                # cross-year checks, late/missing, quality), added before publishing.
                return across.run(
                    path,
                    data_dir,
                    tables=tables,
                    sources_dir=sources_dir,
                    load_readings=lambda digests: state.readings(digests, version),
                    progress=say,
                )

            target = new_path(data_dir)
            target.unlink(missing_ok=True)
            try:
                clock.switch(None)
                stats = write_archive(
                    target,
                    docs,
                    outcomes,
                    state,
                    version,
                    load_sources(sources_dir),
                    ledger,
                    info={"parser_version": version},
                    phases=phases,
                    stage=across_stage,
                )
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        stats.parsed_now, stats.parse_seconds = parsed_now, parse_seconds
        say(
            f"wrote {stats.reports} reports, {stats.documents} documents "
            f"({stats.failed_documents} failed) in {stats.write_seconds:.1f}s"
        )
        start = time.perf_counter()
        clock.switch("publish (check, inspect data, rename)")
        publish(target, data_dir)
        clock.switch(None)
        stats.publish_seconds = time.perf_counter() - start
        say(f"published {data_dir / 'archive.db'} in {stats.publish_seconds:.1f}s")
    for name, (wall, cpu) in stats.phases.items():
        say(f"  {name}: {wall:.1f}s wall, {cpu:.1f}s CPU")
    return stats


def cpu_jobs() -> int:
    """A default for --jobs: the CPUs this process may use, at most 4."""
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(4, os.cpu_count() or 1))
