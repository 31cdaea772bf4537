"""A fixture portal network shared by this directory's tests (any free port)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.fixture_portals.server import FixtureNetwork


@pytest.fixture(scope="module")
def network() -> Iterator[FixtureNetwork]:
    with FixtureNetwork(port=0) as net:
        yield net


@pytest.fixture(autouse=True)
def clean_switches(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "network" in request.fixturenames:
        request.getfixturevalue("network").reset_switches()
