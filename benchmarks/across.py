"""The across-report stage (``archive/across``) on a copy of a built archive, timed per step.

Usage::

    .venv/bin/python benchmarks/scale.py all --bodies 2000 --data /tmp/xxgk-small
    .venv/bin/python benchmarks/across.py /tmp/xxgk-small

Copies ``<data>/archive.db`` (the stage must not touch the published file),
drops any across tables a newer build already added, runs the stage with the
parse cache unavailable (no version diffs) and prints its counts and seconds
as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from archive import across


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="data directory holding archive.db")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.data.parent) as tmp:
        copy = Path(tmp) / "archive.db"
        shutil.copyfile(args.data / "archive.db", copy)
        with sqlite3.connect(copy) as conn:
            reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
            for table in across.TABLES:
                conn.execute(f"DROP TABLE IF EXISTS [{table}]")
        counts = across.run(copy, args.data)
    print(json.dumps({"reports": reports, **counts}, indent=1))


if __name__ == "__main__":
    main()
