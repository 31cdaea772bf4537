"""Parser throughput: reports per second per core for text and HTML, latency, memory.

Corpora (built in memory, nothing read from the network):

- ``text``: the five seed ``.txt`` files and the Markdown rendering of each
  synthetic report (what PDF converters emit);
- ``html``: each seed and each synthetic report as a portal page, cycling
  through the TRS / Hanweb / gkmlpt styles, 表三 whole or split, UTF-8 or GBK.

Each document is parsed once to warm up, then ``--repeat`` times; one process,
one thread, so the rate is per core. The rate uses CPU time (``process_time``),
which other engineers' jobs on a shared machine disturb less than wall time;
wall time is printed too. Latency is per document per parse (median, p95).
Peak memory: the process's maximum RSS, and the largest Python allocation
peak (``tracemalloc``) over one extra pass of the corpus.

    .venv/bin/python benchmarks/parse.py                # 100 synthetic reports, 5 repeats
    .venv/bin/python benchmarks/parse.py --synthetic 300 --repeat 3 --json

Measures, never asserts: the results go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.fixture_portals.render_html import render_markdown, render_report_html  # noqa: E402
from crawler.fixture_portals.reports import SEEDS_DIR, seed_reports, synthetic_reports  # noqa: E402
from parsers import DocumentMeta, ParseError, parse_document  # noqa: E402

STYLES = ("trs", "hanweb", "gkmlpt")


def text_corpus(synthetic: int) -> list[tuple[str, bytes]]:
    docs = [(p.name, p.read_bytes()) for p in sorted(SEEDS_DIR.glob("*.txt"))]
    for spec in synthetic_reports(synthetic):
        docs.append((spec["document"] + ".md", render_markdown(spec).encode("utf-8")))
    return docs


def html_corpus(synthetic: int) -> list[tuple[str, bytes]]:
    docs = []
    for i, spec in enumerate(seed_reports() + synthetic_reports(synthetic)):
        style = STYLES[i % len(STYLES)]
        encoding = "gb2312" if i % 4 == 3 else "utf-8"
        data = render_report_html(spec, style=style, encoding=encoding, split_tables=i % 2 == 1)
        docs.append((f"{spec['document']}.{style}.html", data))
    return docs


def measure(docs: list[tuple[str, bytes]], repeat: int) -> dict[str, Any]:
    meta = DocumentMeta(headers={"Content-Type": "text/html"})
    errors = 0
    for _, data in docs:  # warm up: imports, label tables, regex caches
        try:
            parse_document(data, meta)
        except ParseError:
            errors += 1
    latencies: list[float] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        for _, data in docs:
            t0 = time.perf_counter()
            with contextlib.suppress(ParseError):
                parse_document(data, meta)
            latencies.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    tracemalloc.start()
    peak = 0
    for _, data in docs:
        tracemalloc.reset_peak()
        with contextlib.suppress(ParseError):
            parse_document(data, meta)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    latencies.sort()
    parses = len(latencies)
    return {
        "documents": len(docs),
        "parse_errors": errors,
        "mean_kb": round(sum(len(d) for _, d in docs) / len(docs) / 1024, 1),
        "parses": parses,
        "reports_per_s_per_core_cpu": round(parses / cpu, 1),
        "reports_per_s_wall": round(parses / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(0.95 * (parses - 1))] * 1000, 2),
        "peak_alloc_mib": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100, help="synthetic reports per corpus")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over each corpus")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "command": " ".join(["benchmarks/parse.py", *sys.argv[1:]]),
        "text": measure(text_corpus(args.synthetic), args.repeat),
        "html": measure(html_corpus(args.synthetic), args.repeat),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(
        "| date | corpus | docs | mean KB | reports/s/core (CPU) | reports/s (wall) | median ms | p95 ms | peak Python alloc MiB | max RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for corpus in ("text", "html"):
        r = results[corpus]
        print(
            f"| {results['date']} | {corpus} | {r['documents']} | {r['mean_kb']} "
            f"| {r['reports_per_s_per_core_cpu']} | {r['reports_per_s_wall']} | {r['median_ms']} "
            f"| {r['p95_ms']} | {r['peak_alloc_mib']} | {results['max_rss_mib']} |"
        )
    print(
        f"\n{results['machine']}; `{results['command']}`; parse errors (warm-up): "
        f"text {results['text']['parse_errors']}, html {results['html']['parse_errors']}"
    )


if __name__ == "__main__":
    main()
