"""Numbers a report's own text states, against the 表三 cells they name (X_NARRATIVE).

"共收到政府信息公开申请7件" in the overview while 表三 prints 9 new requests is a
report contradicting itself. The check needs only the report's record, so it
runs when a document's rows are prepared (``archive.rows.prepare``) and is
cached with them; the build writes each failure into ``cross_checks`` with the
report's context (``other_report_id`` is the report itself, ``text`` the
sentence).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Sentences stating a 表三 total, as data: pattern → the requests column it states.
NARRATIVE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?:共|新)收到(?:各类)?政府信息公开申请(?:公开|共计|共)?(\d+)\s*[件个条]"),
        "new_received__total",
    ),
    (
        re.compile(r"(?:本年)?新收政府信息公开申请(?:数量)?(?:为|共)?(\d+)\s*件"),
        "new_received__total",
    ),
    (re.compile(r"(?<!不)予以公开(\d+)\s*件"), "granted__total"),
    (re.compile(r"部分公开(\d+)\s*件"), "partially_granted__total"),
)
# The sections that state these numbers, in the order they are read.
NARRATIVE_SECTIONS = ("overview", "requests")

# (requests column, printed value, stated value, the sentence)
Statement = tuple[str, Any, int, str]


def contradictions(section_texts: Mapping[str, str], printed: Mapping[str, Any]) -> list[Statement]:
    """Each 表三 total the text states otherwise than ``printed`` (column → value).

    Only a column's first statement counts (overview before requests; within a
    section, the first pattern that matches); a statement about a blank cell is
    not a contradiction.
    """
    found: list[Statement] = []
    seen: set[str] = set()
    for section in NARRATIVE_SECTIONS:
        text = section_texts.get(section) or ""
        if not text:
            continue
        for pattern, column in NARRATIVE:
            if column in seen:
                continue
            m = pattern.search(text)
            if m is None:
                continue
            seen.add(column)
            stated = int(m.group(1))
            value = printed.get(column)
            if value is not None and stated != value:
                start = max(0, text.rfind("。", 0, m.start()) + 1)
                end = text.find("。", m.end())
                sentence = text[start : end + 1 if end >= 0 else len(text)]
                found.append((column, value, stated, sentence.strip()))
    return found


def printed_totals(columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """The columns the narrative states, from a report's wide 表三 row."""
    wanted = {column for _, column in NARRATIVE}
    return {c: v for c, v in zip(columns, values, strict=True) if c in wanted}
