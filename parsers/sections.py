"""Finding the six sections (一、总体情况 … 六、其他需要报告的事项) and their text.

A heading carries its section's number (一、 / 1、 / （一）) and keywords of its
meaning. Sub-headings inside a section use the same forms ("（三）办理政府信息公开
申请情况" under 总体情况), so for each section the heading in the strongest
numbering style wins: 一、 over 1、 over （一）, and headings come in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.blocks import Block, Paragraph
from parsers.labels import normalize, patterns
from parsers.template import SECTIONS

_CN = "一二三四五六"
_STYLES = (
    ("cn", re.compile(r"^([一二三四五六])[、.．]")),
    ("arabic", re.compile(r"^([1-6])[、.．](?!\d)")),
    ("paren", re.compile(r"^[(（]([一二三四五六])[)）]")),
    ("part", re.compile(r"^第([一二三四五六])部分[、:：]?")),
)
_STYLE_RANK = {"cn": 0, "part": 0, "arabic": 1, "paren": 2, "bare": 3}


@dataclass(frozen=True)
class Heading:
    block: int
    section: str
    style: str


def _number(token: str) -> int:
    return _CN.index(token) + 1 if token in _CN else int(token)


_SPACED_CN = re.compile(r"^\s*([一二三四五六])\s+(?=\S)")


def heading_of(text: str) -> tuple[int, str, str] | None:
    """(section number, numbering style, body after the number) of a heading-like line."""
    spaced = _SPACED_CN.match(text)  # "一 总体情况"
    if spaced:
        return _number(spaced.group(1)), "cn", normalize(text[spaced.end() :])
    t = normalize(text)
    for style, rx in _STYLES:
        m = rx.match(t)
        if m:
            return _number(m.group(1)), style, t[m.end() :]
    return None


def find_headings(blocks: list[Block]) -> list[Heading]:
    """The section headings, in order, at most one per section."""
    candidates: list[tuple[int, int, str, str]] = []  # (block, section index, style, body)
    for i, block in enumerate(blocks):
        if not isinstance(block, Paragraph):
            continue
        found = heading_of(block.text)
        if found:
            number, style, body = found
        elif len(block.text) <= 20:
            number, style, body = 0, "bare", normalize(block.text)
        else:
            continue
        for k, (_key, rx) in enumerate(patterns("sections")):
            if number not in (0, k + 1):
                continue
            m = rx.search(body[:30])
            if m and (style != "bare" or m.start() == 0):
                candidates.append((i, k, style, body))
    headings: list[Heading] = []
    last_block = -1
    for k, key in enumerate(SECTIONS):
        options = [c for c in candidates if c[1] == k and c[0] > last_block]
        if not options:
            continue
        best_rank = min(_STYLE_RANK[c[2]] for c in options)
        at, _, style, _ = next(c for c in options if _STYLE_RANK[c[2]] == best_rank)
        headings.append(Heading(at, key, style))
        last_block = at
    return headings


def section_texts(blocks: list[Block], headings: list[Heading]) -> dict[str, str]:
    """Each found section's running text (paragraphs only; tables are read separately)."""
    out: dict[str, str] = {}
    for n, heading in enumerate(headings):
        end = headings[n + 1].block if n + 1 < len(headings) else len(blocks)
        first = blocks[heading.block]
        # A long heading line carries the section's first sentence with it.
        start = (
            heading.block
            if isinstance(first, Paragraph) and len(first.text) > 40
            else heading.block + 1
        )
        lines = [b.text for b in blocks[start:end] if isinstance(b, Paragraph)]
        out[heading.section] = "\n".join(lines)
    return out
