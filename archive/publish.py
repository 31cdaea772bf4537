"""Atomic publication of a freshly built database.

The new file is written as ``<data>/archive.db.new`` beside the published
``<data>/archive.db``. Publishing checks it (``PRAGMA integrity_check``), writes
Datasette's inspect file for it (``datasette inspect``: table counts and the
content hash, so an immutable server never counts 700k rows per request), and
only then renames both into place with ``os.replace``. A build that fails or is
killed at any point before the rename leaves the published database untouched;
a rename never exposes a partial file. A running Datasette keeps serving the
file it opened until it restarts.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ARCHIVE_NAME = "archive.db"
INSPECT_NAME = "inspect.json"
DATABASE_NAME = "archive"  # the name Datasette serves the file under


class PublishError(Exception):
    """The new database failed a check; nothing was published."""


def new_path(data_dir: Path) -> Path:
    return data_dir / (ARCHIVE_NAME + ".new")


@contextmanager
def build_lock(data_dir: Path) -> Iterator[None]:
    """One build at a time per data directory (a second one fails at once)."""
    lock_path = data_dir / ".build.lock"
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublishError(f"another build is running on {data_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def integrity_check(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if result != ["ok"]:
        raise PublishError(f"{path}: integrity_check failed: {'; '.join(result[:5])}")


def datasette_command() -> list[str]:
    exe = Path(sys.executable).parent / "datasette"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("datasette")
    return [found] if found else [sys.executable, "-m", "datasette"]


def inspect(path: Path, final_path: Path) -> dict[str, object]:
    """``datasette inspect`` of ``path``, keyed and pointed as the published file will be."""
    result = subprocess.run(
        [*datasette_command(), "inspect", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PublishError(f"datasette inspect failed: {result.stderr.strip()[-500:]}")
    data = json.loads(result.stdout)
    if len(data) != 1:
        raise PublishError(f"datasette inspect returned {len(data)} databases")
    (entry,) = data.values()
    entry["file"] = str(final_path)
    return {DATABASE_NAME: entry}


def publish(new: Path, data_dir: Path) -> None:
    """Check ``new``, write its inspect file, then swap both into place."""
    final = data_dir / ARCHIVE_NAME
    integrity_check(new)
    inspect_data = inspect(new, final)
    inspect_tmp = data_dir / (INSPECT_NAME + ".new")
    with open(inspect_tmp, "w") as fh:
        json.dump(inspect_data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync(new)
    os.replace(new, final)
    os.replace(inspect_tmp, data_dir / INSPECT_NAME)
    _fsync_dir(data_dir)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
