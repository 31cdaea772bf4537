"""Every connection the site opens on the archive gets the tuning plugin's settings."""

from __future__ import annotations

import asyncio

from archive.site import make_datasette
from tests.site.conftest import SiteData


def test_connections_are_memory_mapped_with_a_larger_cache(site_data: SiteData) -> None:
    ds = make_datasette(site_data.path / "archive.db")

    async def pragmas() -> tuple[int, int]:
        db = ds.get_database("archive")
        mmap = (await db.execute("PRAGMA mmap_size")).rows[0][0]
        cache = (await db.execute("PRAGMA cache_size")).rows[0][0]
        return mmap, cache

    mmap, cache = asyncio.run(pragmas())
    assert mmap == 0x7FFF0000
    assert cache == -32 * 1024
