"""Instructions per report for the text and HTML corpora of ``parse.py``, counted by valgrind.

On a shared machine CPU time moves by ±20 % with the load, which hides a 10 %
change; the number of instructions executed does not move at all. This counts
them with callgrind: the corpus is parsed once to warm up (imports, caches),
then ``--passes`` more times, and the difference with a run that stops after
the warm-up is divided by the reports parsed. Instructions are not time (a
cache miss costs more than an add), so use this to compare two trees, and
``parse.py`` on a quiet machine for the rate itself.

```bash
.venv/bin/python benchmarks/parse_instructions.py                  # this tree
git worktree add /tmp/base HEAD~3
.venv/bin/python benchmarks/parse_instructions.py --tree /tmp/base # another tree, same corpora
```

Needs ``valgrind`` (Debian package); about 5 minutes per corpus on this machine.
"""

from __future__ import annotations

import argparse
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from parse import html_corpus, text_corpus  # noqa: E402

# Run inside valgrind, in the tree under test: parse the pickled corpus 1 + N times.
CHILD = """
import pickle, sys
sys.path.insert(0, sys.argv[1])
from parsers import DocumentMeta, ParseError, parse_document
docs = pickle.load(open(sys.argv[2], "rb"))
meta = DocumentMeta(headers={"Content-Type": "text/html"})
for _ in range(1 + int(sys.argv[3])):
    for data in docs:
        try:
            parse_document(data, meta)
        except ParseError:
            pass
"""


def instructions(tree: Path, corpus: Path, passes: int) -> int:
    """Instructions callgrind counts for a whole child run."""
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            str(corpus),
            str(passes),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100, help="synthetic reports per corpus")
    parser.add_argument("--passes", type=int, default=2, help="counted passes over each corpus")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to measure")
    parser.add_argument("--corpus", choices=("text", "html", "both"), default="both")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    corpora = {"text": text_corpus, "html": html_corpus}
    names = ("text", "html") if args.corpus == "both" else (args.corpus,)
    print("| tree | corpus | reports | counted passes | million instructions per report |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            docs = [data for _, data in corpora[name](args.synthetic)]
            corpus = Path(tmp) / f"{name}.pickle"
            corpus.write_bytes(pickle.dumps(docs))
            base = instructions(args.tree, corpus, 0)
            counted = instructions(args.tree, corpus, args.passes)
            per_report = (counted - base) / (args.passes * len(docs)) / 1e6
            print(f"| {args.tree} | {name} | {len(docs)} | {args.passes} | {per_report:.2f} |")


if __name__ == "__main__":
    main()
