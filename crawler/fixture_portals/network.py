"""The fixture portal network as data: ``network.yml`` loaded and turned into portals.

``load_specs()`` reads the declaration, ``build_portals()`` assigns the bundled
report specs to each portal's bodies (deterministically: the same network every
time) and instantiates each portal's family, and ``source_yaml()`` writes the
``crawler/sources/<id>.yml`` entry (contract 7) for a portal.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from crawler.fixture_portals.cases import apply_cases
from crawler.fixture_portals.documents import Assigner, make_items, report_pool
from crawler.fixture_portals.families import FAMILIES
from crawler.fixture_portals.families.base import Portal
from crawler.fixture_portals.switches import Switches

NETWORK_FILE = Path(__file__).with_name("network.yml")
SOURCES_DIR = Path(__file__).resolve().parent.parent / "sources"
DEFAULT_PORT = 18080
LEVELS = ("national", "province", "city", "county", "township", "department")


@dataclass(frozen=True)
class PortalSpec:
    """One portal of the network, as declared in ``network.yml``."""

    id: str
    name: str
    level: str
    host: str
    family: str
    site_code: str
    encoding: str
    header_charset: str
    page_size: int
    reports_per_body: int
    bodies: tuple[str, ...]
    division_code: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    body_divisions: dict[str, str] = field(default_factory=dict)
    cases: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PortalSpec:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"portal {data.get('id')!r}: unknown keys {sorted(unknown)}")
        spec = cls(**{**data, "bodies": tuple(data["bodies"])})
        if spec.family not in FAMILIES:
            raise ValueError(f"portal {spec.id}: unknown family {spec.family!r}")
        if spec.level not in LEVELS:
            raise ValueError(f"portal {spec.id}: unknown level {spec.level!r}")
        if not ipaddress.ip_address(spec.host).is_loopback:
            raise ValueError(f"portal {spec.id}: host {spec.host} is not a loopback address")
        return spec


def load_specs(path: Path = NETWORK_FILE) -> list[PortalSpec]:
    """The portals declared in ``network.yml`` (checked: unique ids and hosts)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = [PortalSpec.from_dict(entry) for entry in data["portals"]]
    for attr in ("id", "host"):
        values = [getattr(s, attr) for s in specs]
        duplicates = {v for v in values if values.count(v) > 1}
        if duplicates:
            raise ValueError(f"network.yml: duplicate {attr}s {sorted(duplicates)}")
    return specs


@dataclass(frozen=True)
class MirrorSpec:
    """An off-domain spam mirror of one portal (F12), as declared in ``network.yml``."""

    id: str
    host: str
    prefix: str
    copies: str


def load_mirrors(path: Path = NETWORK_FILE) -> list[MirrorSpec]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [MirrorSpec(**entry) for entry in data.get("mirrors") or []]


def build_portals(specs: list[PortalSpec] | None = None, *, copies: int = 0) -> list[Portal]:
    """Every portal with its items (the same content on every call).

    ``copies`` adds that many copies of each portal (``<id>_<k>``) on addresses
    127.1.x.y, sharing the original's items: a network of thousands of sources
    for scale benchmarks at little memory.
    """
    specs = specs if specs is not None else load_specs()
    assigner = Assigner(report_pool())
    items = {
        spec.id: make_items(spec.id, list(spec.bodies), spec.reports_per_body, assigner)
        for spec in specs
    }
    apply_cases(items, {spec.id: spec.cases for spec in specs if spec.cases})
    portals = [FAMILIES[spec.family](spec, items[spec.id], Switches()) for spec in specs]
    originals = list(portals)
    for k in range(1, copies + 1):
        for original in originals:
            n = len(portals) - len(originals)
            host = f"127.1.{n // 250}.{n % 250 + 2}"
            spec = replace(original.spec, id=f"{original.id}_{k}", host=host)
            portals.append(FAMILIES[spec.family](spec, original.items, Switches()))
    return portals


def source_yaml(portal: Portal, port: int = DEFAULT_PORT) -> str:
    """The ``crawler/sources/<id>.yml`` text for a portal (contract 7)."""
    spec = portal.spec
    entry: dict[str, Any] = {"name": spec.name, "level": spec.level}
    if spec.division_code:
        entry["division_code"] = spec.division_code
    entry["start_url"] = f"http://{spec.host}:{port}{portal.column_path()}{portal.start_fragment()}"
    entry["family"] = spec.family
    entry["allowed_hosts"] = [spec.host]
    entry["expected"] = list(spec.bodies)
    entry["notes"] = (
        f"Fixture portal ({spec.family}) of the loopback test network "
        "(crawler/fixture_portals/network.yml); not the real site. "
        f"Pages in {spec.encoding}, Content-Type header says {spec.header_charset}."
    )
    header = "# Generated by `xxgk portals sources` from crawler/fixture_portals/network.yml.\n"
    return header + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False)


def write_sources(directory: Path = SOURCES_DIR, port: int = DEFAULT_PORT) -> list[Path]:
    """Write one source YAML per portal into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for portal in build_portals():
        path = directory / f"{portal.id}.yml"
        path.write_text(source_yaml(portal, port), encoding="utf-8")
        written.append(path)
    return written
