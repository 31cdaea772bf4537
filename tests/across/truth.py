"""Ground truth for the across-report stage, derived from the fixture network's items.

Written independently of ``archive/across`` (plain Python over the report specs
the portals serve): what a complete crawl of ``portal_ids`` followed by a build
must publish in ``body_divisions``, ``report_publication``, ``missing_reports``
and ``cross_checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crawler.fixture_portals.documents import FILE
from crawler.fixture_portals.network import PortalSpec
from parsers.template import COLUMNS as COLUMN_KEYS

COLUMNS = 7


@dataclass
class Truth:
    divisions: dict[str, str | None] = field(default_factory=dict)  # body → division code
    reports: set[tuple[str, int]] = field(default_factory=set)  # (body, year)
    late: set[tuple[str, int]] = field(default_factory=set)
    on_time: set[tuple[str, int]] = field(default_factory=set)
    missing: set[tuple[str, str, int]] = field(default_factory=set)  # (source, body, year)
    carry: set[tuple[str, int, str]] = field(default_factory=set)  # (body, year, column)
    in_force: set[tuple[str, int, str]] = field(default_factory=set)  # (body, year, row)
    narrative: set[tuple[str, int]] = field(default_factory=set)
    republished: set[tuple[str, int]] = field(default_factory=set)


def is_government(name: str) -> bool:
    return name.endswith(("人民政府", "办事处", "镇", "乡", "街道"))


def deadline(year: int, name: str, level: str) -> date:
    department = level == "national" or not is_government(name)
    return date(year + 1, 1, 31) if department else date(year + 1, 3, 31)


def _n(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def truth_for(portals: list[Any], portal_ids: list[str]) -> Truth:
    """What the archive of a complete crawl of ``portal_ids`` must say."""
    specs: dict[str, PortalSpec] = {p.id: p.spec for p in portals}
    home: dict[str, PortalSpec] = {}
    for spec in specs.values():
        for body in spec.bodies:
            home.setdefault(body, spec)
    truth = Truth()
    by_body: dict[str, dict[int, dict[str, Any]]] = {}
    source_years: dict[str, set[int]] = {}
    for portal in portals:
        if portal.id not in portal_ids:
            continue
        for item in portal.items:
            if item.reserve:
                continue
            org, year = item.organization, item.year
            spec = home[org]
            truth.divisions[org] = (
                None
                if spec.level == "national"
                else spec.body_divisions.get(org, spec.division_code)
            )
            truth.reports.add((org, year))
            by_body.setdefault(org, {})[year] = item.report
            source_years.setdefault(portal.id, set()).add(year)
            if item.mode != FILE:
                due = deadline(year, org, spec.level)
                (truth.late if item.published.date() > due else truth.on_time).add((org, year))
            if org not in portal.spec.bodies:
                truth.republished.add((org, year))
        for case in (portal.spec.cases or {}).get("narrative") or []:
            body = case["body"]
            years = [
                i.year
                for i in portal.items
                if i.organization == body and not i.reserve and i.report.get("requests")
            ]
            truth.narrative.add((body, max(years)))
    for portal_id, years in source_years.items():
        for body in specs[portal_id].bodies:
            have = set(by_body.get(body, {}))
            for year in range(min(years), max(years) + 1):
                if year not in have:
                    truth.missing.add((portal_id, body, year))
    for body, reports in by_body.items():
        for year, cur in reports.items():
            prev = reports.get(year - 1)
            if prev is None:
                continue
            a, b = prev.get("requests"), cur.get("requests")
            if a and b:
                for col, key in enumerate(COLUMN_KEYS):
                    before, now = a["carried_forward"][col], b["carried_over"][col]
                    if (before is not None or now is not None) and _n(before) != _n(now):
                        truth.carry.add((body, year, key))
            if prev.get("template") == "2021" and cur.get("template") == "2021":
                rows = {r["key"]: r["values"] for r in prev.get("proactive") or []}
                for row in cur.get("proactive") or []:
                    old = rows.get(row["key"])
                    values = row["values"]
                    if old is None or values.get("in_force") is None or old.get("in_force") is None:
                        continue
                    expected = (
                        _n(old["in_force"]) + _n(values.get("issued")) - _n(values.get("repealed"))
                    )
                    if _n(values["in_force"]) != expected:
                        truth.in_force.add((body, year, row["key"]))
    return truth
