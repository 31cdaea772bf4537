"""The build's second process: the ``sections`` table, the bigram FTS tables, ``proactive``.

Inserting bigram text into FTS5 is the largest single cost of writing the
archive. So ``write_archive`` runs it in a child process on the second core:
the child creates the file that will be published and writes ``sections``,
``sections_fts`` and ``reports_fts``, the views, and ``proactive`` (表二: six or
more rows a report, the largest of the other tables, which keeps the two
processes' work about even), with their indexes, while the parent writes every
other table into a side file. When both are done, the parent copies its
tables into the child's file (``build.copy_tables``). The sections and the FTS
index are most of the bytes and are never copied.

The parent sends, per report, its rowid, its context, its 表二 rows and its
sections as the parse cache holds them, decompressed (``rows.unpack_sections``:
the texts and their bigram text as UTF-8 bytes), in batches over a pipe.
Neither process decodes the texts: the child unmarshals the rows and binds the
bytes as they are, numbers the sections in the order it receives them and
computes the bigram text of titles and body names. If the parent dies, the
child's pipe closes and it stops; if the child fails, the parent gets its
error when it sends the next batch or finishes.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import queue
import sqlite3
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from archive import bigram, binding, publish, schema
from archive.phase_clock import PhaseClock, Phases
from archive.rows import read_stored

# The tables the child writes (every other table is the parent's, but the FTS ones).
SECTIONS_TABLE = "sections"
CHILD_TABLES = (SECTIONS_TABLE, schema.PROACTIVE.name)
FTS_TABLES = tuple(fts.name for fts in schema.FTS)

# Bulk-load settings for a file nobody reads until it is published (atomically,
# by rename): no journal, no fsync, one connection.
BULK_PRAGMAS = (
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


_PROACTIVE_INSERT = (
    f"INSERT INTO [{schema.PROACTIVE.name}] VALUES ("
    + ", ".join("?" * len(schema.PROACTIVE.column_names))
    + ")"
)


class SearchWriterError(Exception):
    """The search-table process failed; its traceback is the message."""


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
    """The child's tables (``sections``, ``proactive``, without their indexes), the FTS
    tables and the views.

    The parent's tables come with ``build.copy_tables``; a view may name them before.
    """
    conn.execute(schema.create_table_sql(schema.SECTIONS))
    conn.execute(schema.create_table_sql(schema.PROACTIVE))
    for fts in schema.FTS:
        conn.execute(schema.create_fts_sql(fts))
    for view in schema.VIEWS:
        conn.execute(schema.create_view_sql(view))


def _write(path: Path, rows: Connection) -> Phases:
    """The child: create the schema in ``path``, insert every batch received, index.

    Returns (wall, CPU) seconds per step.
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
    batches = _receiving(rows)
    while True:
        clock.switch("waiting and receiving rows")
        batch = batches.get()
        clock.switch("inserts")
        if isinstance(batch, BaseException):
            raise batch
        if batch is None:
            break
        sections: list[tuple[Any, ...]] = []
        index_texts: list[tuple[int, bytes]] = []
        proactive: list[tuple[Any, ...]] = []
        for _, context, _, blob, proactive_rows in batch:
            proactive.extend((*context, *row) for row in proactive_rows)
            for section, heading, text, chars, index_text in read_stored(blob):
                section_id += 1
                sections.append((section_id, *context, section, heading, text, chars))
                index_texts.append((section_id, index_text))
        conn.executemany(_SECTIONS_INSERT, sections)
        conn.executemany("INSERT INTO sections_fts (rowid, text) VALUES (?, ?)", index_texts)
        conn.executemany(
            "INSERT INTO reports_fts (rowid, title, body_name) VALUES (?, ?, ?)",
            [
                (rowid, bigram.index_text(title), _body_index_text(context[2]))
                for rowid, context, title, _, _ in batch
            ],
        )
        conn.executemany(_PROACTIVE_INSERT, proactive)
    clock.switch("sections and proactive indexes")
    for table in (schema.SECTIONS, schema.PROACTIVE):
        for statement in schema.create_index_sql(table):
            conn.execute(statement)
    clock.switch("FTS optimize and commit")
    for fts in FTS_TABLES:
        conn.execute(f"INSERT INTO [{fts}]([{fts}]) VALUES ('optimize')")
        conn.execute(
            f"INSERT INTO [{fts}]([{fts}], rank) VALUES ('hashsize', {FTS_DEFAULT_HASHSIZE})"
        )
    conn.execute("COMMIT")
    conn.close()
    clock.switch(None)
    return phases


