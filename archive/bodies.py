"""Who published a report: a body's normalised name, stable id, level and province.

A body is identified by its province and normalised name (whitespace removed,
brackets made full-width), so the same body found on two portals, or in an
HTML page and its PDF attachment, is one body, while two counties' 教育局 stay
two bodies. Its id is a short hash of both: stable across builds, safe in URLs. Level and province come from the portal's source entry
when the body is the portal's own body, otherwise from the name (rules below,
declared as data).
"""

from __future__ import annotations

import hashlib
import re

from archive.regions import NATIONAL, province_from_code, province_from_name

UNKNOWN_BODY = "（机关不明）"

_SPACE = re.compile(r"\s+")
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）"})

# Name endings → level, checked in order (the first match wins).
LEVEL_RULES: tuple[tuple[str, str], ...] = (
    (r"(乡|镇|街道|街道办事处|苏木)(人民政府)?$", "township"),
    (r"(省|自治区)人民政府(办公厅)?$", "province"),
    (r"^(北京|天津|上海|重庆)市人民政府(办公厅)?$", "province"),
    (r"(县|区|旗|县级市)人民政府(办公室)?$", "county"),
    (r"(市|州|盟|地区)人民政府(办公室)?$", "city"),
    (r"(县|区|旗)$", "county"),
    (r"^国务院", "national"),
    (r"(局|委员会|委|厅|办公室|办|中心|院|部|署|会|所|队|站)$", "department"),
)


def normalize_name(name: str | None) -> str | None:
    """The name with whitespace removed and half-width brackets made full-width."""
    if name is None:
        return None
    cleaned = _SPACE.sub("", name).translate(_HALF_TO_FULL)
    return cleaned or None


def body_id(name: str, province: str | None = None) -> str:
    """A stable id for a body: 12 hex digits of the SHA-1 of its province and normalised name.

    The province is part of the identity because names repeat across the
    country (朝阳区人民政府 in Beijing and in Changchun; every county has a 教育局).
    """
    key = f"{province}/{name}" if province else name
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def level_from_name(name: str) -> str | None:
    """The administrative level a body's name suggests, or None."""
    for pattern, level in LEVEL_RULES:
        if re.search(pattern, name):
            return level
    return None


def province_for(
    name: str, division_code: str | None = None, source_level: str | None = None
) -> str | None:
    """A body's province: national portals → 全国; else its name, else the portal's code."""
    if source_level == "national":
        return NATIONAL
    return province_from_name(name) or province_from_code(division_code)
