"""Fixtures for the document-format tests: renderings cached once per session.

LibreOffice conversions cost ~1.5 s each, so every rendering (DOCX, XLSX, PDF,
DOC, XLS, scans) goes through ``render_office``'s content-keyed cache, pointed
at a directory of this test session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("XXGK_RENDER_CACHE")
    os.environ["XXGK_RENDER_CACHE"] = str(tmp_path_factory.mktemp("render-cache"))
    yield
    if previous is None:
        os.environ.pop("XXGK_RENDER_CACHE", None)
    else:
        os.environ["XXGK_RENDER_CACHE"] = previous