# A body's name is indexed once for its reports of every year.
_body_index_text = functools.lru_cache(maxsize=65536)(bigram.index_text)


def _receiving(rows: Connection, depth: int = 4) -> queue.Queue[Any]:
    """Batches from ``rows`` (then None, or the error), read by a thread as they come.

    Without it the two processes take turns: the parent's ``send`` of a batch
    (megabytes, through a 64 KiB pipe) returns only once the child has read it
    all, which the child does only after inserting the previous batch. With a
    few batches read ahead, the parent goes on while the child inserts.
    """
    batches: queue.Queue[Any] = queue.Queue(depth)

    def read() -> None:
        try:
            while (batch := rows.recv()) is not None:
                batches.put(batch)
            batches.put(None)
        except BaseException as exc:  # EOFError: the parent went away
            batches.put(exc)

    threading.Thread(target=read, name="receive rows", daemon=True).start()
    return batches


def _child(
    path: Path, rows: Connection, result: Connection, parent_ends: tuple[Connection, ...]
) -> None:
    # A forked child holds copies of the parent's files. Close the parent's pipe
    # ends (so that ``rows`` reports EOF once the parent is gone) and the build
    # lock (so that the lock is released as soon as the parent dies).
    for end in parent_ends:
        end.close()
    for fd in publish.HELD_LOCK_FDS:
        os.close(fd)
    try:
        phases = _write(path, rows)
    except EOFError:  # the parent is gone: stop, the file is deleted by the next build
        result.send("the build process went away")
        return
    except BaseException:
        result.send(traceback.format_exc())
        return
    result.send(phases)


class SearchWriter:
    """The parent's handle on the child process writing the search tables into ``path``.

    ``add_report`` buffers a report's rowid, context (``ReportContext.values``),
    title and encoded sections; ``flush`` sends them. ``finish`` waits for the
    child to commit.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # Forked, not spawned: the child starts at once with the modules this
        # process has loaded (a spawned one imports them again, from a tree
        # that may have changed since the build started).
        ctx = multiprocessing.get_context("fork")
        receive, self._send = ctx.Pipe(duplex=False)
        self._result, result_send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_child,
            args=(path, receive, result_send, (self._send, self._result)),
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
        receive.close()
        result_send.close()
        self.reports: list[tuple[Any, ...]] = []

    def add_report(
        self,
        rowid: int,
        context: tuple[Any, ...],
        title: str | None,
        sections: bytes,
        proactive: list[tuple[Any, ...]],
    ) -> None:
        """A report's rows: ``sections`` decompressed (``rows.unpack_sections``), ``proactive``
        (表二) without its context (``rows.Prepared.proactive``)."""
        self.reports.append((rowid, context, title, sections, proactive))

    def flush(self) -> None:
        if not self.reports:
            return
        try:
            self._send.send(self.reports)
        except (BrokenPipeError, ConnectionResetError):
            self._raise_child_error()
        self.reports = []

    def close_input(self) -> None:
        """Send the last rows and the end: the child indexes while this process goes on."""
        if self._send.closed:
            return
        self.flush()
        try:
            self._send.send(None)
        except (BrokenPipeError, ConnectionResetError):
            self._raise_child_error()
        self._send.close()

    def finish(self) -> Phases:
        """Wait until the child has committed (or raise its error), the input closed first.

        Returns the child's (wall, CPU) seconds per step.
        """
        self.close_input()
        return self._result_or_error()

    def _result_or_error(self) -> Phases:
        try:
            result = self._result.recv()
        except EOFError:
            result = f"the search-table process died (exit code {self.process.exitcode})"
        self.process.join()
        if isinstance(result, dict):
            return result
        raise SearchWriterError(result)

    def _raise_child_error(self) -> None:
        self._result_or_error()
        raise SearchWriterError("the search-table process stopped early")

    def abort(self) -> None:
        """Stop the child at once (the caller deletes the file)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._send.close()
        self._result.close()
