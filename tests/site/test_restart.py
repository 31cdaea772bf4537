"""A running ``xxgk serve`` picks up a newly published archive by itself."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from archive.publish import new_path, publish
from tests.site.conftest import SiteData, free_port

pytestmark = pytest.mark.slow


def _count(url: str) -> int | None:
    try:
        return int(
            httpx.get(url + "/archive/reports.json?_size=0", timeout=5).json()[
                "filtered_table_rows_count"
            ]
        )
    except (httpx.TransportError, ValueError, KeyError):
        return None


def test_serve_restarts_on_a_new_build(site_data: SiteData, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(site_data.path / "archive.db", data / "archive.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archive.cli",
            "serve",
            "--data-dir",
            str(data),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while (before := _count(url)) is None:
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.3)
        # A new build: one report fewer, published the way `xxgk build` publishes.
        new = new_path(data)
        shutil.copy(data / "archive.db", new)
        with sqlite3.connect(new) as conn:
            conn.execute("delete from reports where id = (select min(id) from reports)")
        publish(new, data)
        deadline = time.monotonic() + 60
        while _count(url) != before - 1:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the site kept serving the old archive"
            time.sleep(0.5)
        assert "restarting" in (tmp_path / "serve.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
