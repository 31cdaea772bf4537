"""Issue 6's cross-report cases, applied to the portals' items as ``network.yml`` declares them.

A portal's ``cases`` mapping names, per case, the bodies it applies to:

- ``republish``: the newest report of ``body`` on portal ``portal`` is listed
  on this portal too (same report, another page: one report, two documents).
- ``late``: the newest report of ``body`` is published on ``published``.
- ``skip_year``: the body's middle report (by year) is never published.
- ``carry_mismatch``: in the body's first pair of consecutive years with 表三,
  the later year's 上年结转 and 结转下年度 (自然人 and 总计) grow by 3, so it no
  longer carries over last year's 结转下年度 (its own balance still holds).
- ``narrative``: the newest report with 表三 states "共收到政府信息公开申请N件"
  with N five more than its table.

Each case raises ``ValueError`` when the data cannot hold it, so a changed
report pool cannot silently drop a case. What the archive must find is derived
from the resulting items by ``tests/across/truth.py``.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from crawler.fixture_portals.documents import INLINE, Item

RECEIVED = re.compile(r"共收到政府信息公开申请(\d+)件")


def _of(items: list[Item], body: str) -> list[Item]:
    found = sorted(
        (i for i in items if i.organization == body and not i.reserve), key=lambda i: i.year
    )
    if not found:
        raise ValueError(f"case: no report of {body!r}")
    return found


def _n(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def republish(items: list[Item], source: list[Item], body: str) -> None:
    original = _of(source, body)[-1]
    copy_ = copy.copy(original)
    copy_.report = copy.deepcopy(original.report)
    copy_.key = ""
    copy_.portal = ""
    copy_.mode, copy_.attachment_format = INLINE, None
    copy_.attachments = []
    copy_.extra = {}
    copy_.published = original.published.replace(hour=min(original.published.hour + 2, 23))
    items.append(copy_)


def late(items: list[Item], body: str, published: str) -> None:
    _of(items, body)[-1].published = datetime.strptime(published, "%Y-%m-%d %H:%M")


def skip_year(items: list[Item], body: str) -> None:
    mine = _of(items, body)
    if len(mine) < 3:
        raise ValueError(f"skip_year: {body!r} has fewer than three reports")
    items.remove(mine[len(mine) // 2])


def carry_mismatch(items: list[Item], body: str) -> None:
    mine = [i for i in _of(items, body) if i.report.get("requests")]
    for prev, cur in zip(mine, mine[1:], strict=False):
        if cur.year == prev.year + 1:
            rows = cur.report["requests"]
            for key in ("carried_over", "carried_forward"):
                row = list(rows[key])
                for col in (0, 6):
                    row[col] = _n(row[col]) + 3
                rows[key] = row
            return
    raise ValueError(f"carry_mismatch: {body!r} has no two consecutive years with 表三")


def narrative(items: list[Item], body: str) -> None:
    mine = [i for i in _of(items, body) if i.report.get("requests")]
    if not mine:
        raise ValueError(f"narrative: {body!r} has no report with 表三")
    spec = mine[-1].report
    stated = _n(spec["requests"]["new_received"][6]) + 5
    texts = spec.setdefault("section_texts", {})
    changed = False
    for key, text in list(texts.items()):
        new = RECEIVED.sub(f"共收到政府信息公开申请{stated}件", text)
        changed = changed or new != text
        texts[key] = new
    if not changed:
        texts["requests"] = (
            texts.get("requests", "") + f"\n{spec['year']}年，共收到政府信息公开申请{stated}件。"
        ).strip()


def apply_cases(
    items: dict[str, list[Item]], cases: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    """Apply every portal's cases (portal id → its ``cases``) to ``items`` (portal id → items)."""
    order = ("republish", "skip_year", "carry_mismatch", "narrative", "late")
    for portal, declared in cases.items():
        unknown = set(declared) - set(order)
        if unknown:
            raise ValueError(f"portal {portal}: unknown cases {sorted(unknown)}")
        mine = items[portal]
        for name in order:
            for case in declared.get(name) or []:
                if name == "republish":
                    republish(mine, items[case["portal"]], case["body"])
                elif name == "late":
                    late(mine, case["body"], case["published"])
                else:
                    {
                        "skip_year": skip_year,
                        "carry_mismatch": carry_mismatch,
                        "narrative": narrative,
                    }[name](mine, case["body"])
        renumber(portal, mine)


def renumber(portal: str, items: list[Item]) -> None:
    """Oldest first, reserve items last; numbers and keys follow the new order."""
    items.sort(key=lambda i: (i.reserve, i.published, i.number))
    for number, item in enumerate(items):
        item.number = number
        item.key = f"{portal}/{number:03d}"
        item.portal = portal
