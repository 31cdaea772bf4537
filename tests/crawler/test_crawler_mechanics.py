"""The crawler's mechanics on a tiny local portal: commands, Retry-After, scrapy crawl.

Quick (a few seconds each); the fixture portal network tests cover the CMS
families and failure modes end to end.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from crawler.run import crawl_command
from tests.crawler.miniportal import MiniPortal

ROOT = Path(__file__).resolve().parents[2]
FAST = [
    "-s",
    "DOWNLOAD_DELAY=0.05",
    "-s",
    "DOWNLOAD_DELAY_JITTER=0",
    "-s",
    "AUTOTHROTTLE_START_DELAY=0.05",
]


def fast_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    """``xxgk crawl ARGS`` with the fast test settings, as a child process."""
    return subprocess.run(
        crawl_command(*args, *FAST), cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def source_file(directory: Path, portal: MiniPortal, family: str = "trs_legacy") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = f"name: 某某县人民政府\nlevel: county\nstart_url: {portal.start_url}\nfamily: {family}\n"
    (directory / "mou_xian.yml").write_text(text, encoding="utf-8")
    return directory


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    with MiniPortal(host="127.0.1.1", reports=2, retry_after=2) as portal:
        sources = source_file(tmp_path / "sources", portal)
        done = fast_crawl("--data-dir", str(tmp_path / "d"), "--sources-dir", str(sources))
    assert done.returncode == 0, done.stdout + done.stderr
    lists = [e for e in portal.log if e["path"].startswith("/zwgk/zfxxgknb/index")]
    assert [e["status"] for e in lists[:2]] == [503, 200]
    assert lists[1]["time_start"] - lists[0]["time_end"] >= 2.0
    assert "[" in done.stderr or done.stderr == ""  # progress lines go to stderr only


def test_crawl_by_url_detects_the_family(tmp_path: Path) -> None:
    with MiniPortal(host="127.0.1.2", reports=5) as portal:
        done = fast_crawl("--data-dir", str(tmp_path / "d"), "--url", portal.start_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "url_h127_0_1_2" in done.stdout
    db = sqlite3.connect(tmp_path / "d" / "crawl.db")
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM url_state GROUP BY kind").fetchall())
    assert kinds["report"] == 5 and kinds["attachment"] == 5 and kinds["list"] == 2


def test_a_challenged_host_gets_no_request_after_the_challenge(tmp_path: Path) -> None:
    with MiniPortal(host="127.0.1.3", reports=8, waf_after=6) as portal:
        sources = source_file(tmp_path / "sources", portal)
        done = fast_crawl("--data-dir", str(tmp_path / "d"), "--sources-dir", str(sources))
    assert done.returncode == 1
    assert [e["status"] for e in portal.log].count(521) == 1
    assert portal.log[-1]["status"] == 521


def test_scrapy_list_and_scrapy_crawl_work(tmp_path: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == {
        "generic",
        "gkmlpt",
        "hanweb_jcms",
        "hanweb_jpaas",
        "path_paging",
        "query_paging",
        "trs_legacy",
        "trs_sohu",
    }
    with MiniPortal(host="127.0.1.4", reports=3) as portal:
        sources = source_file(tmp_path / "sources", portal)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "trs_legacy",
                "-a",
                "source=mou_xian",
                "-s",
                f"XXGK_DATA_DIR={tmp_path / 'd'}",
                "-s",
                f"XXGK_SOURCES_DIR={sources}",
                "-s",
                "DOWNLOAD_DELAY=0.05",
                "-s",
                "LOG_LEVEL=WARNING",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(tmp_path / "d" / "crawl.db")
    assert db.execute("SELECT status FROM runs").fetchone()[0] == "finished"
    assert (
        db.execute("SELECT COUNT(*) FROM url_state WHERE sha256 IS NOT NULL").fetchone()[0]
        == 3 + 3 + 1 + 1
    )


def test_sources_commands(tmp_path: Path) -> None:
    xxgk = [sys.executable, "-m", "archive.cli"]
    listed = subprocess.run([*xxgk, "sources", "list"], cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and "zhangshu_shi\ttrs_legacy" in listed.stdout
    (tmp_path / "bad_source.yml").write_text("name: x\nlevel: county\nstart_url: nope\n")
    checked = subprocess.run(
        [*xxgk, "sources", "check", "--sources-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1 and "bad_source.yml" in checked.stderr
    assert "start_url" in checked.stderr


def test_a_sources_politeness_override_holds_for_its_host(tmp_path: Path) -> None:
    with MiniPortal(host="127.0.1.5", reports=1) as portal:
        sources = source_file(tmp_path / "sources", portal)
        path = sources / "mou_xian.yml"
        path.write_text(path.read_text(encoding="utf-8") + "politeness: {delay: 1.0}\n")
        done = fast_crawl("--data-dir", str(tmp_path / "d"), "--sources-dir", str(sources))
    assert done.returncode == 0, done.stdout + done.stderr
    starts = [e["time_start"] for e in portal.log]
    assert len(starts) == 5  # robots, list, report, download link, the file it redirects to
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps  # the global delay is 0.05 s
