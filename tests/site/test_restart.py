"""A running ``xxgk serve`` picks up a newly published archive by itself."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from archive.publish import new_path, publish
from archive.site import running_site
from tests.site.conftest import SiteData

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
    with running_site(("serve", "--data-dir", str(data)), log=tmp_path / "serve.log") as site:
        url = site.url
        before = _count(url)
        assert before is not None
        # A new build: one report fewer, published the way `xxgk build` publishes.
        new = new_path(data)
        shutil.copy(data / "archive.db", new)
        with sqlite3.connect(new) as conn:
            conn.execute("delete from reports where id = (select min(id) from reports)")
        publish(new, data)
        deadline = time.monotonic() + 60
        while _count(url) != before - 1:
            assert time.monotonic() < deadline, "the site kept serving the old archive"
            time.sleep(0.5)
        assert "restarting" in (tmp_path / "serve.log").read_text()
