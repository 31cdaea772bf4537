"""Comparing a parsed record with a gold file, cell by cell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import SEEDS


def seed_cases() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (txt, json.loads(txt.with_name(txt.name.replace(".txt", ".gold.json")).read_text()))
        for txt in sorted(SEEDS.glob("*.txt"))
    ]


def differences(got: dict[str, Any], gold: dict[str, Any], check_org: bool = True) -> list[str]:
    """Every place where the parser's JSON differs from the gold (empty = exact)."""
    diffs: list[str] = []
    keys = ["year", "template", "sections", "checks_failing", "extra"]
    if check_org:
        keys.insert(0, "organization")
    for key in keys:
        if got.get(key) != gold[key]:
            diffs.append(f"{key}: got {got.get(key)!r}, gold {gold[key]!r}")
    for table in ("requests", "review_litigation"):
        g, e = got.get(table, {}), gold[table]
        if list(g) != list(e):
            diffs.append(f"{table} keys: got {list(g)}, gold {list(e)}")
        for key, values in e.items():
            if g.get(key) != values:
                diffs.append(f"{table}.{key}: got {g.get(key)}, gold {values}")
    got_rows = {r["key"]: r for r in got.get("proactive", [])}
    gold_rows = {r["key"]: r for r in gold["proactive"]}
    if list(got_rows) != list(gold_rows):
        diffs.append(f"proactive keys: got {list(got_rows)}, gold {list(gold_rows)}")
    for key, row in gold_rows.items():
        if key not in got_rows:
            continue
        for field in ("label", "values"):
            if got_rows[key][field] != row[field]:
                diffs.append(
                    f"proactive.{key}.{field}: got {got_rows[key][field]}, gold {row[field]}"
                )
    return diffs
