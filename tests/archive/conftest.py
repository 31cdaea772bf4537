"""Helpers for the archive build tests: input folders of real documents, the built DB."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from crawler.fixture_portals.reports import synthetic_reports
from tests.conftest import SEEDS


def open_archive(data_dir: Path) -> sqlite3.Connection:
    """The published archive, read-only, rows as sqlite3.Row."""
    conn = sqlite3.connect(f"file:{data_dir / 'archive.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def write_html_reports(specs: list[dict[str, Any]], directory: Path) -> list[Path]:
    """Render report specs as portal pages (real HTML tables) into ``directory``."""
    from crawler.fixture_portals.render_html import render_report_html

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, spec in enumerate(specs):
        path = directory / f"report_{i:03d}.html"
        path.write_bytes(render_report_html(spec))
        paths.append(path)
    return paths


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """The five seed reports (plain text), plus two files no parser can read."""
    directory = tmp_path / "in"
    directory.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, directory / path.name)
    (directory / "broken.bin").write_bytes(b"\x00\x01\x02 not a report \xff\xfe")
    (directory / "empty.txt").write_bytes(b"   \n")
    return directory


@pytest.fixture
def html_specs() -> list[dict[str, Any]]:
    return synthetic_reports(12, seed=5)
