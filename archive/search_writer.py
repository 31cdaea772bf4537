"""The build's second process: the ``sections`` table and the bigram FTS tables.

Inserting bigram text into FTS5 is the largest single cost of writing the
archive. So ``write_archive`` runs it in a child process on the second core:
the child creates the file that will be published and writes ``sections``,
``sections_fts``, ``reports_fts`` (and their ``_terms`` tables) and the views
there, while the parent writes every other table into side files. The
sections and the FTS index are most of the bytes and are never copied; the
parent's tables are copied in, most of them by the child itself once its own
are committed (the parent says when its file of final tables is ready, and
which of their indexes it left to the child to build), the rest by the parent
at the end (``build.ArchiveWriter``).

The child is forked once the build has chosen its reports, so it starts with
the plan in memory (``SearchPlan``: per report, its rowid, digest, context and
title) and reads each report's sections from the parse cache itself
(``BuildState.sections``, its own connection): only the parent's "ready"
message and the child's result go through pipes. The stored texts stay UTF-8
bytes from the cache to SQLite (``rows.StoredSection``). The child numbers the
sections in plan order and computes the bigram text of titles and body names.
If the parent dies, the child notices (its parent process changes) and stops;
if the child fails, the parent gets its error at its next ``check`` or at
``finish``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import queue
import sqlite3
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from archive import bigram, binding, publish, schema
from archive.build_state import BuildState
from archive.phase_clock import PhaseClock, Phases
from archive.rows import read_stored, unpack_sections
from archive.table_copy import copy_tables

# The tables the child writes (every other table is the parent's, but the FTS ones).
SECTIONS_TABLE = "sections"
CHILD_TABLES = (SECTIONS_TABLE,)
FTS_TABLES = tuple(fts.name for fts in schema.FTS)

# Pages of 16 KiB, not SQLite's 4 KiB: the build writes ~10 GB at 700k reports
# (and reads much of it back to index, merge and copy), a page per system call,
# and balances b-tree pages as they fill. At 700k: the archive 10.27 → 9.6 GiB,
# CREATE INDEX 89-110 → 73-89 CPU-s; the end-to-end gain was not told apart from
# the machine's drift (benchmarks/README.md, sixth session). The site's reads
# measured within ±15 % of 4 KiB. Set on every file the build creates
# (``open_bulk``, and the attached across file).
PAGE_SIZE = 16384

# Bulk-load settings for a file nobody reads until it is published (atomically,
# by rename): no journal, no fsync, one connection. ``page_size`` applies to a
# new file only (a no-op when the file exists).
BULK_PRAGMAS = (
    f"PRAGMA page_size={PAGE_SIZE}",
    "PRAGMA journal_mode=OFF",
    "PRAGMA synchronous=OFF",
    "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-524288",  # 512 MiB
    "PRAGMA foreign_keys=OFF",
)

# FTS5 keeps pending terms in memory and writes a new segment when they exceed
# ``hashsize`` (1 MiB by default); every segment is merged later. At 256 MiB a
# 100k-report build writes far fewer segments: measured on 126k sections,
# 0.49 → 0.40 ms per report for insert + optimize. At 1 GiB the 600k sections of
# 100k reports are one segment: optimize 5.1 → 1.7 CPU-s, insert 19.2 → 18.2, for
# 130 MB more memory in the search process. Reset to the default afterwards.
FTS_HASHSIZE = 1024 * 1024 * 1024
FTS_DEFAULT_HASHSIZE = 1024 * 1024

# The section text arrives as UTF-8 bytes (``rows.StoredSection``): cast, it is
# stored as TEXT without a round trip through a Python string.
_SECTIONS_INSERT = (
    f"INSERT INTO [{SECTIONS_TABLE}] ("
    + ", ".join(f"[{c}]" for c in schema.SECTIONS.column_names)
    + ") VALUES ("
    + ", ".join("CAST(? AS TEXT)" if c == "text" else "?" for c in schema.SECTIONS.column_names)
    + ")"
)


class SearchWriterError(Exception):
    """The search-table process failed; its traceback is the message."""


@dataclass(frozen=True)
class SearchPlan:
    """What the child writes: per report in rowid order, (rowid, digest, context, title).

    The context is ``ReportContext.values()``; sections come from the parse cache
    at ``state_path`` (the preparations of ``parser_version``).
    """

    state_path: Path
    parser_version: str
    reports: list[tuple[int, str, tuple[Any, ...], str | None]]

    BATCH = 2000  # reports read and inserted at a time


def open_bulk(path: Path) -> sqlite3.Connection:
    """A connection to a file being built, with the bulk-load settings.

    ``None`` and ``bytes`` are bound without adaptation (``archive.binding``).
    """
    binding.bind_directly()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in BULK_PRAGMAS:
        conn.execute(pragma)
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """The child's table (``sections``, without its indexes), the FTS tables and the views.

    The parent's tables are copied in later (``table_copy.copy_tables``); a view may
    name them before.
    """
    conn.execute(schema.create_table_sql(schema.SECTIONS))
    for fts in schema.FTS:
        conn.execute(schema.create_fts_sql(fts))
    for view in schema.VIEWS:
        conn.execute(schema.create_view_sql(view))


def _write(path: Path, plan: SearchPlan, parent: int, ready: Connection) -> Phases:
    """The child: create the schema in ``path``, insert every report's sections, index,
    commit; then copy in the build process's file of final tables, when ``ready`` names it.

    ``parent`` is the build process's pid: if it is gone, stop. Returns (wall,
    CPU) seconds per step.
    """
    phases: Phases = {}
    clock = PhaseClock(phases)
    clock.switch("inserts")
    conn = open_bulk(path)
    conn.execute("BEGIN")
    create_schema(conn)
    for fts in FTS_TABLES:
        conn.execute(f"INSERT INTO [{fts}]([{fts}], rank) VALUES ('hashsize', {FTS_HASHSIZE})")
    section_id = 0
    batches = read_ahead(plan)
    while True:
        if os.getppid() != parent:
            raise ParentGone
        clock.switch("waiting for sections from the parse cache")
        batch, stored = next(batches, (None, {}))
        clock.switch("inserts")
        if batch is None:
            break
        sections: list[tuple[Any, ...]] = []
        index_texts: list[tuple[int, bytes]] = []
        for _, sha, context, _ in batch:
            blob = stored.get(sha)
            if blob is None:
                continue
            for section, heading, text, chars, index_text in read_stored(unpack_sections(blob)):
                section_id += 1
                sections.append((section_id, *context, section, heading, text, chars))
                index_texts.append((section_id, index_text))
        conn.executemany(_SECTIONS_INSERT, sections)
        conn.executemany("INSERT INTO sections_fts (rowid, text) VALUES (?, ?)", index_texts)
        conn.executemany(
            "INSERT INTO reports_fts (rowid, title, body_name) VALUES (?, ?, ?)",
            [
                (rowid, bigram.index_text(title), _body_index_text(context[2]))
                for rowid, _, context, title in batch
            ],
        )
    clock.switch("sections indexes")
    for statement in schema.create_index_sql(schema.SECTIONS):
        conn.execute(statement)
    clock.switch("FTS optimize and commit")
    for fts in FTS_TABLES:
        conn.execute(f"INSERT INTO [{fts}]([{fts}]) VALUES ('optimize')")
        conn.execute(
            f"INSERT INTO [{fts}]([{fts}], rank) VALUES ('hashsize', {FTS_DEFAULT_HASHSIZE})"
        )
    clock.switch("FTS terms tables")
    for fts_index in schema.FTS:
        for statement in schema.create_terms_sql(fts_index):
            conn.execute(statement)
    conn.execute("COMMIT")
    clock.switch("waiting for the build process's tables")
    side, indexes = _wait_for_tables(ready, parent)
    clock.switch("copying the build process's tables")
    copy_tables(conn, side)
    clock.switch("indexes the build process left")
    conn.execute("BEGIN")
    for statement in indexes:
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.close()
    clock.switch(None)
    return phases


Batch = list[tuple[int, str, tuple[Any, ...], str | None]]


def read_ahead(plan: SearchPlan, depth: int = 2) -> Iterator[tuple[Batch, dict[str, bytes]]]:
    """The plan's reports a batch at a time, each with its stored sections by digest,
    read from the parse cache by a thread up to ``depth`` batches ahead.

    The parse cache is gigabytes at national scale: when the operating system does
    not hold it in memory, the reads wait for the disk (52 s of wall time for 27 s of
    CPU at 700k). Read ahead, that wait overlaps the inserts (SQLite releases the GIL
    while it works). An error in the thread is raised here.
    """
    done = object()
    batches: queue.Queue[Any] = queue.Queue(maxsize=depth)

    def read() -> None:
        try:
            cache = BuildState(plan.state_path, create=False)
            try:
                for start in range(0, len(plan.reports), plan.BATCH):
                    batch = plan.reports[start : start + plan.BATCH]
                    digests = [sha for _, sha, _, _ in batch]
                    batches.put((batch, dict(cache.sections(digests, plan.parser_version))))
            finally:
                cache.close()
            batches.put(done)
        except BaseException as error:  # handed to the reading side
            batches.put(error)

    threading.Thread(target=read, name="xxgk-read-sections", daemon=True).start()
    while (item := batches.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _wait_for_tables(ready: Connection, parent: int) -> tuple[Path, list[str]]:
    """The file of the build process's final tables, once it says it is written, and
    the CREATE INDEX statements it left for this process to run once they are copied."""
    while not ready.poll(1.0):
        if os.getppid() != parent:
            raise ParentGone
    try:
        side, indexes = ready.recv()
    except EOFError:  # the build process closed the pipe: it is stopping
        raise ParentGone from None
    return Path(side), list(indexes)


class ParentGone(Exception):
    """The build process that forked the child is gone."""


# A body's name is indexed once for its reports of every year.
_body_index_text = functools.lru_cache(maxsize=65536)(bigram.index_text)


def _child(
    path: Path,
    plan: SearchPlan,
    parent: int,
    ready: Connection,
    result: Connection,
    parent_ends: tuple[Connection, ...],
) -> None:
    # A forked child holds copies of the parent's files. Close the parent's ends of
    # the pipes and the build lock (so that the lock is released as soon as the
    # parent dies).
    for end in parent_ends:
        end.close()
    for fd in publish.HELD_LOCK_FDS:
        os.close(fd)
    try:
        phases = _write(path, plan, parent, ready)
    except ParentGone:  # stop; the file is deleted by the next build
        result.send("the build process went away")
        return
    except BaseException:
        result.send(traceback.format_exc())
        return
    result.send(phases)


class SearchWriter:
    """The parent's handle on the child process writing the search tables into ``path``.

    The child starts at once on ``plan``. ``check`` raises the child's error if it
    has already failed; ``finish`` waits for it to commit.
    """

    def __init__(self, path: Path, plan: SearchPlan) -> None:
        self.path = path
        # Forked, not spawned: the child starts at once with the plan and the
        # modules this process has loaded (a spawned one would receive the plan
        # pickled and import the modules again, from a tree that may have
        # changed since the build started).
        ctx = multiprocessing.get_context("fork")
        self._result, result_send = ctx.Pipe(duplex=False)
        ready_receive, self._ready = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_child,
            args=(path, plan, os.getpid(), ready_receive, result_send, (self._result, self._ready)),
            name="xxgk-build-search",
        )
        # The child shares the parent's memory copy-on-write; its garbage collector
        # would touch (and so copy) every object the parent has, e.g. 700k parse
        # outcomes. Frozen objects are left alone.
        gc.freeze()
        try:
            self.process.start()
        finally:
            gc.unfreeze()
        result_send.close()
        ready_receive.close()
        self._outcome: Phases | str | None = None

    def copy_when_done(self, tables: Path, indexes: list[str]) -> None:
        """Have the child copy the file ``tables`` (complete) in, after its own tables,
        then run ``indexes`` (CREATE INDEX statements on the copied tables)."""
        # If the child has stopped already, ``finish`` says why.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._ready.send((tables, indexes))
        self._ready.close()

    def check(self) -> None:
        """Raise the child's error now if it has already stopped with one."""
        if self._outcome is None and self._result.poll():
            self._outcome = self._receive()
        if isinstance(self._outcome, str):
            self.process.join()
            raise SearchWriterError(self._outcome)

    def finish(self) -> Phases:
        """Wait until the child has committed (or raise its error).

        Returns the child's (wall, CPU) seconds per step.
        """
        if self._outcome is None:
            self._outcome = self._receive()
        self.process.join()
        if isinstance(self._outcome, dict):
            return self._outcome
        raise SearchWriterError(self._outcome)

    def _receive(self) -> Phases | str:
        """The child's phases, or its error (a traceback or why it died)."""
        try:
            result: Phases | str = self._result.recv()
        except EOFError:
            self.process.join()
            result = f"the search-table process died (exit code {self.process.exitcode})"
        return result

    def abort(self) -> None:
        """Stop the child at once (the caller deletes the file)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._result.close()
        self._ready.close()
