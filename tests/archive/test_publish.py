"""Publishing: a killed build never touches the published database; Datasette serves it."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.bigram import fts_query
from archive.build import build
from archive.publish import PublishError, build_lock
from tests.archive.conftest import write_html_reports

XXGK = str(Path(sys.executable).parent / "xxgk")
DATASETTE = str(Path(sys.executable).parent / "datasette")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(data: Path) -> tuple[str, int]:
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return _digest(data / "archive.db"), conn.execute(
            "SELECT count(*) FROM reports"
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_killing_the_build_at_any_moment_leaves_the_published_database(
    seed_dir: Path, tmp_path: Path
) -> None:
    from crawler.fixture_portals.reports import synthetic_reports

    data = tmp_path / "data"
    big = tmp_path / "big"
    specs = synthetic_reports(60, seed=3)
    write_html_reports(specs, big)
    new_count = len({(s["organization"], s["year"]) for s in specs})  # one report per body-year
    command = [
        XXGK,
        "build",
        "--data-dir",
        str(data),
        "--from-dir",
        str(big),
        "--no-ledger",
        "--jobs",
        "1",
    ]
    subprocess.run(
        command, check=True, capture_output=True
    )  # parse once: later builds hit the cache
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.perf_counter() - start  # what one uninterrupted build takes here
    assert _published(data)[1] == new_count

    build(data, from_dirs=[seed_dir], use_ledger=False)  # publish the old content
    old = _published(data)
    assert old[1] == 5
    rng = random.Random(2024)
    killed = 0
    for _ in range(20):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.0) * duration)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = _published(data)  # integrity_check passes, whatever happened
        if now != old:
            # The kill came after the atomic swap (or the build finished): the new
            # content, whole. Never anything in between.
            assert now[1] == new_count
            build(data, from_dirs=[seed_dir], use_ledger=False)  # back to the old content
            old = _published(data)
            continue
        assert not (finished and proc.returncode == 0)  # a finished build did publish
        killed += 1
        if killed == 6:
            break
    assert killed == 6
    # A leftover archive.db.new or lock from a killed build does not stop the next one.
    stats = build(data, from_dirs=[big], use_ledger=False)
    assert stats.reports == new_count
    assert _published(data)[1] == new_count


def test_a_failed_check_publishes_nothing(
    seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.publish

    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    before = _published(data)
    (seed_dir / "extra.txt").write_bytes(
        (seed_dir / "000_b93710927e83dd00.txt").read_bytes() + b"x"
    )

    def corrupt(path: Path) -> None:
        raise PublishError(f"{path}: quick_check failed: simulated")

    monkeypatch.setattr(archive.publish, "check", corrupt)
    with pytest.raises(PublishError):
        build(data, from_dirs=[seed_dir], use_ledger=False)
    assert _published(data) == before


def test_a_damaged_file_is_refused_and_the_published_one_kept(
    seed_dir: Path, tmp_path: Path
) -> None:
    """A page of the new file overwritten (as a disk or a torn write would): not published."""
    from archive.publish import new_path, publish

    data = tmp_path / "data"
    build(data, from_dirs=[seed_dir], use_ledger=False)
    before = _published(data)
    new = new_path(data)
    new.write_bytes((data / "archive.db").read_bytes())
    conn = sqlite3.connect(new)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reports'").fetchone()
    conn.close()
    with open(new, "r+b") as fh:  # the reports table's root page: garbage after its header
        fh.seek((root - 1) * page_size + 12)
        fh.write(bytes(range(256)) * 8)
    with pytest.raises(PublishError, match="quick_check failed"):
        publish(new, data)
    assert _published(data) == before
    assert not (data / "inspect.json.new").exists()


def test_one_build_at_a_time(tmp_path: Path) -> None:
    with (
        build_lock(tmp_path),
        pytest.raises(PublishError, match="another build"),
        build_lock(tmp_path),
    ):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The published archive served by a real Datasette (immutable, with the inspect file)."""
    from crawler.fixture_portals.reports import synthetic_reports

    write_html_reports(synthetic_reports(8, seed=21), tmp_path / "in")
    data = tmp_path / "data"
    build(data, from_dirs=[tmp_path / "in"], use_ledger=False)
    metadata = {
        "databases": {
            "archive": {
                "tables": {"sections": {"fts_table": "sections_fts", "fts_pk": "id"}},
            }
        }
    }
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    port = _free_port()
    proc = subprocess.Popen(
        [
            DATASETTE, "serve", "-i", str(data / "archive.db"),
            "--inspect-file", str(data / "inspect.json"),
            "-m", str(tmp_path / "metadata.json"),
            "-h", "127.0.0.1", "-p", str(port),
            "--setting", "suggest_facets", "off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(
                        proc.stderr.read().decode() if proc.stderr else "exited"
                    ) from None
                time.sleep(0.1)
        yield base, data
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_datasette_serves_the_published_archive_over_http(served: tuple[str, Path]) -> None:
    base, data = served
    database = _get(base + "/archive.json")
    tables = {t["name"]: t for t in database["tables"]}
    assert tables["reports"]["count"] == 8  # from the inspect file
    rows = _get(base + "/archive/reports.json?_shape=array&_sort_desc=new_requests&_size=3")
    assert len(rows) == 3 and rows[0]["new_requests"] >= rows[1]["new_requests"]
    facets = _get(base + "/archive/requests.json?_facet=year&_facet=template&_size=0")
    assert sum(f["count"] for f in facets["facet_results"]["year"]["results"]) == 8
    conn = sqlite3.connect(data / "archive.db")
    (text,) = conn.execute(
        "SELECT text FROM sections WHERE section = 'overview' LIMIT 1"
    ).fetchone()
    term = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")[2:4]
    expected = conn.execute(
        "SELECT count(*) FROM sections WHERE instr(text, ?)", (term,)
    ).fetchone()[0]
    query = urllib.parse.urlencode(
        {"_search": fts_query(term), "_searchmode": "raw", "_size": "max"}
    )
    found = _get(base + "/archive/sections.json?_shape=array&" + query)
    assert len(found) == expected > 0
