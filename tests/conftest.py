"""Shared test helpers: the fixture folders, and the fixture portal network the crawls run against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole fixture portal network on loopback, attachments rendered, with a
    folder of source files pointing at it (``net.sources_dir``); one per test module.
    tests/fixture_portals/ has its own, without the rendering and the sources."""
    from crawler.fixture_portals.server import FixtureNetwork

    with FixtureNetwork(port=0) as net:
        net.prerender()
        net.sources_dir = tmp_path_factory.mktemp("sources")
        net.write_sources(net.sources_dir)
        yield net
