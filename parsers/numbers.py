"""A cell's printed text → its value and unit, never inventing a number.

Handles full-width digits and signs, thousands separators, decimals, a sign
("-233" is a legal 本年增/减), units (件, 个, 项, 元, 万元, 亿元 …) and the marks that
mean "nothing printed" (blank, "/", "—", "无"). Anything else is not a number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from parsers.record import Number, as_number

MONEY_UNITS = ("亿元", "万元", "元")
COUNT_UNITS = ("件", "个", "项", "条", "次", "人次", "家", "份", "篇")

# Printed marks that stand for an empty cell.
BLANK_MARKS = frozenset({"", "/", "／", "\\", "-", "—", "——", "–", "─", "无", "空", "×"})

_NUMBER = re.compile(
    r"^(?P<sign>[+\-]?)\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\s*"
    r"(?P<unit>" + "|".join(MONEY_UNITS + COUNT_UNITS) + r")?$"
)


# The longest integer part read as a number (larger ones stay text): beyond this a
# value no longer fits a float exactly nor SQLite's 64-bit INTEGER.
MAX_DIGITS = 15


@dataclass(frozen=True)
class ParsedNumber:
    value: Number | None
    unit: str | None


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), unify minus signs, drop inner spaces of numbers."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\ufe63", "-").replace("\u2014", "—")
    return text.strip()


@lru_cache(maxsize=65536)
def is_blank(text: str | None) -> bool:
    """Whether a cell prints nothing (or a mark that means nothing)."""
    if text is None:
        return True
    return normalize(text).replace(" ", "") in BLANK_MARKS


@lru_cache(maxsize=65536)
def parse_number(text: str | None) -> ParsedNumber | None:
    """The number a cell prints, or ``None`` when it does not print a number.

    A blank cell gives ``ParsedNumber(None, None)``; text that is neither blank
    nor a number (a label) gives ``None``.
    """
    if text is None or is_blank(text):
        return ParsedNumber(None, None)
    t = normalize(text)
    # Spaces between digits are printing artefacts ("3 400 660 元"), but only
    # when every group after the first has three digits.
    if re.fullmatch(r"[+\-]?\d{1,3}( \d{3})+(\.\d+)?\s*\D*", t):
        head = re.match(r"[+\-]?[\d ]+", t)
        assert head is not None
        t = head.group().replace(" ", "") + t[head.end() :]
    m = _NUMBER.match(t)
    if not m:
        return None
    digits = m.group("int").replace(",", "") + (m.group("frac") or "")
    if len(m.group("int").replace(",", "").lstrip("0")) > MAX_DIGITS:
        return None  # no report prints such a number; as a value it overflows float/SQLite
    value = float(digits) if m.group("frac") else int(digits)
    if m.group("sign") == "-":
        value = -value
    unit = m.group("unit")
    return ParsedNumber(as_number(value) if isinstance(value, float) else value, unit)


def is_number(text: str | None) -> bool:
    """Whether a cell prints a number (not blank, not a label)."""
    parsed = parse_number(text)
    return parsed is not None and parsed.value is not None


def is_value_cell(text: str | None) -> bool:
    """Whether a cell can stand in a value position: a number or blank."""
    return parse_number(text) is not None


def unit_in_header(header: str) -> str | None:
    """The money unit a column header names ("采购总金额（万元，保留四位小数）" → 万元)."""
    h = normalize(header)
    for unit in MONEY_UNITS:
        if unit in h:
            return unit
    return None
